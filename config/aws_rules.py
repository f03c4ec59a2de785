"""AWS feature rules: combinations AWS documents as unsupported, refused before synthesis.

One table (`RULES`) holds every combination the profile could ask for that SageMaker refuses,
or accepts and then cannot honour. Each row names the combination, where AWS says so (a shape
of botocore's SageMaker service model, whose text is the API reference, or a developer-guide
page) and the message the user sees, which names the config field to change. The section
validators (`config.inference`, `config.pipelines`, `config.model`) look their rows up here
instead of carrying their own text, and `tests/test_aws_rules_table.py` proves every row refuses a
bad profile through `config.loader`.

Rows whose `enforced_by` is set cannot be broken from a profile (no field can ask for the
combination); they are listed so the table is the whole story, and a test keeps the reason true.

The second half checks every `instance_type` field against the offerings for its kind of job,
from the same botocore service model (`INSTANCE_KINDS`). Which instance families carry local
NVMe instance storage (`has_instance_storage`) is encoded once in `ml_constructs.instance_storage`,
which the constructs and pipeline definitions read too: jobs and endpoints on those types are
built without a volume key (the `*-local-storage-no-volume-key` rows).
"""

from __future__ import annotations

import difflib
import functools
from dataclasses import dataclass

# The one list of local-storage families, shared with the constructs (re-exported for the validators).
from ml_constructs.instance_storage import INSTANCE_STORE_DOC, INSTANCE_STORE_ENCRYPTION_DOC
from ml_constructs.instance_storage import INSTANCE_STORE_FAMILIES as INSTANCE_STORE_FAMILIES
from ml_constructs.instance_storage import has_instance_storage as has_instance_storage

# Developer-guide pages quoted by the rules below.
GUARDRAILS_DOC = "https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-exclusions.html"
SHADOW_DOC = "https://docs.aws.amazon.com/sagemaker/latest/dg/shadow-tests-exclusions.html"
SERVERLESS_DOC = "https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html"
BOTOCORE = "botocore sagemaker service-2.json"


@dataclass(frozen=True)
class FeatureRule:
    """One unsupported combination: what it is, where AWS says so, what the user reads."""

    key: str
    patterns: str
    combination: str
    source: str
    message: str
    enforced_by: str | None = None

    def problem(self, **values: object) -> str:
        """The message with `values` filled in, ending with the source it rests on."""
        return f"{self.message.format(**values)} ({self.source})"


_SHADOW_QUOTE = (
    '"If you use this field, you can only specify one variant for ProductionVariants and one variant for '
    'ShadowProductionVariants"'
)
_GUARDRAILS_INF1_QUOTE = (
    '"If your endpoint uses any of the following features, you cannot use deployment guardrails on your '
    "endpoint, and your endpoint will fall back to using a blue/green deployment with all at once traffic "
    'shifting and no final baking period: ... Endpoints that use Inf1 (Inferentia-based) instances"'
)
_ROLLING_QUOTE = (
    "\"If you're doing a rolling deployment, there are additional feature-based exclusions: "
    'Serverless inference endpoints, Multi-variant inference endpoints"'
)
_SHADOW_INF1_QUOTE = (
    '"If your endpoint uses any of the following features you cannot use shadow tests on your endpoint: ... '
    'Endpoints that use Inf1 (Inferentia-based) instances"'
)
SERVERLESS_EXCLUSION = (
    "Serverless Inference does not support VPC configuration, network isolation, data capture, multiple "
    "production variants, Model Monitor or inference pipelines (feature exclusions)"
)
_LOCAL_STORAGE_QUOTE = (
    "\"Local storage volumes are encrypted using a hardware module on the instance. You can't request a "
    'VolumeKmsKeyId when using an instance type with local storage."'
)
_LOCAL_STORAGE_FACT = (
    "{field} {instance_type!r} has local NVMe instance storage, where SageMaker takes no volume KMS key: "
    + _LOCAL_STORAGE_QUOTE
    + "; {jobs} on it are built without one (the storage is encrypted with XTS-AES-256 by a hardware module, "
    "which cannot be disabled) and the N8 guardrail exempts these types through sagemaker:InstanceTypes"
)
_LOCAL_STORAGE_ENFORCED = (
    "ml_constructs.instance_storage.volume_key_for omits the volume key for instance types with local storage "
    "({builders}); no profile field sets the key (tests/test_local_storage.py)"
)

