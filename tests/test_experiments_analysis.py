"""Analysis: Sobol indices of a function with known answers (Ishigami), intervals, and the CLI faces."""

import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model.cli import main
from model.experiments import Factor, point_summary, sensitivity_indices
from model.experiments.designs import sampled_design

ROOT = Path(__file__).resolve().parent.parent
NETWORK_ONLY = ROOT / "params" / "classroom" / "network_only.toml"


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> dict:
    """Analytic first-order and total indices (Ishigami & Homma 1990; Sobol' & Levitan 1999)."""
    pi = math.pi
    v1 = 0.5 * (1 + b * pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * pi**8 * (1 / 18 - 1 / 50)
    total = v1 + v2 + v13
    return {"S1": [v1 / total, v2 / total, 0.0], "ST": [(v1 + v13) / total, v2 / total, v13 / total]}


def test_sobol_indices_of_the_ishigami_function_match_the_analytic_values():
    """Through the pipeline's own design and analysis: runs table -> point means -> SALib -> tidy table."""
    factors = tuple(Factor(f"x{i}", low=-math.pi, high=math.pi) for i in (1, 2, 3))
    design = sampled_design("sobol", factors, 2**13, master_seed=3)
    y = ishigami(design.points[["x1", "x2", "x3"]].to_numpy())
    replicates = 2  # two identical replicates: the point mean is the function's value
    runs = pd.DataFrame({"point": np.repeat(design.points.index, replicates), "status": "ok",
                         "y": np.repeat(y, replicates)})
    table = sensitivity_indices(design, runs, ["y"], num_resamples=200).set_index(["index", "parameter"])
    expected = ishigami_indices()
    for index in ("S1", "ST"):
        for i, name in enumerate(("x1", "x2", "x3")):
            row = table.loc[(index, name)]
            assert row["estimate"] == pytest.approx(expected[index][i], abs=0.03), (index, name)
            assert row["ci95_high"] - row["ci95_low"] < 0.1
    assert table.loc[("S2", "x1 x x3"), "estimate"] == pytest.approx(expected["ST"][0] - expected["S1"][0], abs=0.06)


def test_point_summary_gives_means_and_t_intervals():
    runs = pd.DataFrame({"point": [0, 0, 0, 1, 1, 1], "status": ["ok", "ok", "ok", "ok", "ok", "failed"],
                         "a": [1.0, 1.0, 1.0, 2.0, 2.0, 2.0], "y": [1.0, 2.0, 3.0, 5.0, np.nan, np.nan]})
    table = point_summary(runs, ["a"], ["y"]).set_index("point")
    assert table.loc[0, "mean"] == 2.0 and table.loc[0, "n"] == 3
    assert table.loc[0, "ci95_high"] - 2.0 == pytest.approx(4.302653 * 1.0 / math.sqrt(3), rel=1e-5)
    assert table.loc[1, "ok"] == 2 and table.loc[1, "n"] == 1 and table.loc[1, "failed"] == 1
    assert np.isnan(table.loc[1, "ci95_low"])


def test_sweep_then_summarize_and_sensitivity_from_the_command_line(tmp_path, capsys):
    sobol = tmp_path / "sobol.toml"
    sobol.write_text(f"""
[experiment]
base = "{NETWORK_ONLY}"
design = "sobol"
samples = 8
second_order = false
seed = 5

[set]
"users.count" = 200
"simulation.steps" = 24

[vary]
"network.effect" = {{ low = 0.5, high = 3.0 }}
"switching.base_cost" = {{ low = 0.0, high = 1.0 }}

[keep]
outputs = ["final_hhi"]
""")
    out = tmp_path / "out"
    assert main(["sweep", str(sobol), "--out", str(out), "--serial", "--no-progress"]) == 0
    assert "32 of 32 runs on disk" in capsys.readouterr().out  # 8 x (2 + 2) points, 1 replicate
    assert main(["sensitivity", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "network.effect" in printed and "ST" in printed
    indices = pd.read_csv(out / "analysis" / "sensitivity.csv")
    assert set(indices["index"]) == {"S1", "ST"} and (out / "analysis" / "sensitivity.png").stat().st_size > 1000
    assert main(["summarize", str(out), "--outputs", "final_hhi,leader_final_share"]) == 0
    assert (out / "analysis" / "summary.csv").is_file()
    assert list((out / "analysis").glob("scatter_final_hhi_network.effect.png"))
    assert main(["summarize", str(out), "--outputs", "final_hh"]) == 2
    assert "no output 'final_hh' — did you mean 'final_hhi'" in capsys.readouterr().err


def test_summarize_a_grid_writes_heat_map_and_lines(tmp_path, capsys):
    out = tmp_path / "smoke"
    assert main(["sweep", str(ROOT / "params" / "experiments" / "smoke.toml"), "--out", str(out), "--serial",
                 "--no-progress"]) == 0
    assert main(["summarize", str(out), "--outputs", "final_hhi"]) == 0
    printed = capsys.readouterr().out
    assert "smoke.toml: 18 runs (6 points x 3 replicates) into" in printed  # said before it starts
    assert "network.effect" in printed and "final_hhi" in printed
    names = {p.name for p in (out / "analysis").glob("*.png")}
    assert names == {"heatmap_final_hhi.png", "lines_final_hhi_network.effect.png",
                     "lines_final_hhi_switching.base_cost.png"}
    assert main(["sensitivity", str(out)]) == 2
    assert "need a 'sobol' or 'morris' design" in capsys.readouterr().err


def test_summarize_writes_nothing_outside_the_results_folder(tmp_path, capsys):
    """A results folder crafted by someone else: an output named like a path (with the folder it
    climbs out of), then an analysis/ folder that is a link to elsewhere."""
    import pyarrow.parquet as pq

    from model.experiments import ResultStore

    sweep = tmp_path / "exp.toml"
    sweep.write_text(f"""
[experiment]
base = "{NETWORK_ONLY}"
[set]
"users.count" = 200
"simulation.steps" = 12
[vary]
"network.effect" = [1.0, 3.0]
""")
    out = tmp_path / "out"
    assert main(["sweep", str(sweep), "--out", str(out), "--serial", "--no-progress"]) == 0
    crafted = "x/../../../pwned"
    for part in ResultStore(out).run_parts():
        table = pq.read_table(part)
        pq.write_table(table.append_column(crafted, table.column("final_hhi")), part)
    (out / "analysis" / "lines_x").mkdir(parents=True)  # so that the OS would follow the '..'s
    outside = {p for p in tmp_path.rglob("*") if out not in p.parents}
    assert main(["summarize", str(out), "--outputs", crafted]) == 0
    assert {p for p in tmp_path.rglob("*") if out not in p.parents} == outside
    assert (out / "analysis" / "lines_x_.._.._.._pwned_network.effect.png").is_file()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.rmtree(out / "analysis")
    (out / "analysis").symlink_to(elsewhere)
    assert main(["summarize", str(out), "--outputs", "final_hhi"]) == 2
    assert "leads outside the results folder" in capsys.readouterr().err
    assert not any(elsewhere.iterdir())
