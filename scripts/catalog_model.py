"""The catalog's data model: pattern statuses, the ID syntax, `Pattern` and the `Selector`s that find
its resources in synthesized templates (scripts/catalog.py gathers the patterns and renders them)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

IMPLEMENTED, DOCUMENTED, PLANNED = "implemented", "documented", "planned"

# A pattern ID as the code cites it: one family letter and 1-2 digits, not inside a word, a dotted
# name or a longer code. `ml.m5.large`, `g5`, `E402` (ruff), `A10G` and `N802` do not match;
# ranges (`E1-E13`) match at both ends and are expanded by `cited_ids`.
ID_PATTERN = re.compile(r"(?<![A-Za-z0-9_.\-])([NIEMAG])([1-9][0-9]?)(?![A-Za-z0-9_.])")
RANGE_PATTERN = re.compile(r"(?<![A-Za-z0-9_.\-])([NIEMAG])([1-9][0-9]?)-\1([1-9][0-9]?)(?![A-Za-z0-9_.])")


@dataclass(frozen=True)
class Selector:
    """Template resources of one of `types`, whose Properties (as compact JSON) contain every
    string of `contains`, and whose construct path (aws:cdk:path) contains `path`."""

    types: tuple[str, ...]
    contains: tuple[str, ...] = ()
    path: str = ""

    def matches(self, resource: dict) -> bool:
        if resource.get("Type") not in self.types:
            return False
        if self.path and self.path not in resource.get("Metadata", {}).get("aws:cdk:path", ""):
            return False
        text = json.dumps(resource.get("Properties", {}), sort_keys=True, separators=(",", ":"))
        return all(needle in text for needle in self.contains)

    def describe(self) -> str:
        parts = [" or ".join(f"`{t}`" for t in self.types)]
        if self.contains:
            parts.append("with " + ", ".join(f"`{c}`" for c in self.contains))
        if self.path:
            parts.append(f"at a path containing `{self.path}`")
        return " ".join(parts)


@dataclass(frozen=True)
class Pattern:
    id: str
    title: str
    rule: str
    stacks: tuple[str, ...] = ()
    modules: tuple[str, ...] = ()
    selectors: tuple[Selector, ...] = ()
    status: str = IMPLEMENTED
    note: str = ""

    def matches(self, resource: dict) -> bool:
        return any(s.matches(resource) for s in self.selectors)


def S(*types: str, contains: Iterable[str] = (), path: str = "") -> Selector:  # noqa: N802 (reads like a type)
    return Selector(tuple(types), tuple(contains), path)


SG_RULES = ("AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress")
BUCKET_POLICY = "AWS::S3::BucketPolicy"
PIPELINE = "AWS::SageMaker::Pipeline"
ENDPOINT_CONFIG = "AWS::SageMaker::EndpointConfig"