RULES: dict[str, FeatureRule] = {
    rule.key: rule
    for rule in (
        FeatureRule(
            key="shadow-needs-one-production-variant",
            patterns="E2",
            combination="shadow variants on an endpoint with more than one production variant",
            source=f"{BOTOCORE}: CreateEndpointConfigInput.ShadowProductionVariants",
            message=(
                "{field}: a shadow variant needs exactly one production variant beside it, but "
                "{variants} has {count}: " + _SHADOW_QUOTE + "; keep one production variant, or move the "
                "shadow variant to inference.shadow_test (the shadow-test endpoint, E2)"
            ),
        ),
        FeatureRule(
            key="at-most-one-shadow-variant",
            patterns="E2",
            combination="more than one shadow variant",
            source=f"{BOTOCORE}: CreateEndpointConfigInput.ShadowProductionVariants",
            message="{field}: {count} shadow variants given, AWS takes one: " + _SHADOW_QUOTE,
        ),
        FeatureRule(
            key="shadow-not-on-inf1",
            patterns="E2",
            combination="shadow variants on an endpoint that uses Inf1 instances",
            source=SHADOW_DOC,
            message="{field}: shadow tests cannot run on Inf1 instances: " + _SHADOW_INF1_QUOTE,
        ),
        FeatureRule(
            key="guardrails-not-on-inf1",
            patterns="E3",
            combination="canary, linear or rolling guardrails (or a baking period) on Inf1 instances",
            source=GUARDRAILS_DOC,
            message=(
                "{field}: {mode} deployment guardrails cannot be used with Inf1 instances: "
                + _GUARDRAILS_INF1_QUOTE
                + "; use {deployment} mode all-at-once with baking_seconds: 0, or another "
                "instance family"
            ),
        ),
        FeatureRule(
            key="rolling-needs-one-variant",
            patterns="E3",
            combination="rolling deployment of an endpoint with more than one variant (a shadow variant counts)",
            source=GUARDRAILS_DOC,
            message=(
                "{field} rolling cannot update an endpoint with {count} variants: "
                + _ROLLING_QUOTE
                + "; use canary, linear or all-at-once"
            ),
        ),
        FeatureRule(
            key="rolling-not-on-serverless",
            patterns="E3, E8",
            combination="rolling deployment of a serverless endpoint",
            source=GUARDRAILS_DOC,
            message="a serverless endpoint cannot take a rolling deployment: " + _ROLLING_QUOTE,
            enforced_by="the serverless endpoint (ml_constructs.inference.ServerlessEndpoint) has no deployment "
            "configuration and inference.serverless no deployment field",
        ),
        FeatureRule(
            key="serverless-no-vpc-or-isolation",
            patterns="E8, N7",
            combination="a serverless endpoint whose model asks for the VPC and network isolation",
            source=SERVERLESS_DOC,
            message=(
                "inference.serverless.model {model!r} asks for network isolation (and so the VPC), but "
                + SERVERLESS_EXCLUSION
                + "; declare a separate model with network_isolation: false and a network_isolation_exception "
                "for the serverless endpoint"
            ),
        ),
        FeatureRule(
            key="serverless-no-kms-key",
            patterns="E8",
            combination="a KMS key on a serverless endpoint configuration",
            source=SERVERLESS_DOC,
            message="a serverless endpoint configuration takes no KmsKeyId: it has no instance storage volume",
            enforced_by="ServerlessEndpoint sets no KmsKeyId and inference.serverless has no key field",
        ),
        FeatureRule(
            key="serverless-no-data-capture",
            patterns="E6, E8",
            combination="data capture or Model Monitor on a serverless endpoint",
            source=SERVERLESS_DOC,
            message="a serverless endpoint cannot capture data: " + SERVERLESS_EXCLUSION,
            enforced_by="ServerlessEndpoint sets no DataCaptureConfig; the data_capture and "
            "monitoring fields belong to the instance-backed real-time endpoints only",
        ),
        FeatureRule(
            key="serverless-no-shadow",
            patterns="E2, E8",
            combination="shadow or further production variants on a serverless endpoint",
            source=SERVERLESS_DOC,
            message="a serverless endpoint has one production variant and no shadow: " + SERVERLESS_EXCLUSION,
            enforced_by="ServerlessEndpoint builds exactly one production variant; inference.serverless has no "
            "variant fields",
        ),
        FeatureRule(
            key="training-local-storage-no-volume-key",
            patterns="M1, M3, M5, N8",
            combination="training or tuning jobs with a volume KMS key on an instance type with local storage",
            source=(
                f"{BOTOCORE}: ResourceConfig.VolumeKmsKeyId, HyperParameterTuningResourceConfig.VolumeKmsKeyId; "
                f"{INSTANCE_STORE_DOC}; {INSTANCE_STORE_ENCRYPTION_DOC}"
            ),
            message=_LOCAL_STORAGE_FACT.replace("{jobs}", "training and tuning jobs"),
            enforced_by=_LOCAL_STORAGE_ENFORCED.format(
                builders="pipelines/training_trainer.py: ModelTrainer's Compute"
            ),
        ),
        FeatureRule(
            key="processing-local-storage-no-volume-key",
            patterns="M1, N8",
            combination="processing jobs with a volume KMS key on an instance type with local storage",
            source=f"{BOTOCORE}: ProcessingClusterConfig.VolumeKmsKeyId; {INSTANCE_STORE_DOC}; "
            f"{INSTANCE_STORE_ENCRYPTION_DOC}",
            message=_LOCAL_STORAGE_FACT.replace("{jobs}", "processing jobs"),
            enforced_by=_LOCAL_STORAGE_ENFORCED.format(builders="pipelines/training_jobs.py: ScriptProcessor"),
        ),
        FeatureRule(
            key="transform-local-storage-no-volume-key",
            patterns="M7, N8",
            combination="batch transform jobs with a volume KMS key on an instance type with local storage",
            source=f"{BOTOCORE}: TransformResources.VolumeKmsKeyId; {INSTANCE_STORE_DOC}; "
            f"{INSTANCE_STORE_ENCRYPTION_DOC}",
            message=_LOCAL_STORAGE_FACT.replace("{jobs}", "batch transform jobs"),
            enforced_by=_LOCAL_STORAGE_ENFORCED.format(builders="pipelines/training_jobs.py: Transformer"),
        ),
        FeatureRule(
            key="monitoring-local-storage-no-volume-key",
            patterns="E6, N8",
            combination="Model Monitor jobs with a volume KMS key on an instance type with local storage",
            source=(
                f"{BOTOCORE}: MonitoringClusterConfig.VolumeKmsKeyId (monitoring jobs run as processing jobs: "
                f"ProcessingClusterConfig.VolumeKmsKeyId); {INSTANCE_STORE_DOC}; {INSTANCE_STORE_ENCRYPTION_DOC}"
            ),
            message=_LOCAL_STORAGE_FACT.replace("{jobs}", "monitoring jobs"),
            enforced_by=_LOCAL_STORAGE_ENFORCED.format(
                builders="ml_constructs/data_quality_monitor.py: the monitoring job definition's MonitoringResources"
            ),
        ),
        FeatureRule(
            key="hosting-local-storage-no-kms-key",
            patterns="E1, E2, E9, N8",
            combination="an endpoint configuration with a KmsKeyId and a variant on an instance type with local "
            "storage",
            source=(
                f'{BOTOCORE}: CreateEndpointConfigInput.KmsKeyId ("If any of the models that you specify in the '
                "ProductionVariants parameter use nitro-based instances with local storage, the KmsKeyId parameter "
                'does not encrypt instance local storage"; earlier API reference text: the call fails); '
                f"{INSTANCE_STORE_DOC}; {INSTANCE_STORE_ENCRYPTION_DOC}"
            ),
            message=(
                "{field} {instance_type!r} has local NVMe instance storage, which an endpoint configuration's "
                "KmsKeyId does not encrypt (and which AWS's API reference said makes CreateEndpointConfig fail); "
                "the endpoint configuration is built without one, its storage being hardware-encrypted"
            ),
            enforced_by=_LOCAL_STORAGE_ENFORCED.format(
                builders="ml_constructs/guarded_endpoint.py: endpoint configurations' KmsKeyId"
            ),
        ),
    )
}


