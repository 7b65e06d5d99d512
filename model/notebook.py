"""What the notebooks share: the repository's folder, readable tables, and results written as sentences.

The notebooks in ``notebooks/`` quote their results in sentences computed from the run (``say``,
``when``, ``dollars``), so that the text stays true when the model changes. Their first code cell:

    from model.charts import use_offline_renderer
    from model.notebook import dollars, find_root, format_tables, say, when

    use_offline_renderer()  # Altair charts drawn without the internet
    format_tables()
    ROOT = find_root()
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pandas as pd

PACKAGE_PARENT = Path(__file__).resolve().parent.parent  # the repository, when the package is installed from it

# A dollar sign that no math typesetter reads as the start or end of a formula. JupyterLab renders
# Markdown in three steps: it sets aside what lies between unescaped dollar signs (as mathematics),
# the Markdown parser turns "\$" into "$", and MathJax typesets the text of the result, where
# "\$3.0 million into the platforms; advertisers paid \$3.2" has become a formula: the words in
# run-together italics. The HTML entity hides the sign from the first step, and the <span> from
# MathJax, which never pairs dollar signs across elements. (Checked in JupyterLab 4.6, in a
# Markdown output and in a Markdown cell; tests/test_browser.py reads a sentence back.)
DOLLAR = "<span>&#36;</span>"


def find_root(start: str | Path | None = None) -> Path:
    """The repository's root, the folder holding ``params/baseline.toml``.

    Looked for in ``start`` (the working directory by default) and the folders above it, then
    above this package, so that a notebook finds the scenarios wherever Jupyter was started.
    """
    start = Path.cwd() if start is None else Path(start)
    for folder in [start, *start.parents, PACKAGE_PARENT]:
        if (folder / "params" / "baseline.toml").is_file():
            return folder
    raise FileNotFoundError(f"params/baseline.toml not found in {start}, the folders above it or {PACKAGE_PARENT}: "
                            "open the notebook inside the repository")


def format_tables() -> None:
    """Show tables with thousands separators and two decimals (never 1.2e+06), and text up to 120 characters."""
    pd.set_option("display.float_format", "{:,.2f}".format)
    pd.set_option("display.max_colwidth", 120)


def escape_dollars(text: str) -> str:
    """Markdown in which every dollar sign outside `code` shows as a dollar sign, never as mathematics."""
    parts = text.split("`")
    parts[::2] = [part.replace("$", DOLLAR) for part in parts[::2]]  # the even parts are outside code
    return "`".join(parts)


def say(text: str) -> None:
    """Show Markdown text written from a notebook's results (see ``escape_dollars``)."""
    from IPython.display import Markdown, display

    display(Markdown(escape_dollars(text)))


def when(month) -> str:
    """'month 117 (year 9.8)', or 'never' for an event that did not happen (None or NaN)."""
    return "never" if month is None or pd.isna(month) else f"month {int(month)} (year {month / 12:.1f})"


def dollars(amount: float) -> str:
    """$1.2 million, $35,400, $4.50, -$2,000."""
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    if amount >= 1e6:
        return f"{sign}${amount / 1e6:.1f} million"
    if amount == 0:
        return "$0"
    return f"{sign}${amount:,.0f}" if amount >= 100 else f"{sign}${amount:.2f}"


def known_parameter(key: str) -> str:
    """``key`` (a dotted name such as "entry.rate") if the model has that parameter, else a KeyError.

    A notebook that says whether a mechanism is in the model names the parameter that turns it on;
    a misspelt or renamed one stops the notebook with an error that names the table and its keys,
    instead of reporting the mechanism as missing.
    """
    from model.params import parameter_reference

    keys = [row["key"] for row in parameter_reference()]
    if key in keys:
        return key
    table, _, name = key.partition(".")
    tables = sorted({known.split(".")[0] for known in keys})
    if table not in tables:
        raise KeyError(f"no parameter table [{table}] (in '{key}'){_did_you_mean(table, tables)}; "
                       f"the tables are {', '.join(tables)}")
    names = [known.split(".", 1)[1] for known in keys if known.startswith(f"{table}.")]
    raise KeyError(f"no parameter '{name}' in the [{table}] table{_did_you_mean(name, names)}; "
                   f"its keys are {', '.join(names)}")


def _did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=3, cutoff=0.5)
    return f" (did you mean {', '.join(close)}?)" if close else ""
