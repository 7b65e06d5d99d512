"""What the sweep tests share: a small batch experiment written to disk, and its rows read back."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from model.experiments import ResultStore, load_runs

NETWORK_ONLY = Path(__file__).resolve().parent.parent / "params" / "classroom" / "network_only.toml"


def write_experiment(folder: Path, *, seed: int, users: int, steps: int, replicates: int, vary: dict[str, tuple],
                     keep_frame: bool = False, name: str = "exp.toml") -> Path:
    """A batch experiment over the classroom's network-only market, varying ``vary`` (key: values)."""
    varied = "\n".join(f'"{key}" = {list(values)}' for key, values in vary.items())
    path = folder / name
    path.write_text(f"""
[experiment]
base = "{NETWORK_ONLY}"
replicates = {replicates}
seed = {seed}

[set]
"users.count" = {users}
"simulation.steps" = {steps}

[vary]
{varied}

[keep]
model_frame = {str(keep_frame).lower()}
outputs = ["final_hhi"]
""", encoding="utf-8")
    return path


def comparable(folder) -> pd.DataFrame:
    """Every column but the wall time of each run."""
    return load_runs(folder).drop(columns="run_seconds")


def rows_on_disk(folder) -> int:
    return sum(pq.ParquetFile(part).metadata.num_rows for part in ResultStore(folder).run_parts())
