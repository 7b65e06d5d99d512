"""The explorer: Mesa's SolaraViz over the platform economy, with knobs, Step / Play / Reset and live charts.

In a browser (the usual Mesa way; add ``--no-check-version`` to keep Solara from asking PyPI for
a newer Solara at start-up)::

    solara run model/app.py --production        # then open http://localhost:8765

In a notebook cell (``notebooks/05_explorer.ipynb``)::

    from model.app import Page
    Page()                                       # the cell's last expression

The knobs apply when the market is reset (Mesa's Reset button), as in every SolaraViz app. Each
browser session, and each notebook cell, runs its own market of 2,000 potential users (the
baseline has 10,000): a month then takes a few milliseconds, and the charts can follow Play.

Offline: importing this module calls :func:`work_offline`, after which Solara fetches nothing
from the internet (see there); the JavaScript comes from the ``solara-assets`` package.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import altair as alt
import pandas as pd
import solara
import solara.lab
import solara.widgets
from altair.utils.schemapi import debug_mode
from mesa.visualization import Slider, SolaraViz
from mesa.visualization.utils import update_counter

from model import charts
from model.economy import PlatformEconomy
from model.params import Params, flatten, load_params

log = logging.getLogger(__name__)

BASELINE = Path(__file__).resolve().parent.parent / "params" / "baseline.toml"
USERS = 2_000
PHASE_WORDS = {
    "growth": "platforms compete for users and subsidise them",
    "lock-in": "the leader's users would stay even on a worse offer",
    "extraction": "the leader profits from locked-in users: more ads, worse quality",
    "decline": "the leader is losing its users",
}


# -- offline ----------------------------------------------------------------------------------
def vega_aliases() -> dict[str, str]:
    """The Vega packages Solara's chart widget asks for by major version, and the exact versions held.

    Solara's Vega-Lite widget (``solara/widgets/vue/vegalite.vue``) loads ``vega@5``, ``vega-lite@5``
    and ``vega-embed@6`` through Solara's CDN proxy, while ``solara-assets`` holds them under
    exact versions (``vega@5.21.0``...): without an alias the proxy goes to the internet for
    them. Returns ``{"vega@5": "vega@5.21.0", ...}``, read from the widget's source and the
    proxy's cache folder, so a new Solara or solara-assets needs no change here.
    """
    import solara.server.settings

    widget = Path(solara.__file__).parent / "widgets" / "vue" / "vegalite.vue"
    wanted = sorted(set(re.findall(r"getCdn\(\)\}/([\w-]+)@(\d+)/", widget.read_text())))
    cache = Path(solara.server.settings.assets.proxy_cache_dir)
    aliases = {}
    for name, major in wanted:
        held = [path.name for path in cache.glob(f"{name}@{major}.*") if path.is_dir()]
        if not held:
            raise FileNotFoundError(f"{cache}: no {name}@{major}.x.y folder: is solara-assets installed?")
        aliases[f"{name}@{major}"] = max(held, key=lambda folder: [int(n) for n in re.findall(r"\d+", folder)])
    return aliases


def link_vega_aliases() -> Path:
    """Link each alias of :func:`vega_aliases` to the version held (idempotent); returns the cache folder."""
    import solara.server.settings

    cache = Path(solara.server.settings.assets.proxy_cache_dir)
    for alias, target in vega_aliases().items():
        link = cache / alias
        if link.is_symlink():
            if os.readlink(link) == target:
                continue
            link.unlink()
        elif link.exists():  # a copy Solara fetched from the CDN once, when online: it serves as well
            continue
        try:
            link.symlink_to(target, target_is_directory=True)
        except OSError:  # no symbolic links here (Windows without the right to make them): a copy
            shutil.copytree(cache / target, link)
    return cache


def work_offline() -> None:
    """Make Solara, in this process and in the server it runs, fetch nothing from the internet.

    * The charts' Vega comes from ``solara-assets`` (:func:`link_vega_aliases`).
    * No telemetry. Solara sends usage events to Mixpanel unless ``mixpanel_enable`` is off; and
      in Jupyter it asks api.ipify.org for the machine's address when it first shows an app,
      whatever that setting says (``solara/server/telemetry.py``): that event is marked as sent.
    * No check page. The first time an app shows, Solara loads a hidden page from solara.dev
      unless a file in its home folder (``~/.solara``, or ``$SOLARA_HOME``) says that was done:
      those files are written here. (``solara run --production`` skips that page too.)

    Idempotent; called when this module is imported, so before ``solara run`` starts serving.
    """
    import solara.checks
    import solara.server.settings
    import solara.server.telemetry

    solara.server.settings.telemetry.mixpanel_enable = False
    os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"  # and in any process started from here
    solara.server.telemetry._jupyter_start_event_send = True
    for done in (solara.checks.jupyter_checked_path, solara.checks.solara_checked_path):
        try:
            done.parent.mkdir(parents=True, exist_ok=True)
            done.touch()
        except OSError as error:
            log.warning("could not write %s (%s): Solara will load a check page from solara.dev", done, error)
    try:
        link_vega_aliases()
    except OSError as error:
        log.warning("Vega aliases not made (%s): offline, the charts will not be drawn", error)


work_offline()


# -- the knobs and the market ----------------------------------------------------------------
@dataclass(frozen=True)
class Knob:
    """One slider (or switch) of the app: a parameter by dotted name, its label and range."""

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


def app_params(knobs: dict | None = None, base: str | Path = BASELINE, users: int = USERS) -> Params:
    """The base scenario with ``users`` potential users and the knobs' values (by dotted name)."""
    return load_params(base, {"users.count": users, **(knobs or {})})


