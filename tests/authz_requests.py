"""The authorization harness's requests and decisions (tests/authz.py): role sessions, service principals,
resource policies, one Request as IAM authorizes it, and the simulator's Decision."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gates.resolve import digest

if TYPE_CHECKING:
    from authz_world import World


class AuthzError(AssertionError):
    """The harness cannot state or evaluate a request faithfully (never a policy decision)."""


# --- Requests and decisions -----------------------------------------------------------------------


@dataclass(frozen=True)
class NamedPolicy:
    name: str
    document: dict


@dataclass(frozen=True)
class Principal:
    """An IAM role session: the role's identity policies, boundary and tags."""

    role_arn: str
    identity_policies: tuple[NamedPolicy, ...] = ()
    permission_boundaries: tuple[NamedPolicy, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    session_name: str = "authz"

    @classmethod
    def from_template(
        cls, template: dict, role_id: str, *, stack_name: str = "Stack", region: str = "us-east-1"
    ) -> Principal:
        from authz_world import World

        return World.single(template, stack_name=stack_name, region=region).principal(stack_name, role_id)

    @classmethod
    def role(cls, arn: str, *policies: dict, boundary: dict | None = None, tags: Mapping[str, str] | None = None):
        """A hand-written role: its ARN and identity policy documents."""
        return cls(
            role_arn=arn,
            identity_policies=tuple(NamedPolicy(f"policy-{i}", p) for i, p in enumerate(policies)),
            permission_boundaries=(NamedPolicy("boundary", boundary),) if boundary else (),
            tags=dict(tags or {}),
        )

    @property
    def account(self) -> str:
        return self.role_arn.split(":")[4]

    @property
    def name(self) -> str:
        return self.role_arn.rsplit("/", 1)[-1]

    @property
    def session_arn(self) -> str:
        partition = self.role_arn.split(":")[1]
        return f"arn:{partition}:sts::{self.account}:assumed-role/{self.name}/{self.session_name}"

    def context(self) -> dict[str, Any]:
        """What IAM puts in the request context of every call of a role session."""
        role_id = "AROA" + digest(self.role_arn, length=17).upper()
        return {
            "aws:PrincipalArn": self.role_arn,
            "aws:PrincipalAccount": self.account,
            "aws:PrincipalType": "AssumedRole",
            "aws:userid": f"{role_id}:{self.session_name}",
            "aws:PrincipalIsAWSService": "false",
            **{f"aws:PrincipalTag/{k}": v for k, v in self.tags.items()},
        }


@dataclass(frozen=True)
class ServicePrincipal:
    """An AWS service acting with its own service principal (cloudwatch.amazonaws.com publishing
    an alarm, ...): no identity policy or boundary applies, the resource policy alone decides.
    The service's request context (aws:SourceAccount, aws:SourceArn) is stated by the request."""

    service: str
    identity_policies: tuple[NamedPolicy, ...] = ()
    permission_boundaries: tuple[NamedPolicy, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def account(self) -> str:
        return ""  # a service principal belongs to no account of the request

    @property
    def name(self) -> str:
        return self.service

    @property
    def session_arn(self) -> str:
        return self.service  # the simulator takes the service principal's name as the principal

    def context(self) -> dict[str, Any]:
        return {"aws:PrincipalIsAWSService": "true", "aws:PrincipalServiceName": self.service}


@dataclass(frozen=True)
class ResourcePolicy:
    """The policy a resource carries (None when it has none) and the account that owns it."""

    arn: str
    document: dict | None
    account: str
    kind: str = ""

    @classmethod
    def bucket(cls, source: World | dict, bucket_id: str, stack: str | None = None) -> ResourcePolicy:
        world, stack = _world_and_stack(source, stack)
        return world.bucket_policy(stack, bucket_id)

    @classmethod
    def key(cls, source: World | dict, key_id: str, stack: str | None = None) -> ResourcePolicy:
        world, stack = _world_and_stack(source, stack)
        return world.key_policy(stack, key_id)

    @classmethod
    def topic(cls, source: World | dict, topic_id: str, stack: str | None = None) -> ResourcePolicy:
        world, stack = _world_and_stack(source, stack)
        return world.topic_policy(stack, topic_id)

    @classmethod
    def queue(cls, source: World | dict, queue_id: str, stack: str | None = None) -> ResourcePolicy:
        world, stack = _world_and_stack(source, stack)
        return world.queue_policy(stack, queue_id)


def _world_and_stack(source: World | dict, stack: str | None) -> tuple[World, str]:
    from authz_world import World

    if isinstance(source, World):
        if stack is None:
            raise AuthzError("name the stack of the resource")
        return source, stack
    return World.single(source), "Stack"


def _any_principal_as_star(document: dict) -> dict:
    """An endpoint policy with `{"AWS": "*"}` written `"*"`: IAM treats the two alike, the
    simulator accepts only the second in endpoint policies."""
    document = copy.deepcopy(document)
    for statement in document.get("Statement", []):
        if statement.get("Principal") == {"AWS": "*"}:
            statement["Principal"] = "*"
    return document


def _context_value(value: Any) -> str | list[str]:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return [str(_context_value(v)) for v in value]
    return str(value)


@dataclass(frozen=True)
class Request:
    """One API request as IAM authorizes it.

    `context` holds keys the test states about the request: the harness fails when the
    simulator would ignore one (a key the action never carries makes a test that cannot fail).
    `derived_context` holds keys derived from an API call's parameters, some of which AWS sends
    only for some actions. A key set to None is left out of the request (to test its absence).
    """

    principal: Principal | ServicePrincipal
    action: str
    resource: str
    context: Mapping[str, Any] = field(default_factory=dict)
    derived_context: Mapping[str, Any] = field(default_factory=dict)
    resource_policy: ResourcePolicy | None = None
    resource_account: str | None = None
    endpoint_policies: tuple[NamedPolicy, ...] = ()
    region: str | None = None
    label: str = ""

    @property
    def account(self) -> str:
        """The account that owns the resource: from its ARN, else as stated, else its policy's, else the
        caller's (S3 ARNs name no account)."""
        parts = self.resource.split(":")
        if len(parts) > 4 and re.fullmatch(r"\d{12}", parts[4]):
            return parts[4]
        if self.resource_account:
            return self.resource_account
        return self.resource_policy.account if self.resource_policy else self.principal.account

    def full_context(self) -> dict[str, str | list[str]]:
        arn = self.resource.split(":")
        region = arn[3] if len(arn) > 3 and arn[3] and arn[3] != "*" else self.region
        defaults: dict[str, Any] = {
            **self.principal.context(),
            "aws:SecureTransport": "true",
            "aws:ViaAWSService": "false",
            "aws:ResourceAccount": self.account,
            "aws:CurrentTime": "2026-12-01T12:00:00Z",
            "aws:EpochTime": "1796126400",
        }
        if region:
            defaults["aws:RequestedRegion"] = region
        if self.action.lower().startswith("s3:"):
            defaults["s3:TlsVersion"] = "1.3"
            defaults["s3:authType"] = "REST-HEADER"
            defaults["s3:signatureversion"] = "AWS4-HMAC-SHA256"
        merged = {**defaults, **self.derived_context, **self.context}
        return {k: _context_value(v) for k, v in merged.items() if v is not None}

    def simulation(self) -> dict:
        simulation: dict[str, Any] = {
            "request": {
                "principal": self.principal.session_arn,
                "action": self.action,
                "resource": {"resource": self.resource, "accountId": self.account},
                "contextVariables": self.full_context(),
            },
            "identityPolicies": [{"name": p.name, "policy": p.document} for p in self.principal.identity_policies],
            "serviceControlPolicies": [],
            "resourceControlPolicies": [],
        }
        if self.resource_policy is not None and self.resource_policy.document is not None:
            simulation["resourcePolicy"] = self.resource_policy.document
        if self.principal.permission_boundaries:
            simulation["permissionBoundaryPolicies"] = [
                {"name": p.name, "policy": p.document} for p in self.principal.permission_boundaries
            ]
        if self.endpoint_policies:
            simulation["vpcEndpointPolicies"] = [
                {"name": p.name, "policy": _any_principal_as_star(p.document)} for p in self.endpoint_policies
            ]
        return simulation

    def describe(self) -> str:
        stated = {k: v for k, v in {**self.derived_context, **self.context}.items()}
        label = f"[{self.label}] " if self.label else ""
        return f"{label}{self.principal.name} {self.action} {self.resource} {json.dumps(stated, default=str)}"

    def decide(self) -> Decision:
        from authz_simulator import evaluate

        return evaluate([self])[0]


@dataclass(frozen=True)
class Decision:
    request: Request
    result: str  # Allowed | ExplicitlyDenied | ImplicitlyDenied
    denials: list[dict]
    grants: list[dict]
    ignored_context_keys: list[str]
    explain: dict

    @property
    def allowed(self) -> bool:
        return self.result == "Allowed"

    @property
    def denied(self) -> bool:
        return self.result in ("ExplicitlyDenied", "ImplicitlyDenied")

    @property
    def explicitly_denied(self) -> bool:
        return self.result == "ExplicitlyDenied"

    def denying_statements(self) -> list[str]:
        """`<policy type>:<Sid or statement index>` of each explicit deny, `<policy type>:implicit`
        for each policy type that grants nothing here (types: identity, resource, pb, vpce, scp, rcp)."""
        return [
            f"{d['policyType']}:{d.get('statementId') or d.get('statementIndex')}"
            if d["denialType"] == "Explicit"
            else f"{d['policyType']}:implicit"
            for d in self.denials
        ]

    def granting_statements(self) -> list[str]:
        """`<policy type>:<Sid or statement index>` of each statement that allowed the request."""
        return [f"{g['policyType']}:{g.get('statementId') or g.get('statementIndex')}" for g in self.grants]

    @property
    def reason(self) -> str:
        lines = [f"{self.result}: {self.request.describe()}"]
        for denial in self.denials:
            where = denial.get("statementId") or denial.get("statementIndex") or denial.get("identifier") or ""
            policy = denial.get("policyIdentifier", "")
            lines.append(f"  {denial['denialType']} deny by {denial['policyType']} {policy} {where}".rstrip())
        for grant in self.grants:
            lines.append(
                f"  allowed by {grant['policyType']} {grant.get('policyIdentifier', '')} "
                f"{grant.get('statementId') or grant.get('statementIndex')}"
            )
        if self.ignored_context_keys:
            lines.append(f"  context keys this action does not carry (ignored): {self.ignored_context_keys}")
        for kind in ("identity", "resource", "permissionBoundary", "endpoint"):
            part = self.explain.get(kind)
            if not part or self.allowed:
                continue
            lines.append(f"  {kind}: {part['result']}")
            for label in ("deny", "unmatched"):
                for statement in part.get(label, []):
                    lines.append(f"    {label} {json.dumps(statement)}")
        return "\n".join(lines)
