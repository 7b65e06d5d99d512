"""The knob census in words: a screen's table as Markdown (``screen.md``) and the census of every knob (``docs/knobs.md``).

Both read the tidy table of screen.knob_effects (one row per scenario, knob and outcome) and the
screens' plans (which knobs were screened where, and why the others were not). Every knob of the
schema appears in the census: screened and acting somewhere, screened and acting nowhere (flagged
first), or not screened at all, with the reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from model.experiments.screen import INERT_TOLERANCE, OUTCOMES, ScreenPlan, inert_knobs, knob_effects, knobs_inert_everywhere
from model.params.reference import schema_fields, unit_of

if TYPE_CHECKING:
    import pandas as pd

MARKER = "<!-- written by `python -m model screen --doc`: regenerate it, do not edit it -->"  # its first line
TOP = 3  # outcomes shown per knob


def method_lines(plans: list[ScreenPlan], trajectories: int, seed: int) -> list[str]:
    """What a screen did, in a few lines (the module screen.py says it at length)."""
    base = plans[0].base
    return [
        f"- Morris elementary effects (SALib, {trajectories} trajector{'y' if trajectories == 1 else 'ies'} of "
        f"{len(plans[0].factors) + 1} runs or so per scenario, 4 levels) at {base.users.count:,} users and "
        f"{base.simulation.steps} months; every run of a scenario uses the same seed (spawned from {seed}: common "
        "random numbers), so an effect is the change one knob alone makes to a run.",
        "- Each knob moves around the scenario's value: a number over [v/2, 3v/2] (a zero over a set range), a whole "
        "number over four whole levels about as wide, true/false both ways; cut to what the schema allows "
        "(`model/experiments/screen.py` says how).",
        "- The outcomes: " + "; ".join(f"`{name}`, {meaning}" for name, meaning in OUTCOMES.items()) + ".",
        "- An effect is mu_star (the mean absolute elementary effect: the outcome's change when the knob crosses its "
        "range, with SALib's 95% bootstrap interval) divided by the outcome's standard deviation over the scenario's "
        "runs: comparable across outcomes, 1 moves the outcome by its typical spread in the screen. A knob is *inert* "
        f"in a scenario when its effect is at most {INERT_TOLERANCE:g} on every outcome: nothing it did changed a run.",
        f"- A knob moves once per trajectory, at a random point of the others: with {trajectories} "
        f"trajector{'y' if trajectories == 1 else 'ies'}, one that acts only when another is on (`bailout.*` when "
        "`bailout.enabled`) or only through a rare event (a default, a binding cap) can miss its chance in a "
        "scenario. Where a knob acts is a lower bound; that it acts nowhere says no run of the screen showed it.",
    ]


# -- a command's screens: the files it writes, and a few lines for the terminal -----------------
def write_tables(plans: list[ScreenPlan], out: Path, trajectories: int, seed: int) -> tuple[pd.DataFrame, list[Path]]:
    """The screens' effects as ``OUT/screen.csv`` (tidy) and ``OUT/screen.md`` (to read); returns (effects, files)."""
    import pandas as pd

    effects = pd.concat([knob_effects(out / plan.name, plan.name) for plan in plans], ignore_index=True)
    table, text = out / "screen.csv", out / "screen.md"
    effects.to_csv(table, index=False)
    text.write_text(screen_markdown(effects, plans, trajectories, seed), encoding="utf-8")
    return effects, [table, text]


def inert_summary(effects: pd.DataFrame) -> str:
    """A few lines for the terminal: the knobs inert in each scenario, and those inert in all of them."""
    screened = effects.groupby("scenario", sort=False)["knob"].nunique()
    inert = inert_knobs(effects).groupby("scenario", sort=False).size().reindex(screened.index, fill_value=0)
    lines = [f"{name}: {inert[name]} of {count} knobs inert (screen.md names them)" for name, count in screened.items()]
    everywhere = knobs_inert_everywhere(effects)
    lines.append(f"inert in every scenario screened: {', '.join(everywhere) if everywhere else 'none'}")
    return "\n".join(lines)