class AppEconomy(PlatformEconomy):
    """The market of the app, built from knobs given by dotted name, as SolaraViz builds a model.

    ``AppEconomy(**{"network.effect": 3.0})`` is the baseline with 2,000 users and that knob.
    It stops (``running`` false, so Play stops) after the scenario's months (20 years).
    Mesa's Reset also passes ``scenario``, an empty :class:`mesa.experimental.scenarios.Scenario`
    of its own: the market's parameters come from the knobs, so it is not used.
    """

    def __init__(self, scenario=None, **knobs):
        allowed = {knob.key for knob in KNOBS}
        unknown = sorted(set(knobs) - allowed)
        if unknown:
            raise TypeError(f"{', '.join(unknown)}: not a knob of the app (knobs: {', '.join(sorted(allowed))})")
        super().__init__(app_params(knobs))
        # The charts are drawn on threads of their own while the next months run (use_drawn):
        # a month and the reading of the frames take turns, and one drawing runs at a time.
        self._lock, self._drawing = threading.Lock(), threading.Lock()
        self._drawn: tuple[int, dict] | None = None

    def step(self) -> None:
        with self._lock:
            super().step()
            self.running = self.month < self.params.simulation.steps

    def frames(self) -> dict:
        """The model, platform and ledger frames of the months run so far, and the month, read in one go."""
        with self._lock:
            return {"model": self.model_frame(), "platforms": self.platform_frame(),
                    "ledger": self.ledger_frame(), "month": self.month}

    def drawn(self, wanted=lambda: True) -> dict:
        """The status line and the charts of the months run so far, made once a month for every component.

        One drawing at a time; a caller that waited for another and is no longer ``wanted`` (a
        newer month has come) gets the last drawing instead of starting one.
        """
        with self._drawing:
            drawn = self._drawn
            if drawn is None or (drawn[0] != self.month and wanted()):
                frames = self.frames()
                # Altair's checks would look at every piece of every chart, every month: slower than the month.
                with debug_mode(False):
                    made = {"status": status_text(frames["model"], self.params)} | app_charts(frames)
                drawn = self._drawn = (frames["month"], made)
            return drawn[1]


def model_params() -> dict:
    """SolaraViz's inputs, one per knob, at the baseline's values (Mesa's Slider, or a checkbox)."""
    defaults = flatten(app_params())
    inputs = {}
    for knob in KNOBS:
        value = defaults[knob.key]
        if knob.kind == "bool":
            inputs[knob.key] = {"type": "Checkbox", "value": bool(value), "label": knob.label}
        else:
            kind = int if knob.kind == "int" else float
            inputs[knob.key] = Slider(knob.label, kind(value), kind(knob.low), kind(max(knob.high, value)),
                                      kind(knob.step), dtype=kind)
    return inputs


# -- what the page shows -----------------------------------------------------------------------
CHART_HEIGHT = 220  # the charts fill the width of Mesa's grid cells ("container"), about 390 px high


def waiting_chart(text: str = "Press Step or \u25b6 (Play) to start the market") -> alt.Chart:
    """A blank chart with a line of text, shown before the first month."""
    return alt.Chart(alt.InlineData(values=[{"text": text}])).mark_text(fontSize=14, color="#555").encode(
        text=alt.Text("text:N")).properties(width="container", height=60)


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
        tooltip=[alt.Tooltip("side:N"), alt.Tooltip("step:Q", title="month"), alt.Tooltip("dollars:Q", format="$,.0f")])
    zero = alt.Chart(charts.inline_data(pd.DataFrame({"dollars": [0.0]}))).mark_rule(color="#555").encode(y=alt.Y("dollars:Q"))
    return charts.over_phase_bands(model_frame, zero, lines).properties(
        title=charts.chart_title("Who gains: each side, the whole market",
                            "Users' and advertisers' surplus (value minus what they pay), and the platforms' profit."))


