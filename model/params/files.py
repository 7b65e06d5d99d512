"""Parameter files: TOML, with ``extends`` and dotted overrides, validated with clear errors.

Every problem is one line that names the file, the key and what is allowed, e.g.::

    params/x.toml: users.review_rate = 1.5 is out of range: must be > 0 and <= 1 (1/month)
    params/x.toml: unknown key 'users.cont' — did you mean 'users.count'?

Loading never writes anything.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from pathlib import Path

import tomli_w
from pydantic import BaseModel, ValidationError

from model.params.reference import describe_bounds, expected, schema_fields, unit_of
from model.params.schema import Params

_RANGE_ERRORS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}
# Arrays and tables nested deeper than this are refused: no parameter needs more than two levels, and
# a value nested thousands deep would exhaust Python's recursion while being read.
MAX_NESTING = 20


class ParamsError(ValueError):
    """A parameter file or override that cannot be used; the message says where and why."""


# -- public functions -------------------------------------------------------------------------
def load_params(path: str | Path, overrides: dict | None = None, ignore_tables: tuple[str, ...] = ()) -> Params:
    """Parameters of a TOML file (and the files it ``extends``), then dotted ``overrides``, validated.

    ``ignore_tables`` are tables that are not parameters and are read by someone else (a case
    file's ``[case]``, model.cases). Raises ParamsError listing every problem, one per line.
    """
    problems: list[str] = []
    data: dict = {}
    origins: dict[str, str] = {}  # dotted key -> the file (or override) its value came from
    for source, layer in _read_chain(Path(path)):
        layer = {table: values for table, values in layer.items() if table not in ignore_tables}
        _merge(data, _known(layer, source, problems), source, origins)
    if overrides:
        _merge(data, _override_layer(overrides, f"{path} (override)", problems), f"{path} (override)", origins)
    try:
        params = Params.model_validate(data)
    except ValidationError as error:
        problems += _explain(error, data, origins, str(path))
        params = None
    if problems:
        raise ParamsError("\n".join(problems))
    return params


def parse_override(text: str) -> tuple[str, object]:
    """``key=value`` from the command line; the value is read as TOML if it can be, else as a word.

    So ``platforms.strategy=fixed`` and ``platforms.strategy="fixed"`` mean the same.
    """
    key, sep, raw = (part.strip() for part in text.partition("="))
    shown = _show(text)
    if "\n" in text or "\r" in text:  # one value, not a snippet of TOML that could set other keys
        raise ParamsError(f"--set {shown}: a value must be on one line")
    if not sep or not key:
        raise ParamsError(f"--set {shown}: expected key=value, e.g. --set network.effect=3.0")
    if key not in schema_fields():
        raise ParamsError(f"--set {shown}: {_unknown(key)}")
    if not raw:
        raise ParamsError(f"--set {shown}: no value given for '{key}'")
    if _bracket_depth(f"value = {raw}")[0] > MAX_NESTING:
        raise ParamsError(f"--set {shown}: the value nests arrays or tables more than {MAX_NESTING} deep")
    try:
        return key, tomllib.loads(f"value = {raw}")["value"]
    except RecursionError:  # the depth check above should have caught it; never a traceback
        raise ParamsError(f"--set {shown}: the value nests arrays or tables too deeply to read") from None
    except ValueError as error:  # TOMLDecodeError, or a number too long to convert
        # A bare word is a string; something that starts like a TOML string, array or table is a typo.
        if raw[0] in "\"'[{" or not isinstance(error, tomllib.TOMLDecodeError):
            reason = re.sub(r"\s*\(at .*\)$", "", _toml_problem(error))
            raise ParamsError(f"--set {shown}: cannot read the value {_show(raw)} ({reason})") from None
        return key, raw


def params_to_dict(params: Params) -> dict:
    """The parameters as plain tables of plain values."""
    return params.model_dump(mode="json")


def params_to_toml(params: Params) -> str:
    """The resolved parameters as a TOML file: every table, every key."""
    return tomli_w.dumps(params_to_dict(params))


def flatten(params: Params | BaseModel) -> dict[str, object]:
    """Every parameter under its dotted key, e.g. ``{"users.count": 10000, ...}``."""
    return {f"{table}.{key}": value for table, values in params_to_dict(params).items() for key, value in values.items()}


# -- reading files ----------------------------------------------------------------------------
def _read_chain(path: Path) -> list[tuple[str, dict]]:
    """The file and the files it extends, as (name, tables), the most basic first."""
    layers: list[tuple[str, dict]] = []
    seen: list[Path] = []
    target = None
    while True:
        shown = os.path.normpath(path) if layers else str(path)
        if path.resolve() in seen:
            cycle = " -> ".join([name for name, _ in layers] + [shown])
            raise ParamsError(f"{layers[0][0]}: circular 'extends': {cycle}")
        if not path.is_file():
            why = "is not a file" if path.exists() else "does not exist"
            if layers:
                raise ParamsError(f"{layers[-1][0]}: extends '{target}', but {shown} {why}")
            raise ParamsError(f"{shown}: no such parameter file" if why == "does not exist" else f"{shown}: {why}")
        data = _parse(path, shown)
        seen.append(path.resolve())
        layers.append((shown, data))
        target = data.pop("extends", None)
        if target is None:
            return layers[::-1]
        if not isinstance(target, str) or not target.strip():
            raise ParamsError(f"{shown}: extends = {_show(target)}: expected the name of a parameter file (a string)")
        path = path.parent / target


def _parse(path: Path, shown: str) -> dict:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise ParamsError(f"{shown}: cannot read: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise ParamsError(f"{shown}: not UTF-8 text (bad byte at offset {error.start})") from None
    depth, line = _bracket_depth(text)
    if depth > MAX_NESTING:
        raise ParamsError(f"{shown}: line {line}{_key_at(text, line)}: arrays or tables nested more than "
                          f"{MAX_NESTING} deep; a parameter takes a single value")
    try:
        data = tomllib.loads(text)
    except RecursionError:  # _bracket_depth should have caught it; never a traceback
        raise ParamsError(f"{shown}: arrays or tables nested too deeply to read") from None
    except ValueError as error:  # TOMLDecodeError, or a number too long to convert
        # tomllib says '(at line 3, column 15)', or '(at end of document)' which names no line
        where = f"(at line {text.count(chr(10)) + 1}, the end of the file)"
        raise ParamsError(f"{shown}: malformed TOML: {_toml_problem(error).replace('(at end of document)', where)}") from None
    too_deep = _nested_too_deep(data)
    if too_deep:  # dotted keys or table headers (a.b.c...) nest without brackets
        raise ParamsError(f"{shown}: {too_deep}: tables nested more than {MAX_NESTING} deep; a parameter takes a single value")
    return data


def _toml_problem(error: ValueError) -> str:
    """What tomllib could not read; Python's own limit on long numbers in the user's words."""
    if isinstance(error, tomllib.TOMLDecodeError):
        return str(error)
    return "a number has too many digits to read"


def _nested_too_deep(data: dict) -> str | None:
    """The table and key (e.g. 'users.count') of a value nested more than MAX_NESTING deep, else None."""
    stack = [((), data)]
    while stack:
        keys, value = stack.pop()
        if len(keys) > 2 + MAX_NESTING:
            return ".".join(str(key) for key in keys[:2])
        if isinstance(value, dict):
            stack += [((*keys, key), inner) for key, inner in value.items()]
        elif isinstance(value, list):
            stack += [((*keys, index), inner) for index, inner in enumerate(value)]
    return None


def _key_at(text: str, line: int) -> str:
    """' (table.key)' for the key assigned on ``line`` (1-based) of a TOML text, '' if none is."""
    lines = text.splitlines()
    key, sep, _ = lines[line - 1].partition("=")
    if not sep:
        return ""
    headers = (re.fullmatch(r"\s*\[\s*([\w.-]+)\s*\]\s*(#.*)?", above) for above in reversed(lines[:line - 1]))
    table = next((header.group(1) for header in headers if header), "")
    return f" ({table + '.' if table else ''}{key.strip()})"


def _bracket_depth(text: str) -> tuple[int, int]:
    """(deepest nesting of arrays and inline tables, the line where it is reached), ignoring quoted text and comments.

    A table header such as [users] opens nothing: it stands where a key would, outside any value.
    """
    depth, deepest, where, quote = 0, 0, 1, ""
    for number, line in enumerate(text.splitlines() or [""], 1):
        expecting_value = False
        for position, char in enumerate(line):
            if quote:
                quote = "" if char == quote and line[position - 1] != "\\" else quote
            elif char in "\"'":
                quote = char
            elif char == "#":
                break
            elif char == "=":
                expecting_value = True
            elif char in "[{" and (depth or expecting_value):
                depth += 1
                if depth > deepest:
                    deepest, where = depth, number
            elif char in "]}" and depth:
                depth -= 1
        quote = ""  # a basic string ends with its line (multi-line strings are not parameters)
    return deepest, where


def _known(layer: dict, source: str, problems: list[str]) -> dict:
    """The layer without unknown tables and keys, which are reported with the closest valid name."""
    fields, tables = schema_fields(), Params.model_fields
    kept = {}
    for table, values in layer.items():
        if table not in tables:
            problems.append(f"{source}: {_unknown_table(table, values)}")
        elif not isinstance(values, dict):
            problems.append(f"{source}: {table} = {_show(values)}: expected a table [{table}], got {_kind(values)}")
        else:
            for key in [k for k in values if f"{table}.{k}" not in fields]:
                problems.append(f"{source}: {_unknown(f'{table}.{key}')}")
            kept[table] = {k: v for k, v in values.items() if f"{table}.{k}" in fields}
    return kept


def _override_layer(overrides: dict, source: str, problems: list[str]) -> dict:
    """Dotted overrides as tables; unknown keys are reported."""
    layer: dict = {}
    for dotted, value in overrides.items():
        if dotted not in schema_fields():
            problems.append(f"{source}: {_unknown(str(dotted))}")
            continue
        table, key = dotted.split(".")
        layer.setdefault(table, {})[key] = value
    return layer


def _merge(data: dict, layer: dict, source: str, origins: dict[str, str], prefix: str = "") -> None:
    """Deep-merge ``layer`` into ``data`` table by table, key by key, noting where values came from."""
    for key, value in layer.items():
        dotted = prefix + key
        origins[dotted] = source
        if isinstance(value, dict):
            if not isinstance(data.get(key), dict):
                data[key] = {}
            _merge(data[key], value, source, origins, dotted + ".")
        else:
            data[key] = value


# -- unknown names ----------------------------------------------------------------------------
# Keys that older parameter files may still carry: what became of them, so the error says so.
REMOVED = {
    "platforms.initial_ad_price": "the ad price now starts at platforms.min_ad_price and the ad market's clearing finds it",
}


def _unknown(dotted: str) -> str:
    """'unknown key ...' with the closest valid name: same table first, then the same key elsewhere."""
    if dotted in REMOVED:
        return f"key {_show(dotted)} was removed: {REMOVED[dotted]}; delete it from the file"
    fields = schema_fields()
    table, _, key = dotted.rpartition(".")
    same_table = [k.split(".")[1] for k in fields if k.split(".")[0] == table]
    close = difflib.get_close_matches(key, same_table, n=1, cutoff=0.6)
    guesses = [f"{table}.{close[0]}"] if close else [k for k in fields if k.split(".")[1] == key]
    guesses = guesses or difflib.get_close_matches(dotted, list(fields), n=1, cutoff=0.6)
    return f"unknown key {_show(dotted)}" + _did_you_mean(guesses)


def _unknown_table(name: str, values) -> str:
    if not isinstance(values, (dict, list)):  # a key written above every table header
        return f"unknown key {_show(name)} outside any table" + _did_you_mean([k for k in schema_fields() if k.endswith(f".{name}")])
    close = difflib.get_close_matches(name, list(Params.model_fields), n=1, cutoff=0.6)
    return f"unknown table {_show(name)}" + _did_you_mean(close)


def _did_you_mean(names: list[str]) -> str:
    if not names:
        return ""
    quoted = [f"'{name}'" for name in names[:3]]
    return " — did you mean " + (", ".join(quoted[:-1]) + " or " + quoted[-1] if len(quoted) > 1 else quoted[0]) + "?"


# -- validation errors, in the file's words ---------------------------------------------------
def _explain(error: ValidationError, data: dict, origins: dict[str, str], path: str) -> list[str]:
    """One line per key: pydantic reports each branch of a union separately, so group by key."""
    by_key: dict[tuple, list[dict]] = {}
    for problem in error.errors():
        by_key.setdefault(tuple(str(part) for part in problem["loc"][:2]), []).append(problem)
    lines = []
    for loc, problems in by_key.items():
        message, mentioned = _message(loc, problems, data)
        source = next((origins[key] for key in mentioned if key in origins), path)
        lines.append(f"{source}: {message}")
    return lines


def _message(loc: tuple, problems: list[dict], data: dict) -> tuple[str, list[str]]:
    """The message for one key (or a rule across keys) and the keys it is about."""
    first = problems[0]
    if len(loc) == 2 and ".".join(loc) in schema_fields():
        dotted = ".".join(loc)
        return _field_message(dotted, schema_fields()[dotted], problems), [dotted]
    # A rule across keys (a model validator): name the keys it mentions, with their values.
    text = first["msg"].removeprefix("Value error, ")
    if len(loc) == 1:  # a table's own rule speaks of its keys without the table name
        text = re.sub(rf"(?<![\w.])({'|'.join(_table_keys(loc[0]))})\b", rf"{loc[0]}.\1", text)
    mentioned = [key for key in schema_fields() if re.search(rf"(?<![\w.]){re.escape(key)}\b", text)]
    values = ", ".join(f"{key} = {_show(_value(data, key))}" for key in mentioned)
    return text + (f" (got {values})" if values else ""), mentioned or list(loc)


def _field_message(dotted: str, field, problems: list[dict]) -> str:
    kinds = {problem["type"] for problem in problems}
    value = problems[0]["input"]
    if kinds & _RANGE_ERRORS and kinds <= _RANGE_ERRORS | {"literal_error"}:  # a number-or-word's number
        unit = unit_of(field)
        return f"{dotted} = {_show(value)} is out of range: must be {describe_bounds(field)}" + (f" ({unit})" if unit != "-" else "")
    if "finite_number" in kinds:
        return f"{dotted} = {_show(value)} is not allowed: must be a finite number"
    if kinds == {"literal_error"}:
        return f"{dotted} = {_show(value)} is not allowed: must be {expected(field)}"
    return f"{dotted}: expected {expected(field)}, got {_kind(value)}"


def _table_keys(table: str) -> list[str]:
    return [key.split(".")[1] for key in schema_fields() if key.split(".")[0] == table]


def _value(data: dict, dotted: str):
    """The value a key has in the data, else its default."""
    table, key = dotted.split(".")
    values = data.get(table)
    if isinstance(values, dict) and key in values:
        return values[key]
    return schema_fields()[dotted].default


def _show(value, most: int = 80) -> str:
    """A value as the user wrote it: true, 'abc', 1.5 (cut short if long)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value) if isinstance(value, (str, float)) else str(value)
    return text if len(text) <= most else text[:most - 3] + "..."


def _kind(value) -> str:
    """'string 'abc'', 'number 2.5', 'boolean true', 'a table', ... for 'expected X, got Y'."""
    if isinstance(value, dict):
        return "a table"
    kinds = {bool: "boolean", str: "string", int: "integer", float: "number", list: "array"}
    kind = next((name for cls, name in kinds.items() if isinstance(value, cls)), type(value).__name__)
    return f"{kind} {_show(value)}"

