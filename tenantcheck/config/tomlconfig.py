"""Load a TOML document into a pydantic model, with errors a person can act on.

Every problem becomes a ``ConfigError`` naming the file and the key (``[safety] requests_per_second``),
with a "did you mean" for misspelt keys, so a bad file never shows a traceback.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError, field_validator

from tenantcheck.errors import ConfigError

M = TypeVar("M", bound=BaseModel)
SECRET_REF = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class StrictModel(BaseModel):
    """A config section: unknown keys are errors, values are immutable after loading."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SecretRef(StrictModel):
    """A secret given as ``${VAR}``: the file holds only the variable's name."""

    var: str
    value: SecretStr

    @classmethod
    def parse(cls, text: str) -> SecretRef:
        """Resolve ``${VAR}`` now, so a missing variable stops the run before it starts."""
        match = SECRET_REF.match(text)
        if not match:
            raise ValueError("secrets are written as ${VAR} references, never as literal values")
        var = match.group(1)
        value = os.environ.get(var)
        if value is None:
            raise ValueError(f"environment variable {var} is not set")
        return cls(var=var, value=SecretStr(value))

    def get(self) -> str:
        return self.value.get_secret_value()


def expand_variables(text: str) -> str:
    """``${VAR}`` in a value that is not a secret (``[target] base_url``), replaced by the variable's value
    when the file is loaded: the value is kept as it is (not redacted), a variable that is not set stops the
    run like a secret's would, with the variable named."""

    def value(match: re.Match[str]) -> str:
        found = os.environ.get(match.group(1))
        if found is None:
            raise ValueError(f"environment variable {match.group(1)} is not set")
        return found

    return VARIABLE.sub(value, text)


def variable_fields(*names: str) -> Any:
    """A ``field_validator`` that expands ``${VAR}`` in the named (non-secret) string fields."""

    def expand(cls: type[BaseModel], value: Any) -> Any:
        return expand_variables(value) if isinstance(value, str) else value

    return field_validator(*names, mode="before")(expand)


def secret_fields(*names: str) -> Any:
    """A ``field_validator`` that turns ``${VAR}`` strings of the named fields into ``SecretRef``s."""

    def resolve(cls: type[BaseModel], value: Any) -> Any:
        return SecretRef.parse(value) if isinstance(value, str) else value

    return field_validator(*names, mode="before")(resolve)


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; syntax errors name the file, line and column."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot be read: {error}") from None


def load_model(model: type[M], data: dict[str, Any], source: Path) -> M:
    """Validate ``data`` as ``model``; the first problems become one ``ConfigError`` naming ``source``."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        lines = [describe_error(model, issue) for issue in error.errors(include_url=False)[:5]]
        raise ConfigError(f"Error in {source}: " + "; ".join(lines)) from None


def describe_error(model: type[BaseModel], issue: Any) -> str:
    """One line for one pydantic issue: where, what is wrong, and what would be right."""
    loc = tuple(issue["loc"])
    where = format_location(loc)
    kind = issue["type"]
    if kind == "extra_forbidden":
        parent = model_at(model, loc[:-1])
        valid = sorted(parent.model_fields) if parent else []
        key = str(loc[-1])
        hint = difflib.get_close_matches(key, valid, n=1)
        section = section_name(loc[:-1])
        text = f"[{section}] unknown key '{key}'." if section else f"unknown key '{key}'."
        if hint:
            text += f" Did you mean '{hint[0]}'?"
        return text + (f" Valid keys are: {', '.join(valid)}" if valid else "")
    if kind == "missing":
        return f"{where}: required key is missing"
    message = str(issue["msg"]).removeprefix("Value error, ")
    if not loc:  # a rule about the whole document names its own keys
        return message
    if "input" in issue and kind not in ("value_error", "assertion_error"):
        return f"{where}: {message} (got {issue['input']!r})"
    return f"{where}: {message}"


def format_location(loc: tuple[Any, ...]) -> str:
    """``("safety", "rps")`` -> ``[safety] rps``; a top-level key stays bare."""
    parts = [part for part in loc if not str(part).startswith("function-")]
    if not parts:
        return "document"
    section = section_name(tuple(parts[:-1]))
    return f"[{section}] {parts[-1]}" if section else str(parts[-1])


def section_name(parts: tuple[Any, ...]) -> str:
    """``("provisioning", "tenants", 0)`` -> ``provisioning.tenants[0]``."""
    name = ""
    for part in parts:
        name += f"[{part}]" if isinstance(part, int) else f".{part}" if name else str(part)
    return name


def model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model class that sits at ``loc`` inside ``model`` (through optionals, lists and dicts)."""
    current: Any = model
    for part in loc:
        current = unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return None
            current = field.annotation
        elif typing.get_origin(current) in (list, dict):
            current = typing.get_args(current)[-1]
        else:
            return None
    current = unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def unwrap(annotation: Any) -> Any:
    """Strip ``X | None`` to ``X`` so the walk in ``model_at`` can go on."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation
