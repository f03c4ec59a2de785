"""The teardown's deletions (scripts/teardown.py): stacks, workspace leftovers, scaling registrations,
ENIs, buckets and account-level settings."""

from __future__ import annotations

from botocore.exceptions import ClientError

from scripts import workspace_teardown as ws
from scripts.teardown_common import Plan, Stack, describe_eni, is_stack_missing


class TeardownCleanup:
    """Running, mixed into Teardown (scripts/teardown.py): each deletion step of the plan."""

    def delete_stack(self, stack: Stack) -> bool:
        """DeleteStack, then poll until it is gone (the stack_delete_complete waiter's acceptors, with
        a progress line and an injectable clock). False on DELETE_FAILED or timeout."""
        if stack.termination_protection:
            self.call(
                "cloudformation",
                "update_termination_protection",
                StackName=stack.stack_id,
                EnableTerminationProtection=False,
            )
            self.out(f"lifted the termination protection of {stack.name}")
        self.call("cloudformation", "delete_stack", StackName=stack.stack_id)
        self.out(f"deleting stack {stack.name}")
        start = self.clock()
        while True:
            try:
                status = self.call("cloudformation", "describe_stacks", StackName=stack.stack_id)["Stacks"][0][
                    "StackStatus"
                ]
            except ClientError as error:
                if not is_stack_missing(error):
                    raise
                status = "DELETE_COMPLETE"
            elapsed = self.clock() - start
            if status == "DELETE_COMPLETE":
                self.out(f"deleted stack {stack.name} ({elapsed:.0f}s)")
                return True
            if status == "DELETE_FAILED":
                self.report_failed_resources(stack)
                return False
            if elapsed >= self.stack_timeout:
                self.fail(
                    f"stack {stack.name} still {status} after {elapsed:.0f}s: check its events in the "
                    "CloudFormation console and run the teardown again"
                )
                return False
            self.out(f"  ... {stack.name}: {status} ({elapsed:.0f}s)")
            self.sleep(self.poll)

    def report_failed_resources(self, stack: Stack) -> None:
        failed = []
        for event in self.pages("cloudformation", "describe_stack_events", "StackEvents", StackName=stack.stack_id):
            if event["LogicalResourceId"] == stack.name and event["ResourceStatus"] == "DELETE_IN_PROGRESS":
                break  # the start of this deletion
            if event["ResourceStatus"] == "DELETE_FAILED" and event["LogicalResourceId"] != stack.name:
                failed.append(
                    f"{event['LogicalResourceId']} ({event['ResourceType']}): {event.get('ResourceStatusReason', '')}"
                )
        self.fail(f"stack {stack.name}: DELETE_FAILED" + ("; " + "; ".join(failed) if failed else ""))

    def clean_workspace_before(self, plan: Plan) -> None:
        work = plan.workspace
        if work and work.domain_exists and (work.apps or work.spaces):
            self.step(
                "Studio apps and spaces",
                lambda: ws.delete_domain_contents(self.ws_clients, work, self.out, self.sleep),
            )

    def clean_workspace_after(self, plan: Plan) -> None:
        if not plan.workspace:
            return

        def run() -> None:
            work = ws.plan(self.ws_clients, plan.workspace.domain_id)
            if work.domain_exists:
                self.out(f"  domain {work.domain_id} still exists: its EFS and NFS groups stay")
                return
            if self.removal_policy == "retain" and work.file_systems:
                self.out(
                    f"  retained (removal_policy: retain): the home EFS {', '.join(work.file_systems)} with every "
                    "user's Studio home directory; its mount targets and NFS groups stay in the Network stack's subnets"
                )
                return
            ws.delete_leftovers(self.ws_clients, work, self.out, self.sleep)

        self.step("workspace EFS and NFS security groups", run)

    def deregister_targets(self) -> None:
        for target in self.scalable_targets():
            self.step(f"scaling registration {target['ResourceId']}", lambda t=target: self.deregister(t))

    def deregister(self, target: dict) -> None:
        self.call(
            "application-autoscaling",
            "deregister_scalable_target",
            ServiceNamespace="sagemaker",
            ResourceId=target["ResourceId"],
            ScalableDimension=target["ScalableDimension"],
        )
        self.out(f"deregistered {target['ResourceId']}")

    def release_enis(self, plan: Plan) -> None:
        for eni in self.orphan_enis(plan.vpc_ids):
            self.step(describe_eni(eni), lambda e=eni: self.release_eni(e))

    def release_eni(self, eni: dict) -> None:
        eni_id = eni["NetworkInterfaceId"]
        start, status = self.clock(), eni["Status"]
        while status != "available":
            if self.clock() - start >= self.eni_timeout:
                raise TimeoutError(
                    f"still {status} after {self.clock() - start:.0f}s; Lambda releases a function's ENIs up to "
                    "about 20 minutes after the function is deleted: run the teardown again later"
                )
            self.out(f"  ... waiting for {eni_id} to be released ({status})")
            self.sleep(self.poll)
            found = self.call("ec2", "describe_network_interfaces", NetworkInterfaceIds=[eni_id])["NetworkInterfaces"]
            if not found:
                return
            status = found[0]["Status"]
        self.call("ec2", "delete_network_interface", NetworkInterfaceId=eni_id)
        self.out(f"deleted ENI {eni_id} ({eni.get('Description') or eni.get('InterfaceType')})")

    def empty_buckets(self) -> None:
        if self.removal_policy == "retain":
            return
        for bucket in self.buckets():
            self.out(f"bucket {bucket} outlived its stack: emptying it with the caller's credentials")
            if not self.step(f"bucket {bucket}", lambda b=bucket: self.empty_bucket(b)):
                self.out(
                    f"  {bucket} admits only the project's VPC endpoint, the deployment role "
                    f"(cdk-{self.qualifier}-cfn-exec-role-*) and the auto-delete provider: run the teardown as the "
                    "deployment role, or empty it from inside the VPC, then delete it"
                )

    def empty_bucket(self, bucket: str) -> None:
        """Every object version and delete marker, then the bucket."""
        count, markers = 0, {}
        while True:
            page = self.call("s3", "list_object_versions", Bucket=bucket, **markers)
            keys = [
                {"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
            if keys:
                self.call("s3", "delete_objects", Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
                count += len(keys)
            if not page.get("IsTruncated"):
                break
            markers = {"KeyMarker": page["NextKeyMarker"], "VersionIdMarker": page["NextVersionIdMarker"]}
        self.call("s3", "delete_bucket", Bucket=bucket)
        self.out(f"deleted bucket {bucket} ({count} object versions)")

    def reset_account_settings(self, plan: Plan) -> None:
        if plan.glue_key:

            def glue() -> None:
                if not self.glue_key(plan.key_ids):
                    return
                self.call(
                    "glue",
                    "put_data_catalog_encryption_settings",
                    DataCatalogEncryptionSettings={
                        "EncryptionAtRest": {"CatalogEncryptionMode": "DISABLED"},
                        "ConnectionPasswordEncryption": {"ReturnConnectionPasswordEncrypted": False},
                    },
                )
                self.out("reset the Glue Data Catalog encryption to disabled")

            self.step("Glue Data Catalog encryption", glue)
        if plan.apigateway_role:

            def apigateway() -> None:
                self.call(
                    "apigateway",
                    "update_account",
                    patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": ""}],
                )
                self.out(f"cleared API Gateway's CloudWatch role {plan.apigateway_role}")

            self.step("API Gateway CloudWatch role", apigateway)
