"""Where the code cites pattern IDs and which tests prove them (scripts/catalog.py renders both)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from scripts.catalog_model import ID_PATTERN, RANGE_PATTERN, ROOT

# Where code cites the IDs it implements; tests are scanned separately (`proving_tests`).
CODE_DIRS = ("ml_constructs", "stacks", "config", "pipelines", "gates", "scripts")
# The catalog modules define the IDs rather than citing them; the report modules render them.
NOT_CITATIONS = (
    "scripts/catalog.py",
    "scripts/catalog_model.py",
    "scripts/catalog_network.py",
    "scripts/catalog_ingestion.py",
    "scripts/catalog_inference.py",
    "scripts/catalog_mlops.py",
    "scripts/catalog_citations.py",
    "scripts/report.py",
)


def cited_ids(text: str) -> set[str]:
    """Every pattern ID in `text`, with ranges like `E1-E13` expanded."""
    found = {letter + number for letter, number in ID_PATTERN.findall(text)}
    for letter, first, last in RANGE_PATTERN.findall(text):
        found.update(f"{letter}{n}" for n in range(int(first), int(last) + 1))
    return found


def source_files(dirs: Iterable[str], root: Path = ROOT) -> Iterator[Path]:
    for name in dirs:
        for path in sorted((root / name).rglob("*")):
            relative = path.relative_to(root).as_posix()
            if path.suffix in (".py", ".yaml") and "__pycache__" not in path.parts and relative not in NOT_CITATIONS:
                yield path


def citations(dirs: Iterable[str] = (*CODE_DIRS, "tests"), root: Path = ROOT) -> dict[str, set[str]]:
    """ID -> the files (relative paths) that cite it."""
    found: dict[str, set[str]] = {}
    for path in source_files(dirs, root):
        for pattern_id in cited_ids(path.read_text()):
            found.setdefault(pattern_id, set()).add(path.relative_to(root).as_posix())
    return found


SECTION = re.compile(r"^# -{2,} (.+?)(?: -+)?$")
PROVES = re.compile(r"#\s*proves\s+(.+)$", re.IGNORECASE)


def _cited_before_colon(text: str) -> set[str]:
    """IDs a section header or docstring opens with (`N5: ...`, `E1, E2 and E7: ...`, `E6 where ...`)."""
    head = text.split(":", 1)[0] if ":" in text else text
    return cited_ids(head)


def proving_tests(tests_dir: Path = ROOT / "tests", root: Path = ROOT) -> dict[str, set[str]]:
    """ID -> the tests (`tests/file.py::test_name`) that prove it.

    A test proves the IDs of the `# --- ID: ...` section it sits in, the IDs its docstring opens with,
    and the IDs of `# proves ID` comments in its body. In a module whose docstring names its
    patterns ("The approval path's handler ... (pattern M6).") and that has no sections,
    every test proves those.
    """
    found: dict[str, set[str]] = {}
    for path in sorted(tests_dir.glob("test_*.py")):
        source = path.read_text()
        lines = source.splitlines()
        tree = ast.parse(source)
        module_ids = cited_ids((ast.get_docstring(tree) or "").split("\n\n", 1)[0])
        sections: list[tuple[int, set[str]]] = [
            (number, _cited_before_colon(match.group(1)))
            for number, line in enumerate(lines, 1)
            if (match := SECTION.match(line))
        ]
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or not node.name.startswith("test_"):
                continue
            ids: set[str] = set()
            section = [ids_ for number, ids_ in sections if number < node.lineno]
            if section:
                ids |= section[-1]
            elif not sections:
                ids |= module_ids
            ids |= _cited_before_colon(ast.get_docstring(node) or "")
            for line in lines[node.lineno - 1 : node.end_lineno]:
                if match := PROVES.search(line):
                    ids |= _cited_before_colon(match.group(1))
            name = f"{path.relative_to(root).as_posix()}::{node.name}"
            for pattern_id in ids:
                found.setdefault(pattern_id, set()).add(name)
    return found