def provenance(command: str, seconds: float, ran: int, plans: list[ScreenPlan], out: Path) -> list[str]:
    """How a census was made: the command, its wall time, and the runs' own time (summed over runs)."""
    from model.experiments.store import ResultStore

    runs = [ResultStore(out / plan.name).runs() for plan in plans]
    total, run_seconds = sum(len(r) for r in runs), sum(float(r["run_seconds"].sum()) for r in runs)
    before = f" ({total - ran:,} were on disk from an earlier call)" if ran < total else ""
    return [f"Written by `{command}`. The {total:,} runs took {_duration(run_seconds)}, summed over runs (a serial "
            f"census's wall time, but for a few seconds per scenario); this call: wall time {_duration(seconds)} for "
            f"{ran:,} runs{before}."]


def _duration(seconds: float) -> str:
    minutes, second = divmod(round(seconds), 60)
    hours, minute = divmod(minutes, 60)
    return f"{hours} h {minute} min" if hours else f"{minute} min {second} s" if minute else f"{second} s"


# -- screen.md: one command's screens ---------------------------------------------------------
def screen_markdown(effects: pd.DataFrame, plans: list[ScreenPlan], trajectories: int, seed: int) -> str:
    """Each screened scenario: its knobs by largest effect, what they move most, and what was not screened."""
    lines = ["# Knob screen: " + ", ".join(plan.name for plan in plans), "", *method_lines(plans, trajectories, seed), ""]
    for plan in plans:
        mine = effects[effects["scenario"] == plan.name]
        largest = mine.groupby("knob")["normalised_effect"].max().sort_values(ascending=False, kind="stable")
        inert = [knob for knob, effect in largest.items() if effect <= INERT_TOLERANCE]
        lines += [f"## {plan.name} (`{plan.path}`)", "",
                  f"{len(plan.factors)} knobs screened; inert here: {_codes(inert) or 'none'}.", "",
                  "| knob | largest effects: outcome effect (mu_star ± 95%) |", "| --- | --- |"]
        lines += [f"| `{knob}` | {_strongest(mine[mine['knob'] == knob])} |" for knob in largest.index if knob not in inert]
        lines += ["", "Not screened: " + "; ".join(f"`{k}` ({why})" for k, why in plan.not_screened.items()) + ".", ""]
    return "\n".join(lines)


def _strongest(rows: pd.DataFrame) -> str:
    top = rows.sort_values("normalised_effect", ascending=False, kind="stable").head(TOP)
    return ", ".join(f"{row.outcome} {row.normalised_effect:.2g} ({row.mu_star:.3g} ± {_half_width(row):.2g})"
                     for row in top.itertuples() if row.normalised_effect > INERT_TOLERANCE)


def _half_width(row) -> float:
    """The interval's half-width; one trajectory's bootstrap gives rounding noise (1e-16), shown as 0."""
    return row.mu_star_conf if row.mu_star_conf > 1e-9 * abs(row.mu_star) else 0.0


def _codes(keys) -> str:
    return ", ".join(f"`{key}`" for key in keys)


