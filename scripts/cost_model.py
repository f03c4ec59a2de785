"""The cost estimate's data (pattern G2): the stated assumptions, the price table, the estimate's lines,
and reading a synthesized cloud assembly (scripts/cost.py estimates and reports)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
PRICES = Path(__file__).resolve().parent / "prices.yaml"
ASSEMBLIES = ROOT / "build" / "assembly"

# Stated assumptions: every figure below depends on them, and the report prints them.
ASSUMPTIONS = (
    "730 hours a month; on-demand list prices before free tier, taxes, Savings Plans and spot discounts.",
    "Idle: nobody uses the profile. Notebook instances and the access host are stopped by their idle stop, "
    "so only their volumes bill; a notebook without an idle stop (no lifecycle configuration) runs 730 h.",
    "Real-time endpoints run their variants' minimum capacity (Custom::VariantScaling MinCapacity, else the "
    "initial count); shadow variants their initial count; serverless and asynchronous endpoints at minimum 0 "
    "cost nothing idle.",
    "CloudTrail: the trail is the account's first copy of management events (free); data events bill per use.",
    "Scheduled Glue runs bill at least their minimum (crawler 10 minutes at 2 DPU, job 1 minute at its "
    "workers' DPUs) even with no new data; Athena, S3 and Lambda bill only for use. Empty buckets and log "
    "groups cost nothing; logs bill per GB ingested and stored.",
    "A prediction: 10 KB in and out, 100 ms of serverless compute; a lake record 1 KB.",
    "A pipeline run: every step at its maximum runtime on on-demand instances (an upper bound; managed spot "
    "training bills less).",
)


@dataclass(frozen=True)
class Prices:
    as_of: str
    hours: float
    items: dict[str, dict]

    @classmethod
    def load(cls, path: Path = PRICES) -> Prices:
        data = yaml.safe_load(path.read_text())
        return cls(as_of=str(data["as_of"]), hours=float(data["hours_per_month"]), items=data["items"])

    def price(self, item: str, region: str, variant: str | None = None) -> float | None:
        """The price of `item` (of `variant`, e.g. an instance type) in `region`; None when not sourced."""
        prices = self.items[item]["prices"]
        if variant is not None:
            prices = prices.get(variant, {})
        value = prices.get(region)
        return None if value is None else float(value)

    def regions(self) -> set[str]:
        found: set[str] = set()
        for item in self.items.values():
            for key, value in item["prices"].items():
                found.update(value if isinstance(value, dict) else [key])
        return found


@dataclass(frozen=True)
class Line:
    stack: str
    what: str
    quantity: float
    unit: str
    item: str
    unit_price: float | None

    @property
    def monthly(self) -> float | None:
        return None if self.unit_price is None else self.quantity * self.unit_price


@dataclass
class Estimate:
    """One profile: idle lines per stack and per-unit lines, in one region."""

    profile: str
    region: str
    idle: list[Line] = field(default_factory=list)
    per_unit: list[Line] = field(default_factory=list)
    budget_usd: float | None = None
    stacks: list[str] = field(default_factory=list)

    def stack_totals(self) -> dict[str, tuple[float, bool]]:
        """Idle $/month per stack, and whether every line had a price."""
        totals: dict[str, tuple[float, bool]] = dict.fromkeys(self.stacks, (0.0, True))
        for line in self.idle:
            total, complete = totals.get(line.stack, (0.0, True))
            totals[line.stack] = (total + (line.monthly or 0.0), complete and line.monthly is not None)
        return totals

    def total(self) -> tuple[float, bool]:
        totals = self.stack_totals().values()
        return sum(t for t, _ in totals), all(c for _, c in totals)


# --- Reading the assembly ------------------------------------------------------------------------


def _stacks(assembly: Path) -> dict[str, tuple[dict, str]]:
    """Artifact id -> (template, region) for every stack of the assembly."""
    manifest = json.loads((assembly / "manifest.json").read_text())
    found = {}
    for artifact_id, artifact in manifest["artifacts"].items():
        if artifact["type"] != "aws:cloudformation:stack":
            continue
        region = artifact["environment"].rsplit("/", 1)[-1]
        template = json.loads((assembly / artifact["properties"]["templateFile"]).read_text())
        found[artifact_id] = (template, region)
    return found


def _ref_id(value: object) -> str | None:
    if isinstance(value, dict):
        if "Ref" in value:
            return value["Ref"]
        if "Fn::GetAtt" in value:
            return value["Fn::GetAtt"][0]
    return None


def _runs_per_month(cron: str) -> float:
    """Runs a month of a cron(min hour dom month dow year) schedule: hourly, daily or weekly shapes."""
    fields = cron.removeprefix("cron(").removesuffix(")").split()
    minute, hour, dom, _, dow = fields[:5]
    per_day = 24 if hour == "*" else len(hour.split(","))
    per_day *= len(minute.split(",")) if minute != "*" else 60
    days = 30.42 if dom in ("*", "?") and dow in ("*", "?") else (4.35 * len(dow.split(",")) if dom == "?" else 1)
    return per_day * days
