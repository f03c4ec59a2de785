"""Stacks compose constructs and wire them; `build_platform` is the whole app for a profile."""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk

from config import ConfigError
from config.model import ProjectConfig
from stacks.ai_services import AiServicesStack
from stacks.data import DataStack
from stacks.gates import register_gates
from stacks.governance import GovernanceStack
from stacks.inference import InferenceStack
from stacks.ingestion import IngestionStack
from stacks.lake import LakeStack
from stacks.naming import stack_name
from stacks.network import NetworkStack
from stacks.pipelines import PipelinesStack
from stacks.security_baseline import SecurityBaselineStack
from stacks.workspace import WorkspaceStack


@dataclass(frozen=True)
class Platform:
    """The stacks of one profile, by role, for wiring and for tests."""

    security: SecurityBaselineStack
    network: NetworkStack
    data: DataStack
    workspace: WorkspaceStack | None
    inference: InferenceStack | None
    lake: LakeStack | None
    ingestion: IngestionStack | None
    pipelines: PipelinesStack | None
    governance: GovernanceStack | None
    ai_services: AiServicesStack | None = None

    def all(self) -> list[cdk.Stack]:
        stacks = (
            self.security,
            self.network,
            self.data,
            self.workspace,
            self.inference,
            self.lake,
            self.ingestion,
            self.pipelines,
            self.governance,
            self.ai_services,
        )
        return [s for s in stacks if s]


# The stacks that run workloads in the VPC; each says which endpoints the profile makes it need.
ENDPOINT_CONSUMERS = (NetworkStack, WorkspaceStack, InferenceStack, IngestionStack, PipelinesStack)


def endpoint_needs(config: ProjectConfig) -> dict[str, list[str]]:
    """Each interface endpoint the profile's VPC stacks need, with the stacks that need it.

    Only what the profile enables counts (no studio endpoint with Studio off, no SageMaker or ECR
    endpoint for an ingestion-only profile, ...): every endpoint bills per zone-hour.
    """
    consumers = [(stack.__name__, stack.interface_endpoints_for(config)) for stack in ENDPOINT_CONSUMERS]
    if config.workspace.enabled and config.workspace.access_host.enabled:
        consumers.insert(2, ("WorkspaceStack (access host)", WorkspaceStack.ACCESS_HOST_ENDPOINTS))
    needs: dict[str, list[str]] = {}
    for stack, endpoints in consumers:
        for endpoint in endpoints:
            needs.setdefault(endpoint, []).append(stack)
    return needs


def interface_endpoints(config: ProjectConfig) -> list[str]:
    """The endpoint set: derived from the stacks, plus extras, or an explicit list checked against the needs."""
    needs = endpoint_needs(config)
    explicit = config.network.interface_endpoints
    if explicit is None:
        return sorted(set(needs) | set(config.network.extra_interface_endpoints))
    missing = sorted(set(needs) - set(explicit))
    if missing:
        raise ConfigError(
            "the selected profile",
            [
                f"network.interface_endpoints: {name!r} is missing; {', '.join(needs[name])} needs it"
                for name in missing
            ],
        )
    return sorted(explicit)


def build_platform(app: cdk.App, config: ProjectConfig) -> Platform:
    """Create every stack of `config`'s profile in `app`, with the policy gates registered.

    Raises ConfigError, before any stack exists, when the profile asks for something the
    stacks cannot honour (e.g. an endpoint list that omits one a stack needs).
    """
    endpoints = interface_endpoints(config)
    register_gates(app)
    env = cdk.Environment(account=config.account, region=config.region)

    def stack(cls: type[cdk.Stack], construct_id: str, name: str, summary: str, **dependencies) -> cdk.Stack:
        return cls(
            app,
            construct_id,
            config=config,
            env=env,
            termination_protection=config.termination_protection,
            # The bootstrap the profile names (deploy.bootstrap_qualifier): its roles, asset
            # bucket and version parameter, which `make bootstrap` creates with that qualifier.
            synthesizer=cdk.DefaultStackSynthesizer(qualifier=config.deploy.bootstrap_qualifier),
            stack_name=stack_name(config, name),
            description=f"Secure ML reference architecture: {summary}",
            **dependencies,
        )

    security = stack(
        SecurityBaselineStack,
        "SecurityBaseline",
        "security-baseline",
        "KMS keys, access-log bucket, CloudTrail (N10-N12)",
    )
    network = stack(
        NetworkStack,
        "Network",
        "network",
        "private VPC, PrivateLink endpoints, flow logs (N1-N4, N14)",
        security=security,
        interface_endpoints=endpoints,
    )
    data = stack(
        DataStack,
        "Data",
        "data",
        "ML data buckets behind the VPC endpoint (N10, N11)",
        security=security,
        network=network,
    )
    workspace = None
    if config.workspace.enabled:
        workspace = stack(
            WorkspaceStack,
            "Workspace",
            "workspace",
            "SageMaker workspace, guardrails, ABAC (N5-N9, N13)",
            security=security,
            network=network,
            data=data,
        )
    inference = None
    if config.inference.enabled:
        inference = stack(
            InferenceStack,
            "Inference",
            "inference",
            "SageMaker models, A/B endpoint with guardrails, API (N7, E1-E13)",
            security=security,
            network=network,
            data=data,
        )
    lake = ingestion = None
    if config.ingestion.enabled:
        lake = stack(
            LakeStack,
            "Lake",
            "lake",
            "event lake buckets and Glue catalog (I4-I8)",
            security=security,
            network=network,
        )
        ingestion = stack(
            IngestionStack,
            "Ingestion",
            "ingestion",
            "Kinesis, Firehose, Glue and Athena over the lake (I1-I3, I7-I11)",
            security=security,
            network=network,
            lake=lake,
        )
    pipelines = None
    if config.pipelines.enabled:
        pipelines = stack(
            PipelinesStack,
            "Pipelines",
            "pipelines",
            "SageMaker training pipeline, model registry, approval path (M1-M7)",
            security=security,
            network=network,
            data=data,
            inference=inference,
        )
    governance = None
    if config.governance.config_rules:
        governance = stack(
            GovernanceStack, "Governance", "governance", "AWS Config rules for SageMaker (G1)", security=security
        )
    ai_services = None
    if config.ai_services.enabled:
        ai_services = stack(
            AiServicesStack,
            "AiServices",
            "ai-services",
            "managed AI service chains: caller sentiment (A1)",
            security=security,
        )
    platform = Platform(
        security=security,
        network=network,
        data=data,
        workspace=workspace,
        inference=inference,
        lake=lake,
        ingestion=ingestion,
        pipelines=pipelines,
        governance=governance,
        ai_services=ai_services,
    )
    for stack in platform.all():
        for key, value in config.tags.items():
            cdk.Tags.of(stack).add(key, value)
    return platform
