"""Monthly cost of each stack of each profile, read from the synthesized templates (pattern G2).

G2: endpoints and notebooks bill while idle. `idle` is what a deployed profile costs in a month in
which nobody uses it: interface endpoints per AZ-hour, SageMaker hosting instances at their minimum
capacity (the Custom::VariantScaling targets; serverless and asynchronous endpoints at minimum 0
cost nothing idle), notebooks and the access host stopped by their idle stop (storage only), NAT
gateways, KMS keys, Kinesis shards or on-demand streams, CloudWatch alarms and dashboards, and the
scheduled Glue crawler and job at their minimum billed run. `per unit` lines price use: predictions,
GB ingested, one pipeline run at its maximum runtimes.

Prices come from `scripts/prices.yaml` (dated, one source per item). A region the table has no figure
for is never guessed: that line reads "no price" and the stack's total is marked incomplete.

    python -m scripts.cost                      # every profile in build/assembly/
    python -m scripts.cost build/assembly/sandbox --markdown
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scripts.cost_model import (
    ASSEMBLIES,
    ASSUMPTIONS,
    PRICES,
    ROOT,
    Estimate,
    Line,
    Prices,
    _stacks,
)
from scripts.cost_services import _ingestion, _pipelines, _sagemaker_hosting, _workspace

__all__ = [
    "ASSEMBLIES",
    "ASSUMPTIONS",
    "PRICES",
    "ROOT",
    "Estimate",
    "Line",
    "Prices",
    "estimate",
    "estimates",
    "main",
    "markdown",
    "table",
]

# --- Estimating ----------------------------------------------------------------------------------


def estimate(assembly: Path, prices: Prices | None = None, *, profile: str | None = None) -> Estimate:
    """The idle and per-unit estimate of one synthesized profile (a cloud assembly directory)."""
    prices = prices or Prices.load()
    stacks = _stacks(assembly)
    region = next(iter(stacks.values()))[1] if stacks else "us-east-1"
    result = Estimate(profile=profile or assembly.name, region=region, stacks=list(stacks))
    hours = prices.hours

    def idle(stack: str, what: str, quantity: float, unit: str, item: str, variant: str | None = None) -> None:
        result.idle.append(Line(stack, what, quantity, unit, item, prices.price(item, region, variant)))

    def unit_line(stack: str, what: str, parts: list[tuple[float, str, str | None]], unit: str) -> None:
        """A per-unit line whose price is the sum of quantity x price of `parts`; None if one is missing."""
        total: float | None = 0.0
        for quantity, item, variant in parts:
            price = prices.price(item, region, variant)
            total = None if price is None or total is None else total + quantity * price
        result.per_unit.append(Line(stack, what, 1, unit, "+".join(p[1] for p in parts), total))

    for stack, (template, _) in stacks.items():
        resources = template.get("Resources", {})
        by_type: dict[str, dict[str, dict]] = {}
        for logical_id, resource in resources.items():
            by_type.setdefault(resource["Type"], {})[logical_id] = resource.get("Properties", {})

        for p in by_type.get("AWS::EC2::VPCEndpoint", {}).values():
            if p.get("VpcEndpointType") == "Interface":
                service = str(p.get("ServiceName")).split(f".{region}.", 1)[-1]
                azs = len(p.get("SubnetIds", [])) or 1
                idle(
                    stack,
                    f"interface endpoint {service} x {azs} AZ",
                    azs * hours,
                    "AZ-hours",
                    "vpc.interface_endpoint_hour",
                )
        if by_type.get("AWS::EC2::VPCEndpoint"):
            unit_line(stack, "per GB through interface endpoints", [(1, "vpc.interface_endpoint_gb", None)], "GB")
        for _ in by_type.get("AWS::EC2::NatGateway", {}):
            idle(stack, "NAT gateway", hours, "hours", "vpc.nat_gateway_hour")
        if by_type.get("AWS::EC2::NatGateway"):
            unit_line(stack, "per GB through a NAT gateway", [(1, "vpc.nat_gateway_gb", None)], "GB")
        keys = by_type.get("AWS::KMS::Key", {})
        if keys:
            idle(stack, "KMS customer-managed keys", len(keys), "keys", "kms.key_month")
        for p in by_type.get("AWS::CloudTrail::Trail", {}).values():
            idle(stack, "CloudTrail management events (first copy)", 1, "trails", "cloudtrail.management_trail_month")
            if p.get("EventSelectors") or p.get("AdvancedEventSelectors"):
                unit_line(
                    stack, "per 100,000 CloudTrail data events", [(1, "cloudtrail.data_events_100k", None)], "100k"
                )
        if by_type.get("AWS::Config::ConfigurationRecorder"):
            unit_line(stack, "per Config configuration item recorded", [(1, "config.configuration_item", None)], "item")
        rules = by_type.get("AWS::Config::ConfigRule", {})
        if rules:
            unit_line(
                stack,
                f"per Config rule evaluation ({len(rules)} rules)",
                [(1, "config.rule_evaluation", None)],
                "evaluation",
            )
        alarms = by_type.get("AWS::CloudWatch::Alarm", {})
        if alarms:
            idle(stack, "CloudWatch alarms", len(alarms), "alarms", "cloudwatch.alarm_month")
        dashboards = by_type.get("AWS::CloudWatch::Dashboard", {})
        if dashboards:
            idle(stack, "CloudWatch dashboards", len(dashboards), "dashboards", "cloudwatch.dashboard_month")
        if by_type.get("AWS::Logs::LogGroup"):
            unit_line(
                stack,
                "per GB of logs ingested, then stored a month",
                [(1, "cloudwatch.logs_ingest_gb", None), (0.15, "cloudwatch.logs_storage_gb_month", None)],
                "GB",
            )
        for _ in by_type.get("AWS::Budgets::Budget", {}):
            idle(stack, "AWS Budgets cost budget", 1, "budgets", "budgets.budget_month")

        _sagemaker_hosting(stack, by_type, idle, unit_line, hours)
        _workspace(stack, by_type, resources, idle, unit_line, hours)
        _ingestion(stack, by_type, idle, unit_line, hours)
        _pipelines(stack, by_type, unit_line)
        if by_type.get("AWS::ApiGateway::RestApi"):
            functions = by_type.get("AWS::Lambda::Function", {}).values()
            memory = max((int(f.get("MemorySize", 128)) for f in functions), default=128) / 1024
            unit_line(
                stack,
                "per 1,000 API requests (REST API + Lambda, 100 ms)",
                [
                    (1000 / 1e6, "apigateway.rest_million", None),
                    (1000 / 1e6, "lambda.requests_million", None),
                    (1000 * 0.1 * memory, "lambda.gb_second", None),
                ],
                "1,000 requests",
            )
    return result


# --- Reporting -----------------------------------------------------------------------------------


def money(value: float | None) -> str:
    if value is None:
        return "no price"
    return f"${value:,.2f}" if value >= 1 or value == 0 else f"${value:.4f}"


def _budget(assembly: Path) -> float | None:
    for template, _ in _stacks(assembly).values():
        for resource in template.get("Resources", {}).values():
            if resource["Type"] == "AWS::Budgets::Budget":
                return float(resource["Properties"]["Budget"]["BudgetLimit"]["Amount"])
    return None


def estimates(assemblies: list[Path] | dict[str, Path], prices: Prices | None = None) -> list[Estimate]:
    """Each assembly's estimate, named by its directory, or by its key when `assemblies` maps profile -> dir."""
    prices = prices or Prices.load()
    named = assemblies if isinstance(assemblies, dict) else {a.name: a for a in assemblies}
    found = []
    for profile, assembly in named.items():
        result = estimate(assembly, prices, profile=profile)
        result.budget_usd = _budget(assembly)
        found.append(result)
    return found


