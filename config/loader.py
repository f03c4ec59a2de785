"""Load a profile from YAML into `ProjectConfig`, or explain precisely why it cannot be.

Bad configuration must never reach CloudFormation: every problem becomes one line that
names the field path and what is allowed, collected into a `ConfigError` that `app.py`
prints before exiting non-zero, with no traceback and no template written.
"""

from __future__ import annotations

import re
import types
import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from config.model import ProjectConfig

CONFIG_DIR = Path(__file__).resolve().parent
DEFAULT_PROFILE = "sandbox"
_PROFILE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,19}$")


class ConfigError(Exception):
    """A profile that cannot be used; `problems` holds one readable line per problem."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(self.render())

    def render(self) -> str:
        count = len(self.problems)
        head = f"Invalid configuration in {self.source} ({count} problem{'s' if count != 1 else ''}):"
        return "\n".join([head, *(f"  - {p}" for p in self.problems)])


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys, which plain YAML silently resolves to the last one."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, yaml.Mark] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (first defined on line {seen[key].line + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def available_profiles(config_dir: Path = CONFIG_DIR) -> list[str]:
    return sorted(p.stem for p in config_dir.glob("*.yaml"))


def resolve_source(
    profile: str | None, config_path: str | None, config_dir: Path = CONFIG_DIR
) -> tuple[Path, str | None]:
    """Map the `-c profile=NAME` / `-c config=PATH` context values to a file to load.

    Returns the file and the profile name it must declare (None for an explicit path).
    """
    if profile is not None and config_path is not None:
        raise ConfigError(
            "the command line",
            ["give either -c profile=NAME or -c config=PATH, not both"],
        )
    if config_path is not None:
        path = Path(config_path)
        if not path.is_file():
            raise ConfigError(str(path), [f"config file not found: {path}"])
        return path, None
    name = profile if profile is not None else DEFAULT_PROFILE
    if not _PROFILE_NAME.match(name):
        raise ConfigError(
            "the command line",
            [f"profile: {name!r} is not a profile name (lower-case letters, digits, hyphens)"],
        )
    path = config_dir / f"{name}.yaml"
    if not path.is_file():
        raise ConfigError(
            "the command line",
            [f"profile: no profile named {name!r}; available: {', '.join(available_profiles(config_dir))}"],
        )
    return path, name


def load_config(
    profile: str | None = None, config_path: str | None = None, config_dir: Path = CONFIG_DIR
) -> ProjectConfig:
    """Load the selected profile, raising ConfigError with every problem found."""
    path, expected_profile = resolve_source(profile, config_path, config_dir)
    source = _display(path)
    config = parse_config(path.read_text(encoding="utf-8"), source)
    if expected_profile is not None and config.profile != expected_profile:
        raise ConfigError(
            source,
            [f"profile: the file declares {config.profile!r} but was selected as {expected_profile!r}"],
        )
    return config


def parse_config(text: str, source: str) -> ProjectConfig:
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ConfigError(source, [f"{where}{exc.problem or exc}"]) from None
    except yaml.YAMLError as exc:
        raise ConfigError(source, [f"not valid YAML: {exc}"]) from None
    if not isinstance(data, dict):
        raise ConfigError(source, ["the file must hold a mapping of settings at the top level"])
    try:
        return ProjectConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(source, [_describe(err) for err in exc.errors()]) from None


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _describe(err: Any) -> str:
    loc = tuple(part for part in err["loc"] if part != "[key]")
    path = _path(loc)
    kind = err["type"]
    given = err.get("input")
    if kind == "extra_forbidden":
        allowed = sorted(_model_at(loc[:-1]).model_fields)
        return f"{path}: unknown key; allowed keys here: {', '.join(allowed)}"
    if kind == "missing":
        return f"{path}: required field is missing ({_description(loc)})"
    message = err["msg"].removeprefix("Value error, ")
    if kind == "string_pattern_mismatch":
        message = f"{given!r} is not allowed: {_description(loc)}"
    elif kind == "literal_error" or loc and kind not in {"value_error", "assertion_error"}:
        message = f"{message} (got {given!r})"
    if not path or message.startswith(path):
        return message  # a section's own check already names its fields
    return f"{path}: {message}"


def _path(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _unwrap(annotation: Any) -> Any:
    """Reduce Optional[X] / Annotated[X, ...] / dict[K, X] to the model class X, if any."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            models = [a for a in typing.get_args(annotation) if isinstance(a, type) and issubclass(a, BaseModel)]
            return models[0] if models else None
        elif origin in (dict, list, tuple):
            annotation = typing.get_args(annotation)[-1]
        else:
            return annotation


def _model_at(loc: tuple) -> type[BaseModel]:
    model: type[BaseModel] = ProjectConfig
    for part in loc:
        if isinstance(part, int) or part not in model.model_fields:
            continue
        inner = _unwrap(model.model_fields[part].annotation)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            model = inner
    return model


def _description(loc: tuple) -> str:
    """The documentation of the innermost field on `loc` (dict keys and list indexes skipped)."""
    for end in range(len(loc), 0, -1):
        field = _model_at(loc[: end - 1]).model_fields.get(str(loc[end - 1]))
        if field is not None and field.description:
            return field.description
    return "see config/model.py"
