"""The profile reference table (README "Profiles"), from the model's own field descriptions.

python -m config.describe    # print it; make docs puts it in README.md
"""

from __future__ import annotations

import json
import sys
import types
import typing

import annotated_types
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from config.loader import _unwrap
from config.model import ProjectConfig


def _type_name(annotation: object) -> str:
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return " \\| ".join(repr(a) if isinstance(a, str) else str(a) for a in typing.get_args(annotation))
    if origin is typing.Annotated:
        return _type_name(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(annotation))
    if origin is dict:
        key, value = typing.get_args(annotation)
        return f"map of {_type_name(key)} to {_type_name(value)}"
    if annotation is type(None):
        return "null"
    return getattr(annotation, "__name__", str(annotation))


def _bounds(field) -> str:
    low = next((m.ge for m in field.metadata if isinstance(m, annotated_types.Ge)), None)
    high = next((m.le for m in field.metadata if isinstance(m, annotated_types.Le)), None)
    if low is None and high is None:
        return ""
    return f" {'' if low is None else low}-{'' if high is None else high}"


def _default(field) -> str:
    if field.is_required() or field.default is PydanticUndefined and field.default_factory is None:
        return "required"
    if field.default_factory is not None:
        return f"`{json.dumps(field.default_factory())}`"
    return f"`{json.dumps(field.default)}`"


def rows(model: type[BaseModel] = ProjectConfig, prefix: str = "") -> list[str]:
    lines = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        section = _unwrap(annotation)
        if isinstance(section, type) and issubclass(section, BaseModel):
            is_list = typing.get_origin(annotation) is list
            kind = "list of sections" if is_list else "section" if section is annotation else "section or null"
            default = "required" if field.is_required() else ("`[]`" if is_list else "defaults below")
            lines.append(f"| `{prefix}{name}` | {kind} | {default} | {field.description} |")
            lines += rows(section, f"{prefix}{name}{'[]' if is_list else ''}.")
            continue
        kind = f"{_type_name(annotation)}{_bounds(field)}"
        lines.append(f"| `{prefix}{name}` | {kind} | {_default(field)} | {field.description} |")
    return lines


def table() -> str:
    return "\n".join(["| Field | Type | Default | What it does |", "|---|---|---|---|", *rows()])


def main() -> int:
    print(table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
