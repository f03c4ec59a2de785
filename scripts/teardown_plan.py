"""The teardown's planning (scripts/teardown.py): what is deployed and what CloudFormation leaves behind."""

from __future__ import annotations

from botocore.exceptions import ClientError

from scripts import workspace_teardown as ws
from scripts.teardown_common import (
    DELETION_ORDER,
    STACK_GONE,
    Plan,
    Stack,
    describe_eni,
    is_lambda_eni,
    is_orphan_eni,
    is_stack_missing,
)


class TeardownPlanning:
    """Planning, mixed into Teardown (scripts/teardown.py): finds the stacks and leftovers; deletes nothing."""

    def stack_name(self, suffix: str) -> str:
        return f"{self.prefix}{suffix}"

    def find_stack(self, suffix: str) -> Stack | None:
        name = self.stack_name(suffix)
        try:
            stacks = self.call("cloudformation", "describe_stacks", StackName=name)["Stacks"]
        except ClientError as error:
            if is_stack_missing(error):
                return None
            raise
        live = [s for s in stacks if s["StackStatus"] not in STACK_GONE]
        if not live:
            return None
        s = live[0]
        stack = Stack(suffix, name, s["StackId"], s["StackStatus"], bool(s.get("EnableTerminationProtection")))
        if suffix in ("security-baseline", "network", "inference"):
            stack.resources = list(
                self.pages("cloudformation", "list_stack_resources", "StackResourceSummaries", StackName=s["StackId"])
            )
        return stack

    def project_vpcs(self, network: Stack | None) -> list[str]:
        if network is not None:
            return network.physical_ids("AWS::EC2::VPC")
        # The Network stack is gone (or half gone): CloudFormation's own tag still names it.
        filters = [{"Name": "tag:aws:cloudformation:stack-name", "Values": [self.stack_name("network")]}]
        return [v["VpcId"] for v in self.pages("ec2", "describe_vpcs", "Vpcs", Filters=filters)]

    def orphan_enis(self, vpc_ids: list[str]) -> list[dict]:
        if not vpc_ids:
            return []
        filters = [{"Name": "vpc-id", "Values": vpc_ids}]
        return [
            e
            for e in self.pages("ec2", "describe_network_interfaces", "NetworkInterfaces", Filters=filters)
            if is_orphan_eni(e)
        ]

    def scalable_targets(self) -> list[dict]:
        prefix = f"endpoint/{self.prefix}"
        return [
            t
            for t in self.pages(
                "application-autoscaling", "describe_scalable_targets", "ScalableTargets", ServiceNamespace="sagemaker"
            )
            if t["ResourceId"].startswith(prefix)
        ]

    def buckets(self) -> list[str]:
        listed = self.call("s3", "list_buckets").get("Buckets", [])
        return sorted(b["Name"] for b in listed if b["Name"].startswith(self.prefix))

    def glue_key(self, key_ids: list[str]) -> str | None:
        """The project key the account's catalog encryption names, when the profile turned it on."""
        if not self.catalog_encryption:
            return None
        settings = self.call("glue", "get_data_catalog_encryption_settings")["DataCatalogEncryptionSettings"]
        named = [
            settings.get("EncryptionAtRest", {}).get("SseAwsKmsKeyId", ""),
            settings.get("ConnectionPasswordEncryption", {}).get("AwsKmsKeyId", ""),
        ]
        for key in named:
            if key and any(key_id in key for key_id in key_ids):
                return key
        return None

    def apigateway_role(self, inference: Stack | None) -> str | None:
        """API Gateway's CloudWatch role, when it is the project's (the Inference stack's role)."""
        if not self.manage_api_role:
            return None
        arn = self.call("apigateway", "get_account").get("cloudwatchRoleArn") or ""
        role = arn.rsplit("/", 1)[-1]
        if not role:
            return None
        ours = set(inference.physical_ids("AWS::IAM::Role")) if inference else set()
        if role in ours or role.startswith(self.stack_name("inference")):
            return arn
        return None

    def plan(self) -> Plan:
        plan = Plan()
        found = {suffix: self.find_stack(suffix) for suffix in DELETION_ORDER}
        plan.stacks = [s for s in found.values() if s]
        workspace = ws.find_domain(self.ws_clients, self.prefix.rstrip("-"), self.stack_name("workspace"))
        if workspace:
            plan.workspace = ws.plan(self.ws_clients, workspace)
        plan.vpc_ids = self.project_vpcs(found["network"])
        plan.enis = self.orphan_enis(plan.vpc_ids)
        plan.scalable_targets = self.scalable_targets()
        plan.buckets = self.buckets()
        security = found["security-baseline"]
        plan.key_ids = security.physical_ids("AWS::KMS::Key") if security else []
        plan.glue_key = self.glue_key(plan.key_ids)
        plan.apigateway_role = self.apigateway_role(found["inference"])
        return plan

    def show(self, plan: Plan) -> None:
        out = self.out
        out(f"Teardown plan for {self.prefix.rstrip('-')} in {self.region} (removal_policy: {self.removal_policy})")
        out("stacks, in deletion order:")
        for s in plan.stacks:
            protected = " (termination protection: lifted with --confirm)" if s.termination_protection else ""
            out(f"  stack {s.name} [{s.status}]{protected}")
        if not plan.stacks:
            out("  none deployed")
        out("left behind by CloudFormation:")
        lines = []
        if plan.workspace:
            lines += [f"workspace: {line}" for line in plan.workspace.lines()]
        for eni in plan.enis:
            if eni["Status"] == "available":
                action = "delete"
            elif is_lambda_eni(eni):
                action = "wait for Lambda to release it, then delete"
            else:
                action = "wait until its owner's stack deletion releases it, then delete what remains"
            lines.append(f"{describe_eni(eni)} in {eni.get('SubnetId')}: {action}")
        lines += [
            f"scaling registration {t['ResourceId']} ({t['ScalableDimension']}): deregister if the stack leaves it"
            for t in plan.scalable_targets
        ]
        for bucket in plan.buckets:
            if self.removal_policy == "retain":
                lines.append(f"bucket {bucket}: retained with its data (removal_policy: retain)")
            else:
                lines.append(
                    f"bucket {bucket}: emptied by its stack's auto-delete provider (exempt from the VPC-endpoint-only"
                    " policy); if it remains, emptied with your credentials"
                )
        if plan.glue_key:
            lines.append(f"Glue Data Catalog encryption with the project key {plan.glue_key}: reset to disabled")
        if plan.apigateway_role:
            lines.append(f"API Gateway CloudWatch role {plan.apigateway_role}: cleared")
        for line in lines or ["nothing"]:
            out(f"  {line}")
