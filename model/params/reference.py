"""The parameter reference: every key with its unit, default, allowed range and meaning."""

from __future__ import annotations

import typing

from annotated_types import Ge, Gt, Le, Lt

from model.params.schema import Params


def describe_range(field) -> str:
    """Allowed values of a field: '(0, 1]', '>= 0', '"adaptive" | "fixed"', 'true | false', ..."""
    annotation = field.annotation
    choices = [a for a in typing.get_args(annotation) if typing.get_origin(a) is typing.Literal]
    if typing.get_origin(annotation) is typing.Literal:
        choices = [annotation]
    literal_values = [v for c in choices for v in typing.get_args(c)]
    if annotation is bool:
        return "true | false"
    bounds = {type(m): m for m in field.metadata if isinstance(m, (Ge, Gt, Le, Lt))}
    low = bounds.get(Ge) or bounds.get(Gt)
    high = bounds.get(Le) or bounds.get(Lt)
    numeric = None
    if low is not None and high is not None:
        left = "[" if Ge in bounds else "("
        right = "]" if Le in bounds else ")"
        numeric = f"{left}{_value(low)}, {_value(high)}{right}"
    elif low is not None:
        numeric = f"{'>=' if Ge in bounds else '>'} {_value(low)}"
    elif high is not None:
        numeric = f"{'<=' if Le in bounds else '<'} {_value(high)}"
    words = [f'"{v}"' for v in literal_values]
    if numeric:
        words.insert(0, numeric)
    elif typing.get_args(annotation) and float in typing.get_args(annotation):
        words.insert(0, "any number")
    return " | ".join(words) if words else "any number"


def _value(bound) -> str:
    number = next(getattr(bound, name) for name in ("ge", "gt", "le", "lt") if hasattr(bound, name))
    return f"{number:g}" if isinstance(number, float) else str(number)


def parameter_reference() -> list[dict]:
    """One row per parameter: key, unit, default, range, meaning."""
    rows = []
    for table, table_field in Params.model_fields.items():
        for key, field in table_field.annotation.model_fields.items():
            rows.append(
                {
                    "key": f"{table}.{key}",
                    "unit": (field.json_schema_extra or {}).get("unit", "-"),
                    "default": field.default,
                    "range": describe_range(field),
                    "meaning": field.description,
                }
            )
    return rows


def _shown(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return f"{value:g}" if isinstance(value, float) else str(value)


def format_reference() -> str:
    """Aligned plain text, grouped by table (for ``python -m model params``)."""
    rows = parameter_reference()
    width = {c: max(len(c), *(len(_shown(r[c]) if c == "default" else str(r[c])) for r in rows)) for c in ("key", "unit", "default", "range")}
    lines, table = [], None
    for r in rows:
        if r["key"].split(".")[0] != table:
            table = r["key"].split(".")[0]
            lines.append(f"\n[{table}]")
        lines.append(
            f"  {r['key']:<{width['key']}}  {r['unit']:<{width['unit']}}  {_shown(r['default']):<{width['default']}}"
            f"  {r['range']:<{width['range']}}  {r['meaning']}"
        )
    header = f"  {'key':<{width['key']}}  {'unit':<{width['unit']}}  {'default':<{width['default']}}  {'range':<{width['range']}}  meaning"
    return header + "\n".join(lines) + "\n"


def reference_markdown() -> str:
    """A Markdown table (for docs/ODD.md)."""
    lines = ["| key | unit | default | allowed | meaning |", "| --- | --- | --- | --- | --- |"]
    for r in parameter_reference():
        lines.append(f"| `{r['key']}` | {r['unit']} | `{_shown(r['default'])}` | {r['range'].replace('|', '\\|')} | {r['meaning']} |")
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
            text = f"{value:_}" if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10_000 else _shown(value)
            if isinstance(value, float) and "." not in text and "e" not in text:
                text += ".0"  # keep floats floats: strict validation tells 1 from 1.0 only for ints
            unit = (field.json_schema_extra or {}).get("unit", "-")
            lines.append(f"{key} = {text}".ljust(34) + f"# {field.description} [{unit}]")
        lines.append("")
    return "\n".join(lines)
