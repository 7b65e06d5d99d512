"""The interactive explorer of ``notebooks/05_explorer.ipynb``: knobs, run / step / reset, live charts.

Built with ipywidgets and Altair charts drawn by :class:`altair.JupyterChart` in offline mode (see
:func:`model.charts.use_offline_renderer`), so it works in JupyterLab without the internet. (Mesa's
SolaraViz was tried first and does not: see the notebook.) The population is small (2,000 users by
default) so that a month takes a few milliseconds and the charts can follow the run.

    from model.explorer import Explorer
    explorer = Explorer()      # display it: the last expression of a cell
    explorer.set(**{"network.effect": 3.5}); explorer.reset(); explorer.run(60)   # or from code

The knobs apply when the market is reset (Reset, or :meth:`Explorer.reset`): a run keeps the
parameters it started with. Phases are detected on the run so far, so a month's label can change
as the run goes on (lock-in is only recognised once the leader's growth has stalled for a year).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import altair as alt
import pandas as pd
from altair.utils.schemapi import debug_mode

from model import charts
from model.economy import PlatformEconomy
from model.params import Params, flatten, load_params

BASELINE = Path(__file__).resolve().parent.parent / "params" / "baseline.toml"
USERS = 2_000
EXPLORER_WIDTH, EXPLORER_HEIGHT = 560, 200
PHASE_WORDS = {
    "growth": "platforms compete for users and subsidise them",
    "lock-in": "the market has concentrated and the leader's growth has stalled",
    "extraction": "the leader profits from locked-in users: more ads, worse quality",
    "decline": "the leader is losing its users",
}


@dataclass(frozen=True)
class Knob:
    """One slider (or switch) of the explorer: a parameter by dotted name and its range."""

    key: str
    label: str
    low: float = 0.0
    high: float = 1.0
    step: float = 0.01
    kind: str = "float"  # "float", "int" or "bool"


KNOBS = (
    Knob("network.effect", "Network effect J", 0.0, 5.0, 0.1),
    Knob("switching.base_cost", "Switching cost c0", 0.0, 3.0, 0.1),
    Knob("switching.cost_per_month", "Switching cost per month c1", 0.0, 0.2, 0.005),
    Knob("regulation.interoperability", "Interoperability", 0.0, 1.0, 0.05),
    Knob("investors.patience_mean", "Investor patience (months)", 0, 240, 6, "int"),
    Knob("platforms.count", "Platforms at the start", 1, 10, 1, "int"),
    Knob("bailout.enabled", "Public bailouts", kind="bool"),
    Knob("simulation.seed", "Seed", 0, 999, 1, "int"),
)


def explorer_params(settings: dict | None = None, base: str | Path = BASELINE, users: int = USERS) -> Params:
    """The base scenario with ``users`` potential users and the knobs' ``settings`` (dotted names)."""
    return load_params(base, {"users.count": users, **(settings or {})})


# -- charts -----------------------------------------------------------------------------------
def waiting_chart(text: str = "Press Step or Run to start the market") -> alt.Chart:
    """A blank chart with a line of text, shown before the first month."""
    return alt.Chart(alt.InlineData(values=[{"text": text}])).mark_text(fontSize=14, color="#555").encode(
        text="text:N").properties(width=EXPLORER_WIDTH, height=60)


def sides_chart(model_frame: pd.DataFrame) -> alt.LayerChart:
    """What each side gets each month, in dollars: users' surplus, advertisers' surplus, platforms' profit."""
    names = {"consumer_surplus": "users' surplus", "advertiser_surplus": "advertisers' surplus",
             "platform_profit": "platforms' profit"}
    data = model_frame[["step", *names]].melt("step", var_name="side", value_name="dollars")
    data["side"] = data["side"].map(names)
    colour = alt.Color("side:N", title="Side", sort=list(names.values()),
                       scale=alt.Scale(domain=list(names.values()), range=["#2f7d32", "#4c78a8", "#d62728"]))
    lines = alt.Chart(charts.inline_data(data)).mark_line(strokeWidth=2).encode(
        x=charts.month_axis(charts.final_month(model_frame)),
        y=alt.Y("dollars:Q", title="Dollars per month", axis=alt.Axis(format="$~s")),
        color=colour,
        tooltip=["side:N", alt.Tooltip("step:Q", title="month"), alt.Tooltip("dollars:Q", format="$,.0f")])
    zero = alt.Chart(charts.inline_data(pd.DataFrame({"dollars": [0.0]}))).mark_rule(color="#555").encode(y="dollars:Q")
    return charts.over_phase_bands(model_frame, zero, lines).properties(
        width=EXPLORER_WIDTH, height=EXPLORER_HEIGHT,
        title=charts.chart_title("Who gains: each side, the whole market",
                                 "Users' surplus and advertisers' surplus (value minus what they pay), and the platforms' profit."))


