"""The governance and deploy sections of a profile: detective controls, the cost budget (G1, G2)
and how the stacks are deployed."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from config.base import StrictModel


class BudgetConfig(StrictModel):
    """A monthly AWS Budgets cost alarm for the account (G2: endpoints and notebooks bill while idle)."""

    enabled: bool = Field(
        default=False,
        description=(
            "Create a monthly cost budget whose notifications (actual 80% and 100%, forecasted 100%) go to an "
            "SNS topic encrypted with the notifications key; subscribe to the topic to receive them."
        ),
    )
    monthly_limit_usd: float = Field(
        default=150,
        gt=0,
        le=1_000_000,
        description="Budgeted cost per calendar month in USD (the account's whole cost, not only this project's).",
    )


class GovernanceConfig(StrictModel):
    """Detective controls (G1) and the cost budget (G2)."""

    config_rules: bool = Field(
        default=False,
        description=(
            "Deploy AWS Config managed rules for SageMaker (notebook internet access, notebook and "
            "endpoint KMS, root access, VPC). They evaluate nothing without a configuration recorder in "
            "the account and region: governance.config_recorder says where it comes from."
        ),
    )
    config_recorder: Literal["existing", "create"] | None = Field(
        default=None,
        description=(
            "Required with config_rules. 'existing': the account already records in this region (Control "
            "Tower and most organizations set this up; AWS allows one customer-managed recorder per region). "
            "'create': the governance stack deploys a recorder of all supported resource types (global ones "
            "included), started by its delivery channel to an encrypted, access-logged bucket."
        ),
    )

    budget: BudgetConfig = Field(default_factory=BudgetConfig, description="Monthly cost budget (G2).")

    @model_validator(mode="after")
    def _rules_need_a_recorder(self) -> GovernanceConfig:
        if self.config_rules and self.config_recorder is None:
            raise ValueError(
                "governance.config_recorder is required with config_rules: true (AWS Config rules evaluate "
                "nothing without a configuration recorder); say 'existing' if the account already records in "
                "this region (e.g. Control Tower), or 'create' to deploy one"
            )
        if not self.config_rules and self.config_recorder is not None:
            raise ValueError(
                f"governance.config_recorder is {self.config_recorder!r} but config_rules is false: the recorder "
                "setting applies only to the rules' governance stack; remove it or turn config_rules on"
            )
        return self


class DeployConfig(StrictModel):
    """How the stacks are deployed: the deploy role's narrow exception in data-bucket policies (N10),
    and what the account's Lambda quota allows."""

    bootstrap_qualifier: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]{1,10}$")] = Field(
        default="hnb659fds",
        description=(
            "Qualifier of the CDK bootstrap stack. Its CloudFormation execution role is the one "
            "principal allowed to reach data buckets from outside the VPC (to deploy and tear down)."
        ),
    )
    lambda_reserved_concurrency: bool = Field(
        default=False,
        description=(
            "Reserve concurrent executions for the project's Lambda functions (each capped at what it "
            "needs: one approval deployment at a time, the transformation's ingestion.transform."
            "reserved_concurrency, ...). Off for new accounts: their Lambda concurrency quota can be 10 "
            "and a reservation must leave 100 unreserved, so CloudFormation fails to create any function "
            "with a reservation there. Turn on where the account's quota has been raised."
        ),
    )