def app_charts(frames: dict) -> dict[str, alt.TopLevelMixin | list]:
    """The app's charts, by name, sized for Mesa's grid: shares, sides, levers (two panels), money."""
    model_frame, platform_frame = frames["model"], frames["platforms"]
    if model_frame.empty:
        return {"shares": waiting_chart(), "sides": waiting_chart(), "levers": [waiting_chart()],
                "money": waiting_chart()}
    fit = {"width": "container", "height": CHART_HEIGHT}
    shares = charts.shares_chart(model_frame, platform_frame).properties(width="container", height=CHART_HEIGHT - 70)
    levers = [panel.properties(width="container", height=CHART_HEIGHT // 2 - 30)
              for panel in charts.levers_chart(platform_frame, model_frame).vconcat]
    return {"shares": shares, "sides": sides_chart(model_frame).properties(**fit), "levers": levers,
            "money": charts.money_chart(frames["ledger"], model_frame).properties(**fit)}


def _shown(value) -> str:
    return ("on" if value else "off") if isinstance(value, bool) else f"{value:g}"


def status_text(model_frame: pd.DataFrame, params: Params) -> str:
    """The month, its phase in words, the market in a few numbers, and this run's knobs (HTML)."""
    knobs = flatten(params)
    applied = "; ".join(f"{knob.label} {_shown(knobs[knob.key])}" for knob in KNOBS)
    this_run = f"<small style='color: #555'>This run: {applied}.</small>"
    if model_frame.empty:
        return f"<b>Month 0</b>: the platforms are founded; no user has joined yet.<br>{this_run}"
    last = model_frame.iloc[-1]
    month, phase = int(last["step"]), str(last["phase"])
    parts = [f"<b>Month {month}</b> (year {month / 12:.1f}): phase <b class='app-phase'>{phase}</b>, "
             f"{PHASE_WORDS.get(phase, '')}."]
    if pd.notna(last["leader_id"]) and last["adopted_users"] > 0:
        parts.append(f"Leader: platform {int(last['leader_id'])} with {last['leader_share']:.0%} of platform users; "
                     f"HHI {last['hhi']:.2f}; {int(last['active_platforms'])} platforms active; "
                     f"{int(last['adopted_users']):,} of {params.users.count:,} potential users have joined.")
    firsts = model_frame.groupby("phase", sort=False)["step"].min()
    if len(firsts) > 1:
        parts.append("So far: " + ", ".join(f"{name} from month {int(at)}" for name, at in firsts.items()) + ".")
    return "<br>".join([*parts, this_run])


def use_drawn(model: AppEconomy) -> dict | None:
    """The newest drawing of the market's status and charts (None before the first).

    Drawing a month's charts takes longer than running the month (Altair builds them), so it runs
    on a thread of its own: Play runs the months at its own pace, never waiting for the charts,
    and the charts show the newest month each time they are redrawn; a drawing that a newer
    month overtook while it waited is skipped.
    """
    task = solara.lab.use_task(lambda: model.drawn(wanted=lambda: task.is_current()),
                               dependencies=[model, model.month], prefer_threaded=True)
    if task.error:
        raise task.exception
    return task.latest


def _vega(chart: alt.TopLevelMixin):
    # Solara's FigureAltair, less its check of the whole spec against Vega-Lite's schema each month.
    return solara.widgets.VegaLite.element(spec=chart.to_dict(validate=False), listen_to_click=False,
                                           listen_to_hover=False)


# Each piece is a Solara component that reads Mesa's update counter, as Mesa's own plot components
# do, so that it redraws after every step. (SolaraViz wraps a plain function in a new component
# type each time it renders, and every chart would be made again from nothing.)
@solara.component
def Shares(model: AppEconomy):
    """The month and its phase in words, above who has the users."""
    update_counter.get()
    drawn = use_drawn(model)
    if drawn is None:
        return solara.ProgressLinear(True)
    with solara.Column(gap="4px"):
        solara.HTML(tag="div", unsafe_innerHTML=drawn["status"], classes=["app-status"],
                    style="line-height: 1.35; font-size: 13px")
        _vega(drawn["shares"])


@solara.component
def Sides(model: AppEconomy):
    update_counter.get()
    drawn = use_drawn(model)
    if drawn is not None:
        _vega(drawn["sides"])


@solara.component
def Levers(model: AppEconomy):
    update_counter.get()
    drawn = use_drawn(model)
    with solara.Column(gap="0px"):
        for panel in drawn["levers"] if drawn is not None else []:
            _vega(panel)


@solara.component
def Money(model: AppEconomy):
    update_counter.get()
    drawn = use_drawn(model)
    if drawn is not None:
        _vega(drawn["money"])


COMPONENTS = [(Shares, 0), (Sides, 0), (Levers, 0), (Money, 0)]


@solara.component
def Page(model: AppEconomy | solara.Reactive | None = None):
    """The app. Without ``model``, a market of its own for each browser session or notebook cell.

    Pass ``solara.reactive(AppEconomy())`` to drive the market on show from code as well: its
    ``.value`` is the market (a new one after Reset).
    """
    own = solara.use_memo(AppEconomy, [])
    return SolaraViz(own if model is None else model, components=COMPONENTS, model_params=model_params(),
                     name="Platform economy: the explorer")
