"""Experiment files and designs: clear errors before anything runs; seeds spawned from one master seed."""

from pathlib import Path

import numpy as np
import pytest

from model.cli import main
from model.experiments import ExperimentError, load_experiment, make_design, run_seed
from model.experiments.designs import run_id

ROOT = Path(__file__).resolve().parent.parent
NETWORK_ONLY = ROOT / "params" / "classroom" / "network_only.toml"

GOOD = f"""
[experiment]
base = "{NETWORK_ONLY}"
design = "grid"
replicates = 2
seed = 7

[set]
"users.count" = 200

[vary]
"network.effect" = [1.0, 2.0]
"switching.base_cost" = {{ low = 0.0, high = 1.0, num = 3 }}
"""


def write(tmp_path: Path, text: str, name: str = "exp.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_experiment_files_load():
    for path in sorted((ROOT / "params" / "experiments").glob("*.toml")):
        experiment = load_experiment(path)
        runs = len(make_design(experiment).points) * experiment.replicates
        assert runs >= 1, path
    smoke = load_experiment(ROOT / "params" / "experiments" / "smoke.toml")
    assert len(make_design(smoke).points) * smoke.replicates <= 20
    assert smoke.base.users.count <= 1000 and smoke.base.simulation.steps <= 60
    lab = load_experiment(ROOT / "params" / "experiments" / "class_lab.toml")
    assert set(lab.keys) == {"network.effect", "switching.cost_per_month"} and lab.replicates == 10


def test_grid_design_is_every_combination_in_file_order(tmp_path):
    experiment = load_experiment(write(tmp_path, GOOD))
    points = make_design(experiment).points
    assert points.to_dict("list") == {"network.effect": [1.0, 1.0, 1.0, 2.0, 2.0, 2.0],
                                      "switching.base_cost": [0.0, 0.5, 1.0] * 2}
    assert experiment.base.users.count == 200


def test_nested_tables_and_whole_numbers(tmp_path):
    text = GOOD.replace('"network.effect" = [1.0, 2.0]', "network.effect = [1.0, 2.0]").replace(
        '"switching.base_cost" = { low = 0.0, high = 1.0, num = 3 }', '"users.count" = { low = 100, high = 300, num = 3 }')
    design = make_design(load_experiment(write(tmp_path, text)))
    assert design.values(0) == {"network.effect": 1.0, "users.count": 100}
    assert [design.values(p)["users.count"] for p in range(3)] == [100, 200, 300]
    assert all(type(design.values(p)["users.count"]) is int for p in design.points.index)  # the schema is strict


def test_run_seeds_are_spawned_from_the_master_seed():
    """Run (p, r) uses child r of child p of SeedSequence(master).spawn: independent of order and machine."""
    master = 7
    children = np.random.SeedSequence(master).spawn(3)
    expected = int(children[2].spawn(4)[3].generate_state(1, np.uint64)[0] >> np.uint64(1))
    assert run_seed(master, 2, 3) == expected
    seeds = {run_seed(master, p, r) for p in range(20) for r in range(10)}
    assert len(seeds) == 200  # all distinct
    assert run_seed(master, 0, 1, "common") == run_seed(master, 5, 1, "common")
    assert run_id(3, 2, replicates=10) == 32


@pytest.mark.parametrize("change, words", [
    (('"network.effect" = [1.0, 2.0]', '"network.efect" = [1.0, 2.0]'),
     ["[vary] unknown parameter 'network.efect'", "did you mean 'network.effect'"]),
    (('"network.effect" = [1.0, 2.0]', '"network.effect" = []'), ["[vary] network.effect = []: empty list"]),
    (('num = 3 }', 'num = 0 }'), ["[vary] switching.base_cost", "num"]),
    (('low = 0.0, high = 1.0', 'low = 1.0, high = 0.0'), ["[vary] switching.base_cost", "empty range"]),
    (('design = "grid"', 'design = "latin_square"'), ["experiment.design = 'latin_square' is not a design", "'grid'"]),
    (('replicates = 2', 'replicates = 0'), ["experiment.replicates = 0", ">= 1"]),
    (('"users.count" = 200', '"users.count" = -5'), ["[set] users.count = -5 is out of range"]),
    (('"network.effect" = [1.0, 2.0]', '"network.effect" = [1.0, 200.0]'), ["[vary] network.effect = 200.0 is out of range"]),
    (('[experiment]', '[experiment]\nreplicate = 3'), ["unknown key 'experiment.replicate'", "did you mean 'replicates'"]),
    (('"network.effect" = [1.0, 2.0]', '"simulation.seed" = [1, 2]'),
     ["[vary] simulation.seed: every run's seed is spawned from experiment.seed", "experiment.replicates",
      'experiment.seeds = "common"']),
    (('"users.count" = 200', '"simulation.seed" = 4'), ["[set] simulation.seed: every run's seed is spawned"]),
    (('[vary]', '[keep]\noutputs = ["final_hh", "lock_in_month"]\n[vary]'),
     ["keep.outputs: unknown output 'final_hh' — did you mean 'final_hhi'?", "allowed: steps, lock_in_month,"]),
    (('[experiment]', 'base = 5\n[experiment]'), ["base must be a table [base], got 5"]),
    (('[experiment]', '[base]\nusers = 5\n[experiment]'), ["[base] users = 5: must be a table of parameters [base.users]"]),
    (('num = 3 }', 'num = 2000000 }'), ["[vary] switching.base_cost: num = 2,000,000 values; a grid range takes at most 1,000,000"]),
])
def test_bad_experiment_files_give_clear_errors_and_nothing_is_written(tmp_path, capsys, change, words):
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(ExperimentError) as error:
        load_experiment(path)
    for text in [str(path), *words]:
        assert text in str(error.value), (text, str(error.value))
    out = tmp_path / "results"
    assert main(["sweep", str(path), "--out", str(out), "--serial", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert all(text in err for text in [str(path), *words]), err
    assert not out.exists()


def test_sampled_designs_need_ranges_and_sobol_a_power_of_two(tmp_path):
    text = GOOD.replace('design = "grid"', 'design = "sobol"\nsamples = 12')
    with pytest.raises(ExperimentError) as error:
        load_experiment(write(tmp_path, text))
    message = str(error.value)
    assert "experiment.samples = 12: Sobol sequences need a power of 2" in message
    assert "[vary] network.effect: the design 'sobol' samples from a range" in message


@pytest.mark.parametrize("design", ['design = "grid"', 'design = "latin"\nsamples = 5', 'design = "sobol"\nsamples = 4',
                                    'design = "sobol"\nsamples = 4\nsecond_order = false',
                                    'design = "morris"\nsamples = 3'])
def test_the_points_of_a_design_are_counted_without_building_it(tmp_path, design):
    from model.experiments.designs import point_count

    text = GOOD.replace('design = "grid"', design)
    if "grid" not in design:
        text = text.replace('"network.effect" = [1.0, 2.0]', '"network.effect" = { low = 1.0, high = 2.0 }')
    experiment = load_experiment(write(tmp_path, text))
    assert point_count(experiment) == len(make_design(experiment).points)


def test_a_sweep_of_more_than_100000_runs_is_refused_unless_confirmed(tmp_path, capsys, monkeypatch):
    """A billion points: counted from the factors in no time, and the design is never built."""
    import model.experiments.runner as runner

    def never(experiment):
        raise AssertionError("the design of a refused sweep was built")

    monkeypatch.setattr(runner, "make_design", never)
    axis = "{ low = 0.0, high = 1.0, num = 1000 }"
    text = GOOD.replace('"network.effect" = [1.0, 2.0]', f'"network.effect" = {{ low = 0.5, high = 3.0, num = 1000 }}'
                        f'\n"switching.cost_per_month" = {axis}').replace("num = 3 }", "num = 1000 }")
    path, out = write(tmp_path, text), tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "--serial", "--no-progress"]) == 2
    printed = capsys.readouterr()
    assert f"{path}: 2,000,000,000 runs (1,000,000,000 points x 2 replicates) into {out}" in printed.out
    assert "more than 100,000: if that is what you mean, confirm with `sweep --yes`" in printed.err
    assert not out.exists()
    with pytest.raises(AssertionError, match="was built"):  # confirmed, it goes on to build the design
        main(["sweep", str(path), "--out", str(out), "--serial", "--no-progress", "--yes"])


def test_the_declared_outputs_are_the_outputs_of_a_run():
    """keep.outputs is checked against MODEL_OUTPUTS: it must name exactly what a run reports."""
    from model.economy import PlatformEconomy
    from model.experiments.runner import summary_outputs
    from model.experiments.spec import MODEL_OUTPUTS
    from model.params import load_params

    params = load_params(NETWORK_ONLY, {"users.count": 20, "simulation.steps": 2})
    outputs = summary_outputs(PlatformEconomy(params).run(progress=False).summary())
    assert list(outputs) == list(MODEL_OUTPUTS), "update MODEL_OUTPUTS in model/experiments/spec.py"
