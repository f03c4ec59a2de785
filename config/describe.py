"""The profile reference table (docs/profiles.md, "Every field"), from the model's own field descriptions.

python -m config.describe    # print it; make docs puts it in docs/profiles.md
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
    """' 1-20' for ge/le, with '>' or '<' marking an exclusive bound (' >0.5-1.0')."""
    low = high = ""
    for m in field.metadata:
        if isinstance(m, annotated_types.Ge):
            low = str(m.ge)
        elif isinstance(m, annotated_types.Gt):
            low = f">{m.gt}"
        elif isinstance(m, annotated_types.Le):
            high = str(m.le)
        elif isinstance(m, annotated_types.Lt):
            high = f"<{m.lt}"
    if not (low or high):
        return ""
    return f" {low}-{high}"


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
            origin = typing.get_origin(annotation)
            if origin is dict:
                keys = _type_name(typing.get_args(annotation)[0])
                kind, below = f"map of {keys} to sections", f"{prefix}{name}.<name>."
                default = f"`{json.dumps(sorted(field.default_factory()))}`" if field.default_factory else "`{}`"
            elif origin is list:
                kind, below = "list of sections", f"{prefix}{name}[]."
                default = "required" if field.is_required() else "`[]`"
            else:
                kind = "section" if section is annotation else "section or null"
                below = f"{prefix}{name}."
                default = "required" if field.is_required() else "defaults below"
            lines.append(f"| `{prefix}{name}` | {kind} | {default} | {field.description} |")
            lines += rows(section, below)
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