def explorer_charts(economy: PlatformEconomy) -> dict[str, alt.TopLevelMixin]:
    """The live charts of the explorer, by name: shares, sides (surplus and profit), levers."""
    model_frame, platform_frame = economy.model_frame(), economy.platform_frame()
    if model_frame.empty:
        return {name: waiting_chart() for name in ("shares", "sides", "levers")}
    shares = charts.shares_chart(model_frame, platform_frame).properties(width=EXPLORER_WIDTH, height=EXPLORER_HEIGHT)
    levers = charts.levers_chart(platform_frame, model_frame)
    levers = alt.vconcat(*[panel.properties(width=EXPLORER_WIDTH, height=EXPLORER_HEIGHT * 2 // 3)
                           for panel in levers.vconcat]).properties(title=levers.title)
    return {"shares": shares, "sides": sides_chart(model_frame), "levers": levers}


def status_text(economy: PlatformEconomy) -> str:
    """The month, its phase in words, and the market in a few numbers (HTML)."""
    frame = economy.model_frame()
    if frame.empty:
        return "<b>Month 0</b>: the platforms are founded; no user has joined yet."
    last = frame.iloc[-1]
    month, phase = int(last["step"]), str(last["phase"])
    parts = [f"<b>Month {month}</b> (year {month / 12:.1f}): phase <b class='explorer-phase'>{phase}</b>, "
             f"{PHASE_WORDS.get(phase, '')}."]
    if pd.notna(last["leader_id"]) and last["adopted_users"] > 0:
        parts.append(f"Leader: platform {int(last['leader_id'])} with {last['leader_share']:.0%} of platform users; "
                     f"HHI {last['hhi']:.2f}; {int(last['active_platforms'])} platforms active; "
                     f"{int(last['adopted_users']):,} of {economy.params.users.count:,} potential users have joined.")
    firsts = frame.groupby("phase", sort=False)["step"].min()
    if len(firsts) > 1:
        parts.append("So far: " + ", ".join(f"{name} from month {int(at)}" for name, at in firsts.items()) + ".")
    return "<br>".join(parts)


# -- the widget -------------------------------------------------------------------------------
class Explorer:
    """Sliders for the main knobs, Run / Step / Reset buttons, live charts and the current phase.

    ``Explorer()`` builds the widgets and a fresh market; display it (last expression of a cell or
    ``display(explorer)``). The buttons call :meth:`run`, :meth:`step` and :meth:`reset`, which can
    also be called from code; :meth:`set` moves knobs by dotted name.
    """

    def __init__(self, base: str | Path = BASELINE, users: int = USERS, months_per_run: int = 24,
                 redraw_seconds: float = 1.0):
        import ipywidgets as widgets

        charts.use_offline_renderer()
        self.base, self.users, self.redraw_seconds = Path(base), users, redraw_seconds
        defaults = flatten(explorer_params(base=base, users=users))
        self.knobs = {knob.key: self._knob_widget(widgets, knob, defaults[knob.key]) for knob in KNOBS}
        self.months = widgets.IntSlider(value=months_per_run, min=1, max=240, step=1, description="Months per Run",
                                        style={"description_width": "200px"}, layout={"width": "430px"})
        self.buttons = {name: widgets.Button(description=name, tooltip=tip, button_style=style,
                                             layout={"width": "110px"})
                        for name, tip, style in (("Run", "run the months set above", "primary"),
                                                 ("Step", "one month", ""),
                                                 ("Reset", "start again with the knobs as set", "warning"))}
        self.errors = widgets.Output()  # a button's error shows here, not only in the kernel's log
        for name, action in (("Run", self.run), ("Step", self.step), ("Reset", self.reset)):
            self.buttons[name].on_click(lambda _, action=action: self._clicked(action))
        self.status = widgets.HTML()
        self.note = widgets.HTML(layout={"margin": "0 0 0 1em"})
        self.charts = {name: alt.JupyterChart(waiting_chart(), embed_options={"renderer": "svg", "actions": False})
                       for name in ("shares", "sides", "levers")}
        for name, chart in self.charts.items():
            chart.add_class(f"explorer-{name}")
        self.status.add_class("explorer-status")
        for knob in self.knobs.values():
            knob.observe(self._knobs_moved, names="value")
        knobs = list(self.knobs.values())
        half = (len(knobs) + 1) // 2
        controls = widgets.VBox([
            widgets.HTML("<b>Knobs</b>: they apply when the market is reset."),
            widgets.HBox([widgets.VBox(knobs[:half]), widgets.VBox([*knobs[half:], self.months])]),
            widgets.HBox([*self.buttons.values(), self.note]),
            self.errors,
        ])
        # One column: the explorer fits a notebook beside JupyterLab's file browser.
        self.widget = widgets.VBox([controls, self.status, *self.charts.values()])
        self.widget.add_class("explorer")
        self.economy: PlatformEconomy
        self.reset()

    @staticmethod
    def _knob_widget(widgets, knob: Knob, value):
        common = {"description": knob.label, "style": {"description_width": "200px"}, "layout": {"width": "430px"}}
        if knob.kind == "bool":
            return widgets.Checkbox(value=bool(value), indent=False, **common)
        if knob.kind == "int":
            return widgets.IntSlider(value=int(value), min=int(knob.low), max=int(max(knob.high, value)),
                                     step=int(knob.step), continuous_update=False, **common)
        decimals = max(0, -math.floor(math.log10(knob.step)))
        return widgets.FloatSlider(value=float(value), min=knob.low, max=max(knob.high, float(value)), step=knob.step,
                                   readout_format=f".{decimals}f", continuous_update=False, **common)

    # -- what the buttons do
    def settings(self) -> dict:
        """The knobs' current values, by dotted parameter name."""
        return {key: widget.value for key, widget in self.knobs.items()}

    def set(self, **values) -> Explorer:
        """Move knobs by dotted name, e.g. ``set(**{"network.effect": 3.0})``; applied on :meth:`reset`."""
        for key, value in values.items():
            if key not in self.knobs:
                raise KeyError(f"{key}: not a knob of the explorer (knobs: {', '.join(self.knobs)})")
            self.knobs[key].value = value
        return self

    def reset(self) -> Explorer:
        """A new market with the knobs as set, at month 0."""
        self.economy = PlatformEconomy(explorer_params(self.settings(), self.base, self.users))
        self._applied = self.settings()
        self.note.value = ""
        self.redraw()
        return self

    def step(self, months: int = 1) -> Explorer:
        """Advance ``months`` months (one by default) and redraw."""
        for _ in range(months):
            self.economy.step()
        self.redraw()
        return self

    def run(self, months: int | None = None) -> Explorer:
        """Advance ``months`` months (default: the Months per Run slider), redrawing as it goes.

        The kernel is busy until the run ends: the charts follow it, but the buttons wait.
        """
        months = self.months.value if months is None else months
        for button in self.buttons.values():
            button.disabled = True
        try:
            for done in range(1, months + 1):
                self.economy.step()
                # Redraw about once a second: drawing takes longer than a month of the model.
                if done < months and time.monotonic() - self._drawn_at >= self.redraw_seconds:
                    self.redraw()
            self.redraw()
        finally:
            for button in self.buttons.values():
                button.disabled = False
        return self

    def redraw(self) -> None:
        """Draw the charts and the status line for the months run so far."""
        # The chart functions are tested with Altair's checks on; here they would check every
        # piece of every chart on each redraw, which takes longer than the months themselves.
        with debug_mode(False):
            made = explorer_charts(self.economy)
        for name, chart in made.items():
            self.charts[name].chart = chart
        self._drawn_at = time.monotonic()
        settings = ", ".join(f"{key} = {value}" for key, value in self._applied.items())
        self.status.value = (f"<div style='line-height: 1.5; margin: 0.5em 0'>{status_text(self.economy)}"
                             f"<br><small style='color: #555'>This run: {settings}</small></div>")

    def _clicked(self, action) -> None:
        self.errors.clear_output()
        with self.errors:  # shows the traceback of an error, and swallows it
            action()

    def _knobs_moved(self, _change) -> None:
        pending = self.settings() != self._applied
        self.note.value = "<i>Knobs changed: press Reset to start a market with them.</i>" if pending else ""

    @property
    def month(self) -> int:
        return self.economy.month

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
