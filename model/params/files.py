"""Parameter files: TOML, with ``extends`` and dotted overrides, validated with clear errors.

Every error names the file, the key and what is allowed, e.g.::

    params/x.toml: users.review_rate = 1.5 is out of range: must be > 0 and <= 1 (1/month)
    params/x.toml: unknown key 'users.cont' - did you mean 'users.count'?

Loading never writes anything.
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import BaseModel, ValidationError

from model.params.schema import Params


class ParamsError(ValueError):
    """A parameter file or override that cannot be used; the message says where and why."""


# -- the schema as a flat list of dotted keys -------------------------------------------------
def _fields() -> dict[str, Any]:
    """Every dotted key of the schema with its pydantic field."""
    return {
        f"{table}.{key}": field
        for table, table_field in Params.model_fields.items()
        for key, field in table_field.annotation.model_fields.items()
    }


def allowed(field) -> str:
    """What a field accepts, in words: its bounds or its choices, and its unit."""
    from model.params.reference import describe_range

    unit = (field.json_schema_extra or {}).get("unit", "")
    words = describe_range(field)
    words = f"in {words}" if words[0] in "([" else words
    return words + (f" ({unit})" if unit and unit != "-" else "")


def _closest(name: str, candidates) -> str:
    match = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.5)
    return f" - did you mean '{match[0]}'?" if match else ""


# -- reading ----------------------------------------------------------------------------------
def _read(path: Path, chain: tuple[Path, ...] = ()) -> dict:
    """The file's tables merged over those of the file it extends (recursively)."""
    path = path.resolve()
    if path in chain:
        cycle = " -> ".join(str(p) for p in (*chain, path))
        raise ParamsError(f"{chain[0]}: circular 'extends': {cycle}")
    if not path.is_file():
        if chain:
            raise ParamsError(f"{chain[-1]}: extends '{path}', which does not exist")
        raise ParamsError(f"{path}: no such parameter file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ParamsError(f"{path}: malformed TOML: {error}") from None
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ParamsError(f"{path}: 'extends' must be a file name, not {parent!r}")
    base = _read(path.parent / parent, (*chain, path))
    return _merge(base, data)


def _merge(base: dict, top: dict) -> dict:
    merged = {table: dict(values) if isinstance(values, dict) else values for table, values in base.items()}
    for table, values in top.items():
        if isinstance(values, dict) and isinstance(merged.get(table), dict):
            merged[table].update(values)
        else:
            merged[table] = values
    return merged


def _check_keys(data: dict, source: str) -> None:
    """Unknown tables or keys, with the closest valid name."""
    fields = _fields()
    problems = []
    for table, values in data.items():
        if table not in Params.model_fields:
            problems.append(f"unknown table [{table}]{_closest(table, Params.model_fields)}")
        elif isinstance(values, dict):
            for key in values:
                dotted = f"{table}.{key}"
                if dotted not in fields:
                    problems.append(f"unknown key '{dotted}'{_closest(dotted, fields)}")
    if problems:
        raise ParamsError("\n".join(f"{source}: {p}" for p in problems))


def _apply_overrides(data: dict, overrides: dict, source: str) -> dict:
    fields = _fields()
    data = _merge(data, {})
    for dotted, value in overrides.items():
        if dotted not in fields:
            raise ParamsError(f"{source}: unknown key '{dotted}'{_closest(dotted, fields)}")
        table, key = dotted.split(".")
        data.setdefault(table, {})[key] = value
    return data


def _validate(data: dict, source: str) -> Params:
    try:
        return Params.model_validate(data)
    except ValidationError as error:
        messages = {}
        for problem in error.errors():  # a union field reports each branch: one line per key
            key = ".".join(str(part) for part in problem["loc"][:2])
            messages.setdefault(key, _explain(problem, data))
        raise ParamsError("\n".join(f"{source}: {message}" for message in messages.values())) from None


def _explain(error: dict, data: dict) -> str:
    """One pydantic error, told in the file's words: key, value, what is allowed."""
    location = [str(part) for part in error["loc"] if not isinstance(part, int)]
    # Literal/union fields report the branch after the key; keep only table.key.
    dotted = ".".join(location[:2])
    field = _fields().get(dotted)
    value = data.get(location[0], {}).get(location[1]) if len(location) >= 2 and isinstance(data.get(location[0]), dict) else None
    kind = error["type"]
    if field is None:
        return f"{dotted or 'parameters'}: {error['msg']}"
    if kind in {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}:
        return f"{dotted} = {value!r} is out of range: must be {allowed(field)}"
    if kind in {"literal_error", "enum"}:
        return f"{dotted} = {value!r} is not allowed: must be {allowed(field)}"
    if kind.endswith("_type") or kind.endswith("_parsing") or kind == "model_attributes_type":
        return f"{dotted}: expected {_expected(field)}, got {type(value).__name__} {value!r}"
    return f"{dotted} = {value!r}: {error['msg']} (allowed: {allowed(field)})"


def _expected(field) -> str:
    annotation = field.annotation
    names = {bool: "true or false", int: "a whole number", float: "a number", str: "a string"}
    if annotation in names:
        return names[annotation]
    return allowed(field)


# -- the public functions ---------------------------------------------------------------------
def load_params(path: str | Path, overrides: dict | None = None) -> Params:
    """Parameters of a TOML file (with its ``extends`` chain), then dotted ``overrides``, validated."""
    path = Path(path)
    data = _read(path)
    _check_keys(data, str(path))
    data = _apply_overrides(data, overrides or {}, f"{path} (override)")
    return _validate(data, str(path))


def parse_override(text: str) -> tuple[str, object]:
    """``key=value`` from the command line; the value is read as TOML, else kept as a string."""
    key, sep, raw = text.partition("=")
    key, raw = key.strip(), raw.strip()
    if not sep or not key:
        raise ParamsError(f"--set {text!r}: expected key=value, e.g. --set network.effect=3.0")
    if key not in _fields():
        raise ParamsError(f"--set {text!r}: unknown key '{key}'{_closest(key, _fields())}")
    if not raw:
        raise ParamsError(f"--set {text!r}: no value given for '{key}'")
    try:
        return key, tomllib.loads(f"value = {raw}")["value"]
    except tomllib.TOMLDecodeError:
        return key, raw


def params_to_dict(params: Params) -> dict:
    return params.model_dump(mode="json")


def params_to_toml(params: Params) -> str:
    return tomli_w.dumps(params_to_dict(params))


def flatten(params: Params | BaseModel) -> dict[str, object]:
    """Every parameter under its dotted key."""
    return {f"{table}.{key}": value for table, values in params_to_dict(params).items() for key, value in values.items()}
