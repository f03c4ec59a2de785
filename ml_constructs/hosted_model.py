"""A SageMaker model from shipped artifacts, isolated in the VPC unless declared otherwise (N7, E10, E13).

SageMaker hosting has no L2 construct in aws-cdk-lib; this wraps the L1 model with the project's rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_s3_assets as assets
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from ml_constructs.inference_role import InferenceRole

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
# Script mode inside the framework container: code/ of the model archive, extracted to /opt/ml/model.
SCRIPT_DIRECTORY = "/opt/ml/model/code"


def model_artifact(scope: Construct, construct_id: str, name: str) -> assets.Asset:
    """A shipped model.tar.gz (scripts/build_models.py) as a CDK file asset (E13)."""
    return assets.Asset(scope, construct_id, path=str(MODELS_DIR / "artifacts" / f"{name}.tar.gz"))


@dataclass(frozen=True)
class Container:
    image: str
    model_data: str
    environment: dict[str, str] = field(default_factory=dict)


class HostedModel(Construct):
    """A SageMaker model: network-isolated and in the private subnets unless declared otherwise (N7).

    One container is a plain model; several make an inference pipeline whose containers run
    in order, each one's output the next one's input (E10).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        role: InferenceRole,
        containers: Sequence[Container],
        subnet_ids: Sequence[str] | None,
        security_group: ec2.ISecurityGroup | None,
        network_isolation: bool = True,
    ) -> None:
        super().__init__(scope, construct_id)
        definitions = [
            sagemaker.CfnModel.ContainerDefinitionProperty(
                image=c.image, model_data_url=c.model_data, environment=c.environment or None
            )
            for c in containers
        ]
        in_vpc = subnet_ids is not None and security_group is not None
        self.model = sagemaker.CfnModel(
            self,
            "Model",
            execution_role_arn=role.role.role_arn,
            primary_container=definitions[0] if len(definitions) == 1 else None,
            containers=definitions if len(definitions) > 1 else None,
            inference_execution_config=(
                sagemaker.CfnModel.InferenceExecutionConfigProperty(mode="Serial") if len(definitions) > 1 else None
            ),
            enable_network_isolation=network_isolation,
            vpc_config=(
                sagemaker.CfnModel.VpcConfigProperty(
                    subnets=list(subnet_ids), security_group_ids=[security_group.security_group_id]
                )
                if in_vpc
                else None
            ),
        )
        self.model.add_resource_dependency(role.role.grants_policy.node.default_child)
