"""Regenerate the generated sections of README.md and docs/*.md; a test fails when one is stale.

    make docs                                   # rewrite every section (assemblies from build/assembly/)
    python -m scripts.docs                      # check only: exit 1 when a section is stale
    python -m scripts.docs --write [--assemblies DIR]   # what make docs runs

Each section sits between `<!-- NAME:start ... -->` and `<!-- NAME:end -->` markers, on any page.
Most come from the source tree; some from synthesized assemblies (DIR/<profile>, `make assemblies`):
`synth-summary` (the README's sample of what `make synth` prints) from the sandbox,
`architecture` (docs/architecture.md) from the demo profile when config/demo.yaml exists, else
the sandbox, and `cost` / `cost-summary` (G2: docs/deploy.md, README) from every shipped profile.
Without those assemblies the check skips the section (tests/test_docs.py compares each with the
test session's own synth). Markers of other names are left alone.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

# The one warning silenced (as in the Makefile and tests/conftest.py): jsii's Node 20 end-of-life banner.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

ROOT = Path(__file__).resolve().parent.parent
ASSEMBLIES = ROOT / "build" / "assembly"
ARCHITECTURE = "architecture"


def pages() -> list[Path]:
    """Every page that may hold generated sections: the README and docs/*.md."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def diagram_profile() -> str:
    """The profile the architecture diagrams show: demo (everything on) when it exists."""
    return "demo" if (ROOT / "config" / "demo.yaml").exists() else "sandbox"


def _profile_fields() -> str:
    from config.describe import table

    return table()


PROFILE_ORDER = ("sandbox", "demo", "production")


def shipped_profiles() -> list[str]:
    """Every profile in config/, the usual three first."""
    found = {p.stem for p in (ROOT / "config").glob("*.yaml")}
    return [p for p in PROFILE_ORDER if p in found] + sorted(found - set(PROFILE_ORDER))


def _interface_endpoints() -> str:
    """Each endpoint, and per shipped profile the stacks that make it create the endpoint (N2)."""
    from config import load_config
    from ml_constructs.private_network import INTERFACE_ENDPOINTS
    from stacks import endpoint_needs

    profiles = shipped_profiles()
    needs = {}
    for profile in profiles:
        config = load_config(profile)
        found = endpoint_needs(config)
        for extra in config.network.extra_interface_endpoints:
            found.setdefault(extra, []).append("`extra_interface_endpoints`")
        needs[profile] = found
    header = ["Endpoint", "Service name", *profiles, "Endpoint policy", "What it is for"]
    rows = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, spec in INTERFACE_ENDPOINTS.items():
        policy = (
            ", ".join(f"`{a}`" for a in spec.policy_actions) + " for this account's principals"
            if spec.policy_actions
            else "none: browser traffic, authorized by presigned URLs (N9, N13)"
        )
        short = spec.service.short_name
        service = (
            f"aws.sagemaker.<region>.{short}" if short in ("notebook", "studio") else f"com.amazonaws.<region>.{short}"
        )
        cells = [
            ", ".join(s.removesuffix("Stack").replace("Stack (", " (") for s in needs[p].get(name, [])) or "-"
            for p in profiles
        ]
        rows.append(f"| `{name}` | `{service}` | {' | '.join(cells)} | {policy} | {spec.purpose} |")
    return "\n".join(rows)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _sandbox_quotas() -> str:
    """The SageMaker instance quotas the sandbox needs at once, and where each count comes from."""
    from config import load_config
    from config.quotas import BLUE_GREEN_FACTOR, hosting_at_creation, hosting_instances, instance_quotas

    config = load_config("sandbox")
    reasons: dict[str, list[str]] = {}
    hosting = hosting_instances(config)
    for instance_type, created in hosting_at_creation(config).items():
        rows = [h for h in hosting if h.instance_type == instance_type]
        by_endpoint: dict[str, list[str]] = {}
        for h in rows:
            by_endpoint.setdefault(h.endpoint, []).append(
                f"{h.variant} {h.initial} while busy" if h.endpoint == "async" else f"{h.variant} {h.initial}"
            )
        details = "; ".join(
            " + ".join(parts) if endpoint in ("async", "pipeline") else f"{endpoint}: {' + '.join(parts)}"
            for endpoint, parts in by_endpoint.items()
        )
        maxima = [h.maximum for h in rows]
        reasons[f"{instance_type} for endpoint usage"] = [
            f"{_plural(created, 'hosting instance')} at creation ({details}), up to {sum(maxima)} at the variants'"
            f" autoscaling maxima ({' + '.join(map(str, maxima))}), multiplied by {BLUE_GREEN_FACTOR} because a"
            " blue/green update provisions a full green fleet before shifting traffic (several endpoints may"
            " update in one deploy)"
        ]
    pipelines = config.pipelines
    if pipelines.enabled:
        training = pipelines.training
        use = "spot training job usage" if training.spot else "training job usage"
        reasons.setdefault(f"{pipelines.processing.instance_type} for processing job usage", []).append(
            "the training pipeline's prepare and evaluate steps (one at a time)"
        )
        tuning = pipelines.tuning
        reasons.setdefault(f"{training.instance_type} for {use}", []).append(
            ("managed spot training, " if training.spot else "training, ")
            + _plural(training.instance_count, "instance")
            + (f" x {tuning.max_parallel_jobs} parallel tuning jobs" if tuning.enabled else " (no tuning)")
        )
        if pipelines.transform.enabled:
            reasons.setdefault(f"{pipelines.transform.instance_type} for transform job usage", []).append(
                "the pipeline's batch transform"
            )
    realtime = config.inference.active_realtime
    if realtime and realtime.monitoring.enabled and realtime.data_capture.enabled:
        reasons.setdefault(f"{realtime.monitoring.instance_type} for processing job usage", []).append(
            "the Model Monitor schedule's jobs"
        )
    workspace = config.workspace
    if workspace.enabled and workspace.notebooks.enabled and workspace.data_scientists:
        reasons.setdefault(f"{workspace.notebooks.instance_type} for notebook instance usage", []).append(
            "one notebook per data scientist"
        )
    quotas = instance_quotas(config)
    assert set(quotas) == set(reasons), (sorted(quotas), sorted(reasons))
    rows = ["| Service Quotas name (Amazon SageMaker) | Sandbox needs | Where it comes from |", "|---|---|---|"]
    rows += [f"| `{name}` | {count} | {'; '.join(reasons[name])} |" for name, count in quotas.items()]
    for instance_type, created in hosting_at_creation(config).items():
        needed = quotas[f"{instance_type} for endpoint usage"]
        rows += [
            "",
            f"The bare minimum to create the stacks is {created} `{instance_type} for endpoint usage`; with fewer"
            f" than {needed}, an autoscaled variant's update can fail for capacity and roll back.",
        ]
    return "\n".join(rows)


# Sections that need nothing but the source tree.
SECTIONS: dict[str, Callable[[], str]] = {
    "profile-fields": _profile_fields,
    "interface-endpoints": _interface_endpoints,
    "sandbox-quotas": _sandbox_quotas,
}


def _architecture(assemblies: dict[str, Path]) -> str:
    from scripts.diagrams import markdown

    profile = diagram_profile()
    return markdown(assemblies[profile], profile)


def _synth_summary(assemblies: dict[str, Path]) -> str:
    """The start of what `make synth` prints for the sandbox (scripts/gate_report.py)."""
    from scripts.gate_report import acknowledgments, pack_results, stacks

    assembly = assemblies["sandbox"]
    infos = stacks(assembly)
    lines = ["```", "Cloud assembly: cdk.out/"]
    lines += [f"  {i.artifact_id:<22} {i.stack_name:<40} {i.resource_count:>4} resources" for i in infos]
    lines.append(f"  {'total':<63} {sum(i.resource_count for i in infos):>4} resources")
    lines += ["", "Policy gates (validation plugins, every synth):"]
    first = next(p for p in pack_results(assembly) if p.name == "AwsSolutions")
    lines.append(
        f"  {first.name:<24} {first.conclusion:<8} open findings: {len(first.open_findings):<3}"
        f" acknowledged: {len(first.acknowledged)}"
    )
    lines += ["  ...", f"  {len(acknowledgments(assembly))} acknowledgments, each on one construct with its reason"]
    lines += ["", f"cfn-lint: 0 errors/warnings in {len(infos)} templates", "```"]
    return "\n".join(lines)


def _cost(assemblies: dict[str, Path]) -> str:
    """G2: every shipped profile's estimate, stack by stack, with its budget (scripts/cost.py)."""
    from scripts.cost import markdown

    return markdown({p: assemblies[p] for p in shipped_profiles()})


def _cost_summary(assemblies: dict[str, Path]) -> str:
    """G2: one line per profile for the README: idle estimate and budget."""
    from scripts.cost import estimates, money

    rows = ["| Profile | Region | Idle estimate $/month | Budget alarm $/month |", "|---|---|---:|---:|"]
    for result in estimates({p: assemblies[p] for p in shipped_profiles()}):
        total, complete = result.total()
        budget = money(result.budget_usd) if result.budget_usd else "none"
        rows.append(
            f"| {result.profile} | {result.region} | {money(total)}{'' if complete else ' (incomplete)'} | {budget} |"
        )
    return "\n".join(rows)


# Sections drawn from synthesized assemblies: name -> (the profiles it reads, producer).
ASSEMBLY_SECTIONS: dict[str, tuple[Callable[[], list[str]], Callable[[dict[str, Path]], str]]] = {
    "synth-summary": (lambda: ["sandbox"], _synth_summary),
    ARCHITECTURE: (lambda: [diagram_profile()], _architecture),
    "cost": (shipped_profiles, _cost),
    "cost-summary": (shipped_profiles, _cost_summary),
}


def _pattern(name: str) -> re.Pattern:
    return re.compile(rf"(<!-- {re.escape(name)}:start[^>]*-->)\n?(.*?)\n?(<!-- {re.escape(name)}:end -->)", re.S)


def current(text: str, name: str) -> str:
    match = _pattern(name).search(text)
    if match is None:
        raise ValueError(f"no {name} section")
    return match.group(2)


def names(text: str) -> list[str]:
    """The sections a page marks, generated or not."""
    return re.findall(r"<!-- ([a-z0-9-]+):start", text)


def render(text: str, produced: dict[str, str]) -> str:
    for name, body in produced.items():
        text = _pattern(name).sub(lambda m, body=body: f"{m.group(1)}\n{body}\n{m.group(3)}", text)
    return text


def produce(assemblies: dict[str, Path]) -> dict[str, str]:
    """Every section's fresh text; an assembly section only when `assemblies` has all its profiles."""
    produced = {name: make() for name, make in SECTIONS.items()}
    for name, (profiles_of, make) in ASSEMBLY_SECTIONS.items():
        if all(p in assemblies for p in profiles_of()):
            produced[name] = make(assemblies)
    return produced


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.docs", description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite stale sections instead of failing")
    parser.add_argument("--assemblies", type=Path, default=ASSEMBLIES, help="directory of <profile>/ assemblies")
    args = parser.parse_args(argv)
    assemblies = {}
    for name, (profiles_of, _) in ASSEMBLY_SECTIONS.items():
        for profile in profiles_of():
            outdir = args.assemblies / profile
            if (outdir / "manifest.json").exists():
                assemblies[profile] = outdir
            elif args.write:
                print(f"no assembly in {outdir} for {name}: run make assemblies (make docs does)", file=sys.stderr)
                return 2
            else:
                print(f"note: {outdir} missing, {name} not checked", file=sys.stderr)
    produced = produce(assemblies)
    stale = []
    for page in pages():
        text = page.read_text(encoding="utf-8")
        fresh = render(text, produced)
        if fresh != text:
            stale.append(page.relative_to(ROOT))
            if args.write:
                page.write_text(fresh, encoding="utf-8")
    if stale and not args.write:
        print(f"stale generated sections in {', '.join(map(str, stale))}: run make docs", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
