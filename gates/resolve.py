"""CloudFormation templates of one cloud assembly with their intrinsics resolved.

Policy documents are full of `Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Sub` and `Fn::ImportValue`; the IAM
gate (gates/iam.py) and the tests' authorization harness (tests/authz.py) need the strings IAM will see, so
both resolve them here to one set of values: an example account, the profile's region, physical names
derived from logical ids unless the resource names itself, exports through the exporting stack.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ACCOUNT = "111122223333"
PARTITION = "aws"
URL_SUFFIX = "amazonaws.com"


class ResolveError(Exception):
    """A template value this module cannot resolve faithfully."""


def digest(*parts: str, length: int = 17) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


# Ref of these types is the physical name, taken from the property when the template sets one.
_NAME_PROPERTY = {
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::KMS::Alias": "AliasName",
    "AWS::Kinesis::Stream": "Name",
    "AWS::KinesisFirehose::DeliveryStream": "DeliveryStreamName",
    "AWS::SageMaker::Endpoint": "EndpointName",
    "AWS::SageMaker::EndpointConfig": "EndpointConfigName",
    "AWS::SageMaker::Model": "ModelName",
    "AWS::SageMaker::NotebookInstance": "NotebookInstanceName",
    "AWS::SageMaker::NotebookInstanceLifecycleConfig": "NotebookInstanceLifecycleConfigName",
    "AWS::SageMaker::ModelPackageGroup": "ModelPackageGroupName",
    "AWS::SageMaker::Pipeline": "PipelineName",
    "AWS::SageMaker::Domain": "DomainName",
    "AWS::SageMaker::UserProfile": "UserProfileName",
    "AWS::SageMaker::MonitoringSchedule": "MonitoringScheduleName",
    "AWS::SageMaker::DataQualityJobDefinition": "JobDefinitionName",
    "AWS::Glue::Database": "DatabaseInput.Name",
    "AWS::Glue::Table": "TableInput.Name",
    "AWS::Glue::Crawler": "Name",
    "AWS::Glue::Job": "Name",
    "AWS::Glue::Connection": "ConnectionInput.Name",
    "AWS::Glue::SecurityConfiguration": "Name",
    "AWS::Athena::WorkGroup": "Name",
    "AWS::Events::Rule": "Name",
    "AWS::StepFunctions::StateMachine": "StateMachineName",
    "AWS::CloudTrail::Trail": "TrailName",
    "AWS::CloudWatch::Alarm": "AlarmName",
}

# Ref of these types is an id with AWS's prefix.
_ID_PREFIX = {
    "AWS::EC2::VPC": "vpc-",
    "AWS::EC2::Subnet": "subnet-",
    "AWS::EC2::SecurityGroup": "sg-",
    "AWS::EC2::VPCEndpoint": "vpce-",
    "AWS::EC2::RouteTable": "rtb-",
    "AWS::EC2::InternetGateway": "igw-",
    "AWS::EC2::NatGateway": "nat-",
    "AWS::EC2::FlowLog": "fl-",
    "AWS::ApiGateway::RestApi": "",
}

# SageMaker resources: Ref is the ARN, whose resource part is the lower-case name.
_SAGEMAKER_ARN_TYPE = {
    "AWS::SageMaker::Endpoint": "endpoint",
    "AWS::SageMaker::EndpointConfig": "endpoint-config",
    "AWS::SageMaker::Model": "model",
    "AWS::SageMaker::NotebookInstance": "notebook-instance",
    "AWS::SageMaker::NotebookInstanceLifecycleConfig": "notebook-instance-lifecycle-config",
    "AWS::SageMaker::ModelPackageGroup": "model-package-group",
    "AWS::SageMaker::Pipeline": "pipeline",
    "AWS::SageMaker::MonitoringSchedule": "monitoring-schedule",
    "AWS::SageMaker::DataQualityJobDefinition": "data-quality-job-definition",
    "AWS::SageMaker::Domain": "domain",
}
_SAGEMAKER_REF_IS_NAME = {"AWS::SageMaker::Pipeline"}


@dataclass(frozen=True)
class _Stack:
    name: str
    artifact_id: str
    template: dict

    @property
    def resources(self) -> dict[str, dict]:
        return self.template.get("Resources", {})


_REGIONAL_ARN = {  # type -> (service, resource part with the physical name)
    "AWS::SNS::Topic": ("sns", "{name}"),
    "AWS::SQS::Queue": ("sqs", "{name}"),
    "AWS::Lambda::Function": ("lambda", "function:{name}"),
    "AWS::Logs::LogGroup": ("logs", "log-group:{name}:*"),
    "AWS::Kinesis::Stream": ("kinesis", "stream/{name}"),
    "AWS::KinesisFirehose::DeliveryStream": ("firehose", "deliverystream/{name}"),
    "AWS::Events::Rule": ("events", "rule/{name}"),
    "AWS::StepFunctions::StateMachine": ("states", "stateMachine:{name}"),
    "AWS::CloudTrail::Trail": ("cloudtrail", "trail/{name}"),
}


class Templates:
    """Templates of one deployment, with every intrinsic resolved to the same concrete values."""

    Error: type[Exception] = ResolveError

    def __init__(
        self,
        templates: Mapping[str, dict],
        *,
        region: str,
        account: str = ACCOUNT,
        partition: str = PARTITION,
        artifact_ids: Mapping[str, str] | None = None,
    ) -> None:
        """`templates` maps stack names to template JSON; `artifact_ids` (artifact id -> stack
        name) lets tests name stacks the way the cloud assembly does."""
        self.region = region
        self.account = account
        self.partition = partition
        names = dict(artifact_ids or {})
        by_name = {v: k for k, v in names.items()}
        self._stacks = {
            name: _Stack(name=name, artifact_id=by_name.get(name, name), template=template)
            for name, template in templates.items()
        }
        self._aliases = {**{s: s for s in self._stacks}, **names}
        self._exports: dict[str, tuple[str, Any]] | None = None

    @classmethod
    def single(cls, template: dict, *, stack_name: str = "Stack", region: str = "us-east-1") -> Templates:
        return cls({stack_name: template}, region=region)

    # -- stacks and resources --

    def stack(self, stack: str) -> _Stack:
        try:
            return self._stacks[self._aliases[stack]]
        except KeyError:
            raise self.Error(f"no stack {stack!r}; stacks: {sorted(self._aliases)}") from None

    def resource(self, stack: str, logical_id: str) -> dict:
        try:
            return self.stack(stack).resources[logical_id]
        except KeyError:
            raise self.Error(f"no resource {logical_id} in {stack}") from None

    def logical_id(self, stack: str, resource_type: str, prefix: str) -> str:
        """The one resource of `resource_type` whose logical id is `prefix` plus CDK's hash."""
        found = [
            logical
            for logical, resource in self.stack(stack).resources.items()
            if resource["Type"] == resource_type and re.fullmatch(re.escape(prefix) + r"[0-9A-F]{8}", logical)
        ]
        if len(found) != 1:
            raise self.Error(f"{len(found)} {resource_type} named {prefix}* in {stack}: {found}")
        return found[0]

    def stacks(self) -> list[str]:
        return list(self._stacks)

    # -- intrinsics --

    def resolve(self, stack: str, value: Any) -> Any:
        """`value` (from `stack`'s template) with every intrinsic function resolved."""
        name = self.stack(stack).name
        if isinstance(value, list):
            return [self.resolve(name, v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self.ref(name, arg)
            if key == "Fn::GetAtt":
                logical, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                return self.get_att(name, logical, attribute)
            if key == "Fn::Join":
                separator, parts = arg
                return separator.join(str(p) for p in self.resolve(name, parts))
            if key == "Fn::Sub":
                return self._sub(name, arg)
            if key == "Fn::ImportValue":
                return self.import_value(self.resolve(name, arg))
            if key == "Fn::Select":
                index, items = arg
                return self.resolve(name, items)[int(self.resolve(name, index))]
            if key == "Fn::Split":
                separator, text = arg
                return self.resolve(name, text).split(separator)
            if key == "Fn::GetAZs":
                return [f"{self.region}{zone}" for zone in "abc"]
            if key == "Fn::Base64":
                return self.resolve(name, arg)
            if key == "Fn::FindInMap":
                table, top, second = self.resolve(name, arg)
                return self.stack(name).template["Mappings"][table][top][second]
            if key == "Fn::If":
                condition, when_true, when_false = arg
                chosen = when_true if self._condition(name, condition) else when_false
                return self.resolve(name, chosen)
            if key.startswith("Fn::"):
                raise self.Error(f"cannot resolve {key} in {name}: {json.dumps(value)[:200]}")
        return {k: self.resolve(name, v) for k, v in value.items()}

    def _condition(self, stack: str, condition: Any) -> bool:
        if isinstance(condition, str):
            condition = self.stack(stack).template["Conditions"][condition]
        ((key, arg),) = condition.items()
        if key == "Fn::Equals":
            left, right = self.resolve(stack, arg)
            return left == right
        if key == "Fn::Not":
            return not self._condition(stack, arg[0])
        if key == "Fn::And":
            return all(self._condition(stack, c) for c in arg)
        if key == "Fn::Or":
            return any(self._condition(stack, c) for c in arg)
        if key == "Condition":
            return self._condition(stack, arg)
        raise self.Error(f"cannot evaluate condition {condition}")

    def _sub(self, stack: str, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else arg
        variables = {k: self.resolve(stack, v) for k, v in variables.items()}

        def replace(match: re.Match) -> str:
            expression = match.group(1)
            if expression.startswith("!"):
                return "${" + expression[1:] + "}"
            if expression in variables:
                return str(variables[expression])
            if "." in expression and not expression.startswith("AWS::"):
                logical, attribute = expression.split(".", 1)
                return str(self.get_att(stack, logical, attribute))
            return str(self.ref(stack, expression))

        return re.sub(r"\$\{([^}]+)\}", replace, text)

    def ref(self, stack: str, logical_id: str) -> Any:
        pseudo = {
            "AWS::AccountId": self.account,
            "AWS::Region": self.region,
            "AWS::Partition": self.partition,
            "AWS::URLSuffix": URL_SUFFIX,
            "AWS::StackName": self.stack(stack).name,
            "AWS::StackId": f"arn:{self.partition}:cloudformation:{self.region}:{self.account}:stack/"
            f"{self.stack(stack).name}/{uuid.uuid5(uuid.NAMESPACE_URL, self.stack(stack).name)}",
            "AWS::NoValue": None,
        }
        if logical_id in pseudo:
            return pseudo[logical_id]
        template = self.stack(stack).template
        if logical_id in template.get("Parameters", {}):
            parameter = template["Parameters"][logical_id]
            if "Default" not in parameter:
                raise self.Error(f"parameter {logical_id} of {stack} has no default")
            return parameter["Default"]
        resource = self.resource(stack, logical_id)
        kind = resource["Type"]
        if kind in _SAGEMAKER_ARN_TYPE and kind not in _SAGEMAKER_REF_IS_NAME:
            return self._arn(stack, logical_id)
        if kind in ("AWS::SNS::Topic", "AWS::IAM::ManagedPolicy", "AWS::StepFunctions::StateMachine"):
            return self._arn(stack, logical_id)
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.{self.region}.{URL_SUFFIX}/{self.account}/{self.physical_name(stack, logical_id)}"
        if kind == "AWS::KMS::Key":
            return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.stack(stack).name}/{logical_id}"))
        if kind in _ID_PREFIX:
            return _ID_PREFIX[kind] + digest(self.stack(stack).name, logical_id)
        return self.physical_name(stack, logical_id)

    def physical_name(self, stack: str, logical_id: str) -> str:
        """The resource's own name when the template sets it, else a deterministic one."""
        resource = self.resource(stack, logical_id)
        kind = resource["Type"]
        properties = resource.get("Properties", {})
        path = _NAME_PROPERTY.get(kind)
        if path:
            value: Any = properties
            for part in path.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            if value is not None:
                return str(self.resolve(stack, value))
        generated = f"{self.stack(stack).name}-{logical_id}"
        if kind in ("AWS::S3::Bucket",) or kind.startswith("AWS::SageMaker::"):
            generated = generated.lower()
        if kind == "AWS::Logs::LogGroup":
            generated = f"/aws/{generated}"
        return generated[:63]

    def _arn(self, stack: str, logical_id: str) -> str:
        resource = self.resource(stack, logical_id)
        kind = resource["Type"]
        properties = resource.get("Properties", {})
        name = self.physical_name(stack, logical_id)
        region, account, partition = self.region, self.account, self.partition
        if kind == "AWS::IAM::Role":
            path = self.resolve(stack, properties.get("Path", "/"))
            return f"arn:{partition}:iam::{account}:role{path}{name}"
        if kind == "AWS::IAM::ManagedPolicy":
            path = self.resolve(stack, properties.get("Path", "/"))
            return f"arn:{partition}:iam::{account}:policy{path}{name}"
        if kind == "AWS::S3::Bucket":
            return f"arn:{partition}:s3:::{name}"
        if kind == "AWS::KMS::Key":
            return f"arn:{partition}:kms:{region}:{account}:key/{self.ref(stack, logical_id)}"
        if kind in _REGIONAL_ARN:  # arn:<partition>:<service>:<region>:<account>:<resource with the name>
            service, resource_part = _REGIONAL_ARN[kind]
            return f"arn:{partition}:{service}:{region}:{account}:{resource_part.format(name=name)}"
        if kind in _SAGEMAKER_ARN_TYPE:
            return f"arn:{partition}:sagemaker:{region}:{account}:{_SAGEMAKER_ARN_TYPE[kind]}/{name.lower()}"
        service, _, rest = kind.removeprefix("AWS::").partition("::")
        return f"arn:{partition}:{service.lower()}:{region}:{account}:{rest.lower()}/{name}"

    def get_att(self, stack: str, logical_id: str, attribute: str) -> Any:
        resource = self.resource(stack, logical_id)
        kind = resource["Type"]
        properties = resource.get("Properties", {})
        name = self.physical_name(stack, logical_id)
        if attribute in ("Arn", "TopicArn", "PolicyArn", "ModelPackageGroupArn", "DomainArn", "KeyArn") or (
            attribute.endswith("Arn") and kind in _SAGEMAKER_ARN_TYPE
        ):
            return self._arn(stack, logical_id)
        if attribute == "RoleId":
            return "AROA" + digest(self.stack(stack).name, logical_id, length=17).upper()
        if attribute in ("KeyId", "GroupId", "Id", "RestApiId", "EndpointId", "SubnetId", "VpcId") and (
            attribute != "VpcId" or kind == "AWS::EC2::VPC"
        ):
            return self.ref(stack, logical_id)
        if attribute == "VpcId" and "VpcId" in properties:
            return self.resolve(stack, properties["VpcId"])
        if attribute in ("QueueUrl",):
            return self.ref(stack, logical_id)
        if attribute == "DomainName" and kind == "AWS::S3::Bucket":
            return f"{name}.s3.{URL_SUFFIX}"
        if attribute == "RegionalDomainName" and kind == "AWS::S3::Bucket":
            return f"{name}.s3.{self.region}.{URL_SUFFIX}"
        if attribute.endswith("Name") or attribute == "Name":
            return name
        if attribute == "RootResourceId":
            return digest(self.stack(stack).name, logical_id, "root", length=10)
        # Anything else: a stable placeholder no policy will accidentally match.
        return f"{name}.{attribute}"

    def _all_exports(self) -> dict[str, tuple[str, Any]]:
        if self._exports is None:
            self._exports = {}
            for stack in self._stacks.values():
                for output in stack.template.get("Outputs", {}).values():
                    if "Export" in output:
                        export = self.resolve(stack.name, output["Export"]["Name"])
                        self._exports[export] = (stack.name, output["Value"])
        return self._exports

    def import_value(self, export: str) -> Any:
        try:
            stack, value = self._all_exports()[export]
        except KeyError:
            raise self.Error(f"no stack of this world exports {export!r}") from None
        return self.resolve(stack, value)

    def arn(self, stack: str, logical_id: str) -> str:
        return self._arn(self.stack(stack).name, logical_id)

    @classmethod
    def from_outdir(cls, outdir: Path | str, *, account: str = ACCOUNT) -> Templates:
        """Every stack of a cloud assembly directory, named as the manifest names them."""
        outdir = Path(outdir)
        manifest = json.loads((outdir / "manifest.json").read_text())
        templates, aliases, regions = {}, {}, set()
        for artifact_id, artifact in manifest["artifacts"].items():
            if artifact["type"] != "aws:cloudformation:stack":
                continue
            name = artifact["properties"].get("stackName", artifact_id)
            templates[name] = json.loads((outdir / artifact["properties"]["templateFile"]).read_text())
            aliases[artifact_id] = name
            regions.add(artifact["environment"].rsplit("/", 1)[-1])
        region = regions.pop() if len(regions) == 1 else "us-east-1"
        return cls(templates, region=region, account=account, artifact_ids=aliases)
