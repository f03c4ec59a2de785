"""Regions: the profile's region must exist, and every feature it turns on must exist there.

Checked offline, from what the installed libraries already know:

- the region is one of the `aws` partition's regions that offer SageMaker, from botocore's
  endpoint data (`get_available_regions("sagemaker")`). The other partitions (China, GovCloud,
  ISO, European Sovereign Cloud) are refused: the templates, endpoint services and gates were
  built and checked for the `aws` partition only;
- each CloudFormation resource type the profile's stacks create is offered in the region, from
  the per-region resource lists that cfn-lint ships (`cfnlint/data/schemas/providers/<region>.json`,
  the same data behind its E3006 "resource type does not exist in region");
- each SageMaker container image the stacks pull is published in the region, from the SageMaker
  Python SDK's bundled image data (`sagemaker.core.image_uris.retrieve`, imported lazily: ~2 s);
- each service a feature calls at run time without a CloudFormation type of its own (Transcribe and
  Comprehend for A1) has an endpoint in the region, from botocore's endpoint data.

`ALWAYS_ON` lists the resource types the always-deployed stacks create; `FEATURES` maps each
switch of the profile (a dotted field path, and when it is on) to the resource types and images
it adds. A test walks every resource of the synthesized profiles and fails on a type in neither,
so the table cannot drift from the stacks. A refused feature names the field that turns it off.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from config.model import ProjectConfig

PARTITION = "aws"

# Regions both shipped profiles are checked in (tests/test_aws_rules_regions.py; listed in docs/profiles.md, "Regions").
CHECKED_REGIONS = (
    "us-east-1",
    "us-east-2",
    "us-west-2",
    "ca-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-central-1",
    "eu-north-1",
    "ap-northeast-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-south-1",
)

# A container image: (SDK framework name, version or None for the latest, instance type or None).
Image = tuple[str, str | None, str | None]


@dataclass(frozen=True)
class Feature:
    """A switch of the profile and what it needs from the region."""

    switch: str
    enabled: Callable[[ProjectConfig], bool]
    resource_types: frozenset[str] = frozenset()
    images: Callable[[ProjectConfig], list[Image]] = field(default=lambda config: [])
    advice: str = "turn it off"
    # Services the feature calls at run time (botocore endpoint names), checked in botocore's endpoint data.
    services: tuple[str, ...] = ()


def _types(*names: str) -> frozenset[str]:
    return frozenset(names)


# Resource types of the stacks every profile deploys (security baseline, network, data) and the
# CDK's own helpers (custom resources, bucket auto-delete, log retention).
ALWAYS_ON = _types(
    "AWS::CDK::Metadata",
    "AWS::EC2::FlowLog",
    "AWS::EC2::RouteTable",
    "AWS::EC2::SecurityGroup",
    "AWS::EC2::SecurityGroupEgress",
    "AWS::EC2::SecurityGroupIngress",
    "AWS::EC2::Subnet",
    "AWS::EC2::SubnetRouteTableAssociation",
    "AWS::EC2::VPC",
    "AWS::EC2::VPCEndpoint",
    "AWS::IAM::ManagedPolicy",
    "AWS::IAM::Policy",
    "AWS::IAM::Role",
    "AWS::KMS::Alias",
    "AWS::KMS::Key",
    "AWS::Lambda::Function",
    "AWS::Logs::LogGroup",
    "AWS::S3::Bucket",
    "AWS::S3::BucketPolicy",
    "Custom::AWS",
    "Custom::S3AutoDeleteObjects",
    "Custom::VpcRestrictDefaultSG",
)


def _inference_images(config: ProjectConfig) -> list[Image]:
    settings = config.inference
    hosting = [v.instance_type for v in settings.realtime.variants] if settings.realtime else []
    return [(m.image_family, m.image_version, hosting[0] if hosting else None) for m in settings.models]


def _pipeline_images(config: ProjectConfig) -> list[Image]:
    from config.pipelines import SKLEARN_VERSION, XGBOOST_VERSION

    settings = config.pipelines
    return [
        ("xgboost", XGBOOST_VERSION, settings.training.instance_type),
        ("sklearn", SKLEARN_VERSION, settings.processing.instance_type),
    ]


def _monitoring_on(config: ProjectConfig) -> bool:
    realtime = config.inference.active_realtime
    return bool(realtime and realtime.monitoring.enabled and realtime.data_capture.enabled)


FEATURES: tuple[Feature, ...] = (
    Feature("security.trail.enabled", lambda c: c.security.trail.enabled, _types("AWS::CloudTrail::Trail")),
    Feature(
        "network.egress",
        lambda c: c.network.egress,
        _types(
            "AWS::EC2::EIP",
            "AWS::EC2::InternetGateway",
            "AWS::EC2::NatGateway",
            "AWS::EC2::Route",
            "AWS::EC2::VPCGatewayAttachment",
        ),
    ),
    Feature(
        "workspace.notebooks.enabled",
        lambda c: c.workspace.enabled and c.workspace.notebooks.enabled and bool(c.workspace.data_scientists),
        _types("AWS::SageMaker::NotebookInstance", "AWS::SageMaker::NotebookInstanceLifecycleConfig"),
    ),
    Feature(
        "workspace.studio.enabled",
        lambda c: c.workspace.enabled and c.workspace.studio.enabled,
        _types("AWS::SageMaker::Domain", "AWS::SageMaker::UserProfile"),
    ),
    Feature(
        "workspace.access_host.enabled",
        lambda c: c.workspace.enabled and c.workspace.access_host.enabled,
        _types("AWS::EC2::Instance", "AWS::EC2::LaunchTemplate", "AWS::IAM::InstanceProfile", "AWS::CloudWatch::Alarm"),
    ),
    Feature(
        "ingestion.enabled",
        lambda c: c.ingestion.enabled,
        _types(
            "AWS::Athena::NamedQuery",
            "AWS::Athena::WorkGroup",
            "AWS::Glue::Connection",
            "AWS::Glue::Crawler",
            "AWS::Glue::Database",
            "AWS::Glue::Job",
            "AWS::Glue::SecurityConfiguration",
            "AWS::Glue::Table",
            "AWS::Glue::Trigger",
            "AWS::KinesisFirehose::DeliveryStream",
            "AWS::Logs::LogStream",
        ),
    ),
    Feature(
        "ingestion.stream.enabled",
        lambda c: c.ingestion.enabled and c.ingestion.stream.enabled,
        _types("AWS::Kinesis::Stream"),
    ),
    Feature(
        "ingestion.catalog_encryption",
        lambda c: c.ingestion.enabled and c.ingestion.catalog_encryption,
        _types("AWS::Glue::DataCatalogEncryptionSettings"),
    ),
    Feature(
        "inference.enabled",
        lambda c: c.inference.enabled,
        _types(
            "AWS::CloudWatch::Alarm",
            "AWS::CloudWatch::Dashboard",
            "AWS::SNS::Topic",
            "AWS::SNS::TopicPolicy",
            "AWS::SageMaker::Endpoint",
            "AWS::SageMaker::EndpointConfig",
            "AWS::SageMaker::Model",
            "Custom::VariantScaling",
            "Custom::VariantScalingHandoff",
        ),
        _inference_images,
        advice="set it to false, or use another region",
    ),
    Feature(
        "inference.realtime.monitoring.enabled",
        _monitoring_on,
        _types("AWS::SageMaker::DataQualityJobDefinition", "AWS::SageMaker::MonitoringSchedule"),
        lambda c: [("model-monitor", None, None)],
        advice="set it to false, or use another region",
    ),
    Feature(
        "inference.api.enabled",
        lambda c: c.inference.enabled and c.inference.api.enabled,
        _types(
            "AWS::ApiGateway::Account",
            "AWS::ApiGateway::Deployment",
            "AWS::ApiGateway::Method",
            "AWS::ApiGateway::Model",
            "AWS::ApiGateway::RequestValidator",
            "AWS::ApiGateway::Resource",
            "AWS::ApiGateway::RestApi",
            "AWS::ApiGateway::Stage",
            "AWS::Lambda::Permission",
        ),
    ),
    Feature(
        "inference.api.waf",
        lambda c: c.inference.enabled and c.inference.api.enabled and c.inference.api.waf,
        _types("AWS::WAFv2::WebACL", "AWS::WAFv2::WebACLAssociation"),
    ),
    Feature(
        "pipelines.enabled",
        lambda c: c.pipelines.enabled,
        _types("AWS::SageMaker::ModelPackageGroup", "AWS::SageMaker::Pipeline"),
        _pipeline_images,
        advice="set it to false, or use another region",
    ),
    Feature(
        "pipelines.deploy_on_approval.enabled",
        lambda c: c.pipelines.enabled and c.pipelines.deploy_on_approval.enabled,
        _types("AWS::Events::Rule", "AWS::Lambda::Permission", "AWS::SQS::Queue", "AWS::SQS::QueuePolicy"),
    ),
    Feature("governance.config_rules", lambda c: c.governance.config_rules, _types("AWS::Config::ConfigRule")),
    # A1: the state machine calls Transcribe and Comprehend through AWS SDK integrations (no CloudFormation
    # type of theirs): each must have an endpoint in the region.
    Feature(
        "ai_services.sentiment.enabled",
        lambda c: c.ai_services.sentiment.enabled,
        _types("AWS::Events::Rule", "AWS::SQS::Queue", "AWS::SQS::QueuePolicy", "AWS::StepFunctions::StateMachine"),
        advice="set it to false, or use another region",
        services=("transcribe", "comprehend"),
    ),
    # G2. Budgets is a global service, but CloudFormation offers AWS::Budgets::Budget only in some regions.
    Feature(
        "governance.budget.enabled",
        lambda c: c.governance.budget.enabled,
        _types("AWS::Budgets::Budget", "AWS::SNS::Topic", "AWS::SNS::TopicPolicy"),
        advice="set it to false and create the account's budget from a profile in a region that has it (Budgets "
        "is global: one budget covers every region)",
    ),
    Feature(
        "governance.config_recorder",
        lambda c: c.governance.config_rules and getattr(c.governance, "config_recorder", None) == "create",
        _types("AWS::Config::ConfigurationRecorder", "AWS::Config::DeliveryChannel"),
    ),
)


# --- What the installed libraries know ------------------------------------------------------


@functools.cache
def _partitions() -> dict[str, str]:
    """Every region botocore knows SageMaker in, mapped to its partition."""
    import botocore.session

    session = botocore.session.get_session()
    return {
        region: partition
        for partition in session.get_available_partitions()
        for region in session.get_available_regions("sagemaker", partition_name=partition)
    }


@functools.cache
def service_regions(service: str) -> frozenset[str]:
    """Regions of the `aws` partition where botocore knows an endpoint of `service`."""
    import botocore.session

    return frozenset(botocore.session.get_session().get_available_regions(service, partition_name=PARTITION))


def region_problem(region: str) -> str | None:
    """None for a region of the `aws` partition with SageMaker; else why not, in one line."""
    import difflib

    partitions = _partitions()
    partition = partitions.get(region)
    if partition == PARTITION:
        return None
    if partition is not None:
        return (
            f"{region!r} is in the {partition} partition; this project's templates and gates are built and "
            f"checked for the {PARTITION} partition only"
        )
    ours = sorted(r for r, p in partitions.items() if p == PARTITION)
    close = difflib.get_close_matches(region, ours, n=3, cutoff=0.7)
    hint = f"; did you mean {' or '.join(close)}?" if close else f"; SageMaker regions: {', '.join(ours)}"
    return f"{region!r} is not an AWS region that offers SageMaker (botocore's endpoint data){hint}"


@functools.cache
def resource_types(region: str) -> frozenset[str] | None:
    """CloudFormation resource types offered in `region` (cfn-lint's data); None if it has none."""
    providers = resources.files("cfnlint") / "data" / "schemas" / "providers" / f"{region}.json"
    if not providers.is_file():
        return None
    return frozenset(json.loads(providers.read_text(encoding="utf-8")))


@functools.cache
def image_problem(family: str, version: str | None, region: str, instance_type: str | None) -> str | None:
    """None when the SageMaker SDK has `family`:`version` in `region`; else its reason."""
    try:
        image_uri(family, version, region, instance_type)
    except ValueError as error:
        return str(error).split(". ", 1)[0]
    return None


@functools.cache
def image_uri(family: str, version: str | None, region: str, instance_type: str | None = None) -> str:
    """The image URI from the SDK's bundled data (no AWS call); ValueError when it has none."""
    from sagemaker.core import image_uris  # ~2 s import: only when a profile is checked or built

    return image_uris.retrieve(family, region=region, version=version, instance_type=instance_type)


def problems(config: ProjectConfig) -> list[str]:
    """One line per feature the profile turns on that its region does not offer."""
    region = config.region
    offered = resource_types(region)
    found = []
    for feature in FEATURES:
        if not feature.enabled(config):
            continue
        needed = {t for t in feature.resource_types if t.startswith("AWS::")}
        missing = sorted(needed - offered) if offered is not None else []
        if missing:
            found.append(
                f"{feature.switch}: CloudFormation has no {', '.join(missing)} in {region} (cfn-lint's "
                f"resource list for the region); {feature.advice}"
            )
        for family, version, instance_type in dict.fromkeys(feature.images(config)):
            reason = image_problem(family, version, region, instance_type)
            if reason:
                found.append(
                    f"{feature.switch}: the SageMaker SDK has no {family}:{version or 'latest'} image in "
                    f"{region} ({reason}); {feature.advice}"
                )
        for service in feature.services:
            if region not in service_regions(service):
                found.append(
                    f"{feature.switch}: {service} has no endpoint in {region} (botocore's endpoint data); "
                    f"{feature.advice}"
                )
    if offered is not None:
        missing = sorted(t for t in ALWAYS_ON - offered if t.startswith("AWS::") and t != "AWS::CDK::Metadata")
        if missing:
            found.append(f"region: CloudFormation has no {', '.join(missing)} in {region}, which every profile needs")
    return found