# -- docs/knobs.md: every knob, where it acts and what it moves --------------------------------
def census_markdown(effects: pd.DataFrame, plans: list[ScreenPlan], trajectories: int, seed: int,
                    provenance: list[str]) -> str:
    """The census of every knob of the schema over the screened scenarios; ``provenance``: how it was made."""
    scenarios = [plan.name for plan in plans]
    acting = _acting(effects)
    screened = effects.groupby("knob", sort=False)["scenario"].unique()
    lines = ["", "# Knobs: where each acts and what it moves", "", *provenance, "",
             f"Scenarios ({len(scenarios)}): {', '.join(scenarios)}.", "", *method_lines(plans, trajectories, seed), ""]
    lines += _nowhere_section(acting, screened)
    lines += _not_screened_section(plans, screened)
    lines += ["## Every knob", "",
              "*Acts in*: the scenarios where moving it changed a run. *Moves most*: its largest effects, with the "
              "scenario where each is largest.", ""]
    for table in dict.fromkeys(key.split(".")[0] for key in schema_fields()):
        lines += [f"### [{table}]", "", "| knob | unit | meaning | acts in | moves most |", "| --- | --- | --- | --- | --- |"]
        for key, fld in schema_fields().items():
            if key.split(".")[0] == table:
                lines.append(f"| `{key}` | {unit_of(fld)} | {_cell(fld.description)} | "
                             f"{_where(key, acting, screened, scenarios)} | {_moves(effects, key)} |")
        lines.append("")
    return "\n".join(lines)


def _acting(effects: pd.DataFrame) -> pd.Series:
    """Per knob, the scenarios where it acts (its effect on some outcome is above INERT_TOLERANCE)."""
    largest = effects.groupby(["knob", "scenario"], sort=False)["normalised_effect"].max()
    return largest[largest > INERT_TOLERANCE].reset_index().groupby("knob", sort=False)["scenario"].unique()


def _nowhere_section(acting: pd.Series, screened: pd.Series) -> list[str]:
    nowhere = [key for key in schema_fields() if key in screened.index and key not in acting.index]
    lines = ["## Knobs that act nowhere", ""]
    if not nowhere:
        return [*lines, "None: every screened knob changed a run in at least one scenario.", ""]
    lines += ["Screened, and no run of this census changed when they moved. A knob that acts only through a rare "
              "event (a rescue, a binding cap, a deal) can miss it at the census's few trajectories and one seed: "
              "`tests/test_screen.py` screens each knob where its event happens (fast-forwarded, stressed, three "
              "seeds), and a knob that moves nothing there either is to be fixed (wired in) or removed "
              "(its `KNOWN_INERT` says which, and why).", ""]
    lines += [f"- **`{key}`** (screened in {len(screened[key])} scenarios): {schema_fields()[key].description}"
              for key in nowhere]
    return [*lines, ""]


def _not_screened_section(plans: list[ScreenPlan], screened: pd.Series) -> list[str]:
    """Knobs left alone somewhere, with the reason, and where (a knob screened elsewhere says so)."""
    reasons: dict[str, dict[str, list[str]]] = {}
    for plan in plans:
        for key, why in plan.not_screened.items():
            reasons.setdefault(key, {}).setdefault(why, []).append(plan.name)
    lines = ["## Not screened", "", "| knob | where | why |", "| --- | --- | --- |"]
    for key in schema_fields():
        for why, names in reasons.get(key, {}).items():
            where = "everywhere" if len(names) == len(plans) else ", ".join(names)
            lines.append(f"| `{key}` | {where} | {_cell(why)} |")
    return [*lines, ""]


def _where(key: str, acting: pd.Series, screened: pd.Series, scenarios: list[str]) -> str:
    if key not in screened.index:
        return "not screened"
    where = list(acting.get(key, []))
    if not where:
        return "**nowhere**"
    if len(where) == len(scenarios):
        return f"all {len(scenarios)}"
    missing = [name for name in scenarios if name not in where]
    return f"all but {', '.join(missing)}" if len(missing) < len(where) else ", ".join(where)


def _moves(effects: pd.DataFrame, key: str) -> str:
    """The outcomes it moves most: each with its largest effect over scenarios and the scenario of it."""
    rows = effects[(effects["knob"] == key) & (effects["normalised_effect"] > INERT_TOLERANCE)]
    if rows.empty:
        return ""
    best = rows.loc[rows.groupby("outcome")["normalised_effect"].idxmax()]
    best = best.sort_values("normalised_effect", ascending=False, kind="stable").head(TOP)
    return ", ".join(f"{row.outcome} {row.normalised_effect:.2g} ({row.scenario})" for row in best.itertuples())


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
