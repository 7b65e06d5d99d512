"""The parameter reference: every key with its unit, default, allowed range and meaning.

The helpers that read a field's unit, bounds and choices live here too, so that the reference and
the error messages of ``files.py`` describe a field in the same words.
"""

from __future__ import annotations

import functools
import typing

from annotated_types import Ge, Gt, Le, Lt
from pydantic.fields import FieldInfo

from model.params.schema import Params

_SIGNS = {Ge: ">=", Gt: ">", Le: "<=", Lt: "<"}


# -- one field, in words ----------------------------------------------------------------------
@functools.cache
def schema_fields() -> dict[str, FieldInfo]:
    """Every dotted key of the schema (``users.count``, ...) with its pydantic field, in order."""
    return {
        f"{table}.{key}": field
        for table, table_field in Params.model_fields.items()
        for key, field in table_field.annotation.model_fields.items()
    }


def unit_of(field: FieldInfo) -> str:
    return (field.json_schema_extra or {}).get("unit", "-")


def bounds_of(field: FieldInfo) -> dict[str, float]:
    """The field's numeric bounds, e.g. ``{"gt": 0, "le": 1}`` (a number-or-word field's are on its number)."""
    metadata = list(field.metadata)
    for part in typing.get_args(field.annotation):
        if typing.get_origin(part) is typing.Annotated:
            metadata += [meta for info in part.__metadata__ for meta in getattr(info, "metadata", [info])]
    bounds = {}
    for meta in metadata:
        for kind in (Ge, Gt, Le, Lt):
            if isinstance(meta, kind):
                name = kind.__name__.lower()
                bounds[name] = getattr(meta, name)
    return bounds


def choices_of(field: FieldInfo) -> list:
    """The values a Literal field (or the Literal part of a union) allows."""
    annotation = field.annotation
    parts = typing.get_args(annotation) if typing.get_origin(annotation) is not typing.Literal else (annotation,)
    return [value for part in parts if typing.get_origin(part) is typing.Literal for value in typing.get_args(part)]


def takes_number(field: FieldInfo) -> bool:
    annotation = field.annotation
    parts = [typing.get_args(part)[0] if typing.get_origin(part) is typing.Annotated else part
             for part in typing.get_args(annotation)]
    return annotation in (int, float) or float in parts


def expected(field: FieldInfo) -> str:
    """What kind of value a field takes: 'a whole number', 'a number or "none"', ..."""
    if field.annotation is bool:
        return "true or false"
    words = ["a whole number" if field.annotation is int else "a number"] if takes_number(field) else []
    words += [f'"{value}"' for value in choices_of(field)]
    return ", ".join(words[:-1]) + " or " + words[-1] if len(words) > 1 else words[0]


def describe_bounds(field: FieldInfo) -> str:
    """The bounds as conditions: '> 0 and <= 1', '>= 0' ('' when unbounded)."""
    bounds = bounds_of(field)
    return " and ".join(f"{_SIGNS[kind]} {_number(bounds[kind.__name__.lower()])}"
                        for kind in (Ge, Gt, Le, Lt) if kind.__name__.lower() in bounds)


def describe_range(field: FieldInfo) -> str:
    """Allowed values in short: '(0, 1]', '>= 0', '"adaptive" | "fixed"', 'true | false', 'any number'."""
    if field.annotation is bool:
        return "true | false"
    bounds = bounds_of(field)
    low = ("[", bounds["ge"]) if "ge" in bounds else ("(", bounds["gt"]) if "gt" in bounds else None
    high = ("]", bounds["le"]) if "le" in bounds else (")", bounds["lt"]) if "lt" in bounds else None
    words = [f'"{value}"' for value in choices_of(field)]
    if low and high:
        words.insert(0, f"{low[0]}{_number(low[1])}, {_number(high[1])}{high[0]}")
    elif low or high:
        words.insert(0, describe_bounds(field))
    elif takes_number(field):
        words.insert(0, "any number")
    return " | ".join(words)


def _number(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _shown(value) -> str:
    """A default as it reads in TOML: true, "loan", 0.5."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return _number(value)


# -- the reference ----------------------------------------------------------------------------
def parameter_reference() -> list[dict]:
    """One row per parameter: key, unit, default, range, meaning."""
    return [
        {"key": key, "unit": unit_of(field), "default": field.default, "range": describe_range(field), "meaning": field.description}
        for key, field in schema_fields().items()
    ]


def format_reference() -> str:
    """An aligned plain-text table, grouped by table (for ``python -m model params``)."""
    rows = [{**row, "default": _shown(row["default"])} for row in parameter_reference()]
    columns = ("key", "unit", "default", "range")
    width = {c: max(len(c), *(len(row[c]) for row in rows)) for c in columns}

    def line(row) -> str:
        return "  " + "  ".join(f"{row[c]:<{width[c]}}" for c in columns) + f"  {row['meaning']}"

    lines, table = [line({c: c for c in (*columns, "meaning")})], None
    for row in rows:
        if row["key"].split(".")[0] != table:
            table = row["key"].split(".")[0]
            lines += ["", f"[{table}]"]
        lines.append(line(row))
    return "\n".join(lines) + "\n"


def reference_markdown() -> str:
    """A Markdown table (for docs/ODD.md)."""
    lines = ["| key | unit | default | allowed | meaning |", "| --- | --- | --- | --- | --- |"]
    for r in parameter_reference():
        allowed = r["range"].replace("|", "\\|")
        lines.append(f"| `{r['key']}` | {r['unit']} | `{_shown(r['default'])}` | {allowed} | {r['meaning']} |")
    return "\n".join(lines) + "\n"


def commented_toml(params: Params | None = None, header: str = "") -> str:
    """Every parameter as TOML, each with its meaning and unit as a comment (a file to start from)."""
    params = params or Params()
    lines = [f"# {line}" if line else "#" for line in header.splitlines()] + ([""] if header else [])
    for table, table_field in Params.model_fields.items():
        values = getattr(params, table)
        lines.append(f"[{table}]")
        for key, field in table_field.annotation.model_fields.items():
            value = getattr(values, key)
            if isinstance(value, float):
                text = repr(value)  # repr keeps every digit and the '.0' that marks a float
            elif isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10_000:
                text = f"{value:_}"
            else:
                text = _shown(value)
            lines.append(f"{key} = {text}".ljust(33) + f" # {field.description} [{unit_of(field)}]")
        lines.append("")
    return "\n".join(lines)
