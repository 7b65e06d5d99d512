"""Parameters: the schema (units, defaults, ranges, meanings), TOML files, and the reference."""

from model.params.files import (
    ParamsError,
    flatten,
    load_params,
    params_to_dict,
    params_to_toml,
    parse_override,
)
from model.params.reference import format_reference, parameter_reference, reference_markdown
from model.params.schema import Params

__all__ = [
    "Params",
    "ParamsError",
    "flatten",
    "format_reference",
    "load_params",
    "parameter_reference",
    "params_to_dict",
    "params_to_toml",
    "parse_override",
    "reference_markdown",
]