def markdown(assemblies: list[Path] | dict[str, Path], prices: Prices | None = None) -> str:
    """The estimate of every profile as Markdown (for the README / docs, `make docs`)."""
    prices = prices or Prices.load()
    lines = [
        f"Monthly cost estimate from the synthesized templates (`make cost`), list prices of {prices.as_of} "
        "(`scripts/prices.yaml`, one AWS pricing page per item).",
        "",
    ]
    for result in estimates(assemblies, prices):
        total, complete = result.total()
        lines += [f"#### {result.profile} ({result.region})", "", "| Stack | Idle $/month |", "|---|---:|"]
        for stack, (value, ok) in result.stack_totals().items():
            lines.append(f"| {stack} | {money(value)}{'' if ok else ' (incomplete: no price)'} |")
        lines.append(f"| **Total** | **{money(total)}**{'' if complete else ' (incomplete)'} |")
        budget = f"${result.budget_usd:,.0f}/month (AWS Budgets, G2)" if result.budget_usd else "none"
        lines += ["", f"Budget alarm: {budget}.", "", "| Per unit of use | Stack | $ |", "|---|---|---:|"]
        for line in result.per_unit:
            lines.append(f"| {line.what} | {line.stack} | {money(line.monthly)} per {line.unit} |")
        lines.append("")
    missing = sorted(_checked_regions() - prices.regions())
    if missing:
        lines += [f"No sourced prices yet for: {', '.join(missing)}; the estimate refuses to guess there.", ""]
    lines += ["Assumptions:", ""] + [f"- {a}" for a in ASSUMPTIONS]
    return "\n".join(lines) + "\n"


def _checked_regions() -> set[str]:
    from config.regional import CHECKED_REGIONS

    return set(CHECKED_REGIONS)


def table(result: Estimate) -> str:
    out = [f"== {result.profile} ({result.region}): idle $/month"]
    for stack, (value, ok) in result.stack_totals().items():
        out.append(f"  {stack:<18} {money(value):>12}{'' if ok else '  (incomplete)'}")
        for line in (x for x in result.idle if x.stack == stack):
            price = "no price" if line.unit_price is None else f"{line.unit_price:g}"
            out.append(
                f"      {line.what:<62} {line.quantity:>9.2f} {line.unit:<15} x {price:<9} = {money(line.monthly)}"
            )
    total, complete = result.total()
    out.append(f"  {'TOTAL':<18} {money(total):>12}{'' if complete else '  (incomplete: lines without a price)'}")
    out.append(f"  budget alarm: {money(result.budget_usd) if result.budget_usd else 'none'} per month")
    out.append("  per unit of use:")
    for line in result.per_unit:
        out.append(f"      {line.stack:<12} {line.what:<78} {money(line.monthly)} per {line.unit}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "assemblies", nargs="*", type=Path, help="cloud assembly directories (default: build/assembly/*)"
    )
    parser.add_argument("--markdown", action="store_true", help="print the Markdown report instead of the table")
    args = parser.parse_args(argv)
    assemblies = args.assemblies or sorted(p.parent for p in ASSEMBLIES.glob("*/manifest.json"))
    if not assemblies:
        print("no assemblies: run `make assemblies` first", file=sys.stderr)
        return 1
    prices = Prices.load()
    if args.markdown:
        print(markdown(assemblies, prices), end="")
        return 0
    print(f"Prices as of {prices.as_of} (scripts/prices.yaml)")
    for result in estimates(assemblies, prices):
        print(table(result))
    print("Assumptions:\n" + "\n".join(f"  - {a}" for a in ASSUMPTIONS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