def rule(key: str) -> FeatureRule:
    return RULES[key]


# --- Instance types -------------------------------------------------------------------------

# Kind of job -> (botocore enum shape listing its instance types, what SageMaker does on them).
INSTANCE_KINDS: dict[str, tuple[str, str]] = {
    "hosting": ("ProductionVariantInstanceType", "hosts endpoints on"),
    "notebook": ("InstanceType", "runs notebook instances on"),
    "training": ("TrainingInstanceType", "runs training and tuning jobs on"),
    "processing": ("ProcessingInstanceType", "runs processing jobs on"),
    "monitoring": ("ProcessingInstanceType", "runs Model Monitor jobs on"),  # MonitoringClusterConfig.InstanceType
    "transform": ("TransformInstanceType", "runs batch transform jobs on"),
}


@functools.cache
def instance_types(kind: str) -> frozenset[str]:
    """Instance types offered for `kind`, from botocore's SageMaker service model (no network)."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("sagemaker")
    return frozenset(model.shape_for(INSTANCE_KINDS[kind][0]).enum)


def _family(instance_type: str) -> str:
    return instance_type.rsplit(".", 1)[0]


def instance_type_problem(field: str, instance_type: str, kind: str) -> str | None:
    """None when SageMaker offers `instance_type` for `kind`; else a message naming `field`."""
    known = instance_types(kind)
    if instance_type in known:
        return None
    verb = INSTANCE_KINDS[kind][1]
    family = _family(instance_type)
    families = {_family(t) for t in known}
    if family not in families:
        close = difflib.get_close_matches(family, sorted(families), n=3)
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        return f"{field} {instance_type!r}: instance family {family} is not one SageMaker {verb}{hint}"
    sizes = sorted(t for t in known if _family(t) == family)
    close = difflib.get_close_matches(instance_type, sizes, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return (
        f"{field} {instance_type!r} is not a SageMaker {kind} instance type{hint}; {family} offers {', '.join(sizes)}"
    )
