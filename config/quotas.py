"""SageMaker instance quotas a profile needs at once (docs/deploy.md, "Quotas").

Service Quotas counts SageMaker instances per instance type and per use ("ml.m5.large for
endpoint usage", "... for processing job usage", "... for training job usage", "... for spot
training job usage", "... for transform job usage", "... for notebook instance usage"). This
module derives each count from a profile so docs/deploy.md and the profile cannot drift
(tests/test_quotas.py compares them).

Hosting is counted at its peak: every instance-backed variant at its autoscaling maximum, doubled,
because a blue/green update (E3) provisions a full new (green) fleet at the current instance
counts before shifting traffic, and one `cdk deploy` may update several endpoints at once. The
counts at creation (initial instance counts, no update running) are given beside it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from config.model import ProjectConfig

BLUE_GREEN_FACTOR = 2  # blue fleet + green fleet while an update shifts traffic


@dataclass(frozen=True)
class HostingInstances:
    """One endpoint variant's instances: at creation and at its autoscaling maximum."""

    endpoint: str
    variant: str
    instance_type: str
    initial: int
    maximum: int


def hosting_instances(config: ProjectConfig) -> list[HostingInstances]:
    """Every instance-backed variant of every endpoint the profile deploys (serverless has none)."""
    inference = config.inference
    if not inference.enabled:
        return []
    found: list[HostingInstances] = []
    for endpoint, rollout in (("realtime", inference.active_realtime), ("shadow-test", inference.active_shadow_test)):
        if rollout is None:
            continue
        for v in rollout.variants:
            found.append(HostingInstances(endpoint, v.name, v.instance_type, v.initial_instance_count, v.max_capacity))
        for s in rollout.shadow_variants:  # not autoscaled: a fixed count
            found.append(
                HostingInstances(endpoint, s.name, s.instance_type, s.initial_instance_count, s.initial_instance_count)
            )
    if inference.asynchronous.enabled:  # scales 0..max_capacity, starts with one instance
        options = inference.asynchronous
        found.append(HostingInstances("async", "async", options.instance_type, 1, options.max_capacity))
    if inference.pipeline.enabled:  # autoscaled up to twice its instance count (stacks/inference.py)
        options = inference.pipeline
        count = options.instance_count
        found.append(HostingInstances("pipeline", "pipeline", options.instance_type, count, count * 2))
    return found


def instance_quotas(config: ProjectConfig) -> dict[str, int]:
    """Service Quotas name -> instances the profile may use at once (the value to request at least)."""
    needed: Counter[str] = Counter()
    for h in hosting_instances(config):
        needed[f"{h.instance_type} for endpoint usage"] += BLUE_GREEN_FACTOR * h.maximum
    pipelines = config.pipelines
    if pipelines.enabled:
        # The pipeline's steps run one after another: one processing job (prepare, then evaluate) at a time.
        needed[f"{pipelines.processing.instance_type} for processing job usage"] += 1
        training = pipelines.training
        parallel = pipelines.tuning.max_parallel_jobs if pipelines.tuning.enabled else 1
        use = "spot training job usage" if training.spot else "training job usage"
        needed[f"{training.instance_type} for {use}"] += training.instance_count * parallel
        if pipelines.transform.enabled:
            needed[f"{pipelines.transform.instance_type} for transform job usage"] += 1
    realtime = config.inference.active_realtime
    if realtime and realtime.monitoring.enabled and realtime.data_capture.enabled:
        needed[f"{realtime.monitoring.instance_type} for processing job usage"] += 1  # monitoring jobs
    workspace = config.workspace
    if workspace.enabled and workspace.notebooks.enabled and workspace.data_scientists:
        needed[f"{workspace.notebooks.instance_type} for notebook instance usage"] += len(workspace.data_scientists)
    return dict(sorted(needed.items()))


def hosting_at_creation(config: ProjectConfig) -> dict[str, int]:
    """Instance type -> hosting instances right after the first deploy (no update running)."""
    created: Counter[str] = Counter()
    for h in hosting_instances(config):
        created[h.instance_type] += h.initial
    return dict(sorted(created.items()))
