"""The rule sources the security-controls report maps resources to: the cdk-nag packs and the Control
Tower proactive controls, read from the installed packages' bundles (scripts/report.py renders)."""

from __future__ import annotations

import importlib.util
import re
import tarfile
from functools import cache
from pathlib import Path

NAG_PACKS = ("aws-solutions", "hipaa-security", "nist-800-53-r5", "pci-dss-321")
CONTROL_TOWER = "cdk-validator-cfnguard"


# --- the rule sources --------------------------------------------------------------------------------------


def _bundle(package: str) -> Path:
    """The jsii tarball a Python package ships (found without importing it, which starts Node)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"{package} is not installed: make setup")
    found = sorted(Path(next(iter(spec.submodule_search_locations))).glob("_jsii/*.jsii.tgz"))
    if not found:
        raise SystemExit(f"{package} ships no jsii bundle")
    return found[0]


def _members(bundle: Path, prefix: str, suffix: str) -> dict[str, str]:
    with tarfile.open(bundle) as tar:
        return {
            member.name: tar.extractfile(member).read().decode()
            for member in tar.getmembers()
            if member.isfile() and member.name.startswith(prefix) and member.name.endswith(suffix)
        }


def bundle_version(package: str) -> str:
    """`cdk-nag@3.0.2` from the bundle's file name."""
    return _bundle(package).name.removesuffix(".jsii.tgz")


@cache
def nag_rules() -> dict[str, dict[str, frozenset[str]]]:
    """cdk-nag pack name -> reported rule name -> the construct fqns (L1 classes) the rule tests."""
    files = _members(_bundle("cdk_nag"), "package/lib/", ".js")
    packs: dict[str, dict[str, frozenset[str]]] = {}
    for pack_file in NAG_PACKS:
        source = files[f"package/lib/packs/{pack_file}.js"]
        pack = re.search(r"this\.packName = '([^']+)'", source).group(1)
        folders = dict(re.findall(r'const (\w+) = require\("\.\./rules/(\w+)"\)', source))
        rules: dict[str, frozenset[str]] = {}
        for block in source.split("this.applyRule({")[1:]:
            block = block.split("});", 1)[0]
            variable, function = re.search(r"rule: (\w+)\.(\w+),", block).groups()
            suffix = re.search(r"ruleSuffixOverride: '([^']+)'", block)
            rule_source = files[f"package/lib/rules/{folders[variable]}/{function}.js"]
            modules = dict(re.findall(r'const (\w+) = require\("(aws-cdk-lib(?:/[\w-]+)?)"\)', rule_source))
            fqns = {
                f"{modules[var].replace('/', '.').replace('-', '_').replace('aws_cdk_lib', 'aws-cdk-lib')}.{cls}"
                for var, cls in re.findall(r"instanceof (\w+)\.(Cfn\w+)", rule_source)
                if var in modules
            }
            rules[f"{pack}-{suffix.group(1) if suffix else function}"] = frozenset(fqns)
        packs[pack] = rules
    return packs


@cache
def control_tower_rules() -> dict[str, tuple[str, frozenset[str]]]:
    """Control Tower rule name -> (control id, CloudFormation types it reports on)."""
    rules = {}
    for name, text in _members(
        _bundle("cdklabs.cdk_validator_cfnguard"), "package/rules/control-tower/", ".guard"
    ).items():
        rule = re.search(r"^rule (\w+) when", text, re.MULTILINE)
        control = re.search(r"\[(CT\.[A-Z0-9.-]+)\]", text)
        reports = re.search(r"# Reports on:\n((?:#   .+\n)+)", text)
        if not (rule and control and reports):
            raise SystemExit(f"unexpected guard file layout: {name}")
        types = frozenset(
            t.strip() for t in reports.group(1).replace("#", "").replace("\n", ",").split(",") if t.strip()
        )
        rules[rule.group(1)] = (control.group(1), types)
    return rules
