"""Which SageMaker instance types have local NVMe instance storage, and the volume key they take.

Pure Python (no CDK, no config): the config model (`config.aws_rules`), the constructs, the
pipeline definitions (`pipelines/`) and the N8 guardrail all read the one list here.

On instance types with local NVMe storage SageMaker refuses a volume KMS key for training,
tuning, processing and transform jobs ("Local storage volumes are encrypted using a hardware
module on the instance. You can't request a VolumeKmsKeyId when using an instance type with
local storage", botocore sagemaker service-2.json, ResourceConfig / ProcessingClusterConfig /
TransformResources .VolumeKmsKeyId). For endpoints the API reference has said CreateEndpointConfig
fails when KmsKeyId meets such a type, while botocore's current text says the key then does not
encrypt local storage (CreateEndpointConfigInput.KmsKeyId); the safe reading of both is to omit
the key. That storage is encrypted anyway: "The data on NVMe instance storage is encrypted using
an XTS-AES-256 block cipher implemented in a hardware module on the instance ... You cannot
disable this encryption" (EC2 User Guide, SSD instance store volumes, INSTANCE_STORE_ENCRYPTION_DOC).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import TypeVar

INSTANCE_STORE_DOC = "https://docs.aws.amazon.com/ec2/latest/instancetypes/ac.html#ac_instance-store"
INSTANCE_STORE_ENCRYPTION_DOC = "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ssd-instance-store.html"

# Instance families with local NVMe instance-store volumes (EC2 "Instance store volumes", see
# INSTANCE_STORE_DOC). Every family whose attribute letters include "d" has them (m5d, c6id,
# r7gd, g4dn, p3dn, p4d, p4de ...); these families have them without a "d" in the name.
INSTANCE_STORE_FAMILIES = frozenset(
    {"dl1", "g5", "g6", "g6e", "g7e", "p5", "p5e", "p5en", "p6-b200", "p6-b300", "p6e-gb200", "trn1", "trn1n", "trn2"}
)
_FAMILY_NAME = re.compile(r"^(?P<series>[a-z]+)(?P<generation>\d+)(?P<attributes>[a-z]*)(?:-[a-z0-9]+)*$")

T = TypeVar("T")


def family(instance_type: str) -> str:
    """`ml.g5` of `ml.g5.xlarge`."""
    return instance_type.rsplit(".", 1)[0]


def has_instance_storage(instance_type: str) -> bool:
    """True when `instance_type` (ml.<family>.<size>) carries local NVMe instance storage."""
    name = family(instance_type).removeprefix("ml.")
    if name in INSTANCE_STORE_FAMILIES:
        return True
    match = _FAMILY_NAME.match(name)
    return bool(match and "d" in match["attributes"])


def volume_key_for(instance_types: str | Iterable[str], key: T) -> T | None:
    """`key` for a job or endpoint configuration on `instance_types`; None when any of them has
    local instance storage (hardware-encrypted, and SageMaker takes no key for it)."""
    types = [instance_types] if isinstance(instance_types, str) else list(instance_types)
    return None if any(has_instance_storage(t) for t in types) else key


def instance_storage_patterns(instance_types: Iterable[str]) -> list[str]:
    """`ml.<family>.*` for each family with local storage among `instance_types` (sorted, unique):
    values for a `sagemaker:InstanceTypes` condition."""
    return sorted({f"{family(t)}.*" for t in instance_types if has_instance_storage(t)})


# botocore's enums of the instance types SageMaker offers for jobs and endpoints.
_OFFERED = ("ProductionVariantInstanceType", "TrainingInstanceType", "ProcessingInstanceType", "TransformInstanceType")


@functools.cache
def sagemaker_instance_storage_patterns() -> tuple[str, ...]:
    """`ml.<family>.*` for every family with local storage among the instance types SageMaker
    offers for endpoints, training, processing and transform (botocore's service model, no network)."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("sagemaker")
    offered = {t for shape in _OFFERED for t in model.shape_for(shape).enum}
    return tuple(instance_storage_patterns(offered))
