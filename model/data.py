"""The real data series the calibration is fitted to, read from the CSV files in ``data/``.

Each file is one series: a header of comment lines ``# key: value`` (what was measured, its unit,
geography, frequency, source document, how the figures were checked), then a table with the columns
``period`` and ``value`` and, where a series needs them, further label columns (``ref``, ``low``,
``high``, ...). ``data/README.md`` describes the format and every file. Nothing is fetched at run time:
the files are the data.

    from model.data import available_series, read_series
    frame, meta = read_series("meta_arpu_us_canada")
    meta["unit"]        # 'US dollars per user per quarter'
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
REQUIRED_KEYS = ("series", "measured", "unit", "geography", "frequency", "source", "source_url", "checked")


def available_series(directory: Path | None = None) -> list[str]:
    """Names of the series in ``directory`` (``data/`` by default): the CSV files' stems, sorted."""
    return sorted(path.stem for path in Path(directory or DATA_DIR).glob("*.csv"))


def read_series(name: str, directory: Path | None = None) -> tuple[pd.DataFrame, dict[str, str]]:
    """The series ``name`` as a frame (``period`` as text, ``value`` as float, any label columns) and
    its header as a dict of metadata.

    Raises ``FileNotFoundError`` naming the available series if there is no such file, and
    ``ValueError`` naming the file and what is wrong if a required header key, the ``period`` or
    ``value`` column is missing, or a value is not a number.
    """
    folder = Path(directory or DATA_DIR)
    path = folder / f"{name}.csv"
    if not path.is_file():
        raise FileNotFoundError(f"no series {name!r}: {path} does not exist; available: {available_series(folder)}")
    meta: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        key, sep, value = line.lstrip("#").partition(":")
        if sep:
            meta[key.strip()] = value.strip()
    missing = [key for key in REQUIRED_KEYS if not meta.get(key)]
    if missing:
        raise ValueError(f"{path.name}: header lacks required key(s) {missing} (each a line '# key: value')")
    frame = pd.read_csv(path, comment="#", dtype={"period": str})
    for column in ("period", "value"):
        if column not in frame.columns:
            raise ValueError(f"{path.name}: no {column!r} column (columns are {list(frame.columns)})")
    values = pd.to_numeric(frame["value"], errors="coerce")
    if values.isna().any():
        bad = frame.loc[values.isna(), "period"].tolist()
        raise ValueError(f"{path.name}: 'value' is missing or not a number for period(s) {bad}")
    frame["value"] = values.astype(float)
    return frame, meta
