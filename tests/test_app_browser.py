"""The explorer (``model/app.py``, Mesa's SolaraViz) in a real browser, offline.

Two ways in, as a user would: ``solara run model/app.py --production`` on 127.0.0.1 (a free port,
a fresh home folder, so nothing Solara wrote earlier helps), and notebook 05 run in JupyterLab
(the server of ``tests/test_browser.py``). Debian's Chromium, headless, driven by Playwright,
moves a slider, presses Reset, Step and Play, and checks that the status line and a chart
change. Every request of the browser that leaves 127.0.0.1 is blocked and recorded; every
request of the servers and kernel (Solara's telemetry, its CDN proxy, its version check go
through ``requests``, which obeys ``HTTPS_PROXY``) goes to a local stand-in proxy that records
the host and refuses. The tests fail on either. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from tests.test_browser import (  # noqa: F401  (browser and lab are fixtures)
    CHART_DRAW, LOCAL, NOTEBOOK, NOTEBOOKS, ROOT, accept_kernel_dialog, browser, evidence, free_port, jupyterlab, lab, offline,
    open_notebook, run_all_cells, stop_process_tree, tracebacks)

APP_START = 180  # seconds for `solara run` to answer: it imports Solara, Mesa and the model first
CHARTS = "canvas.marks"  # Solara's chart widget draws on a canvas


# -- requests of the servers ----------------------------------------------------------------
class CallsHome:
    """A stand-in HTTP(S) proxy on 127.0.0.1 that records where each request wanted to go, and refuses it."""

    def __init__(self):
        self.hosts: list[str] = []
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        with contextlib.suppress(OSError):
            while True:
                connection, _ = self.server.accept()
                with connection:
                    connection.settimeout(5)
                    with contextlib.suppress(OSError):
                        request_line = connection.recv(4096).split(b"\r\n", 1)[0].decode(errors="replace")
                        self.hosts.append(request_line)
                        connection.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")

    def environment(self) -> dict[str, str]:
        return {"HTTP_PROXY": self.url, "HTTPS_PROXY": self.url, "http_proxy": self.url, "https_proxy": self.url,
                "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}

    def close(self):
        self.server.close()


@pytest.fixture(scope="module")
def calls_home():
    recorder = CallsHome()
    with pytest.MonkeyPatch.context() as patch:  # the JupyterLab server and its kernels inherit these
        for key, value in recorder.environment().items():
            patch.setenv(key, value)
        yield recorder
    recorder.close()


@pytest.fixture(scope="module")
def lab_server(calls_home):
    """JupyterLab with the notebooks (as in tests/test_browser.py), its requests sent to ``calls_home``."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("PYTEST_CURRENT_TEST", raising=False)  # Solara skips its check page under pytest
        with jupyterlab() as server:
            yield server


# -- solara run -------------------------------------------------------------------------------
@contextlib.contextmanager
def solara_run(extra_env: dict[str, str]):
    """``solara run model/app.py --production`` on 127.0.0.1, with a home folder of its own; yields its URL."""
    home = Path(tempfile.mkdtemp(prefix="app-test-"))
    port = free_port()
    env = {**os.environ, **extra_env, "HOME": str(home), "SOLARA_HOME": str(home / ".solara"),
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    env.pop("SOLARA_TELEMETRY_MIXPANEL_ENABLE", None)  # the app turns telemetry off by itself
    env.pop("PYTEST_CURRENT_TEST", None)  # Solara skips its check page under pytest
    log = (home / "solara.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "solara", "run", str(ROOT / "model" / "app.py"), "--production", "--no-open",
         "--no-check-version", "--host", "127.0.0.1", "--port", str(port)],
        cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + APP_START
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"solara run did not answer within {APP_START} s:\n"
                                   f"{(home / 'solara.log').read_text(errors='replace')[-4000:]}")
            with contextlib.suppress(OSError):
                with LOCAL.open(url, timeout=5) as answer:
                    if answer.status == 200:
                        break
            time.sleep(1)
        yield url
    finally:
        stop_process_tree(process)
        log.close()
        shutil.rmtree(home, ignore_errors=True)


# -- driving the app --------------------------------------------------------------------------
def status(page, app: int = 0) -> str:
    return page.locator(".app-status").nth(app).inner_text()


def wait_for_month(page, month: int, app: int = 0, at_least: bool = False) -> None:
    page.wait_for_function(
        """([month, app, atLeast]) => { const el = document.querySelectorAll('.app-status')[app];
               const found = el && /Month (\\d+)/.exec(el.innerText);
               return found && (atLeast ? +found[1] >= month : +found[1] === month); }""",
        arg=[month, app, at_least], timeout=CHART_DRAW * 1000)


def first_chart(page, app: int = 0) -> str:
    """The pixels of the app's first chart (who has the users), once it is drawn."""
    chart = page.locator(".app-status").nth(app).locator("xpath=following::canvas[1]")
    chart.wait_for(timeout=CHART_DRAW * 1000)
    return chart.evaluate("canvas => canvas.toDataURL()")


def wait_for_new_chart(page, before: str, app: int = 0) -> str:
    deadline = time.monotonic() + CHART_DRAW
    while (now := first_chart(page, app)) == before:
        assert time.monotonic() < deadline, "the chart did not change"
        page.wait_for_timeout(250)
    return now


def press(page, name: str, scope=None) -> None:
    (scope or page).get_by_role("button", name=name, exact=True).first.click()


def nudge_slider(page, label: str, scope=None) -> str:
    """Move a knob one notch to the right with the keyboard; returns its new value."""
    slider = (scope or page).locator(".v-input", has_text=label).locator("[role=slider]").first
    before = slider.get_attribute("aria-valuenow")
    slider.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("([el, before]) => el.getAttribute('aria-valuenow') !== before",
                           arg=[slider.element_handle(), before], timeout=10_000)
    return slider.get_attribute("aria-valuenow")


def run_all_cells_once_more_if_asked_for_a_kernel(page) -> None:
    """Run > Run All Cells; if JupyterLab's "Select Kernel" dialog cut the run short (a race of
    JupyterLab's when a notebook opens, seen once in a few runs), take the kernel it offers and run again."""
    try:
        run_all_cells(page)
    except Exception:
        if not page.locator(".jp-Dialog", has_text="Select Kernel").count():
            raise
        accept_kernel_dialog(page)
        run_all_cells(page)


def step_play_and_pause(page, app: int = 0, scope=None) -> None:
    """Step one month, then Play until two more have passed, then pause; the chart follows."""
    month = int(re.search(r"Month (\d+)", status(page, app)).group(1))
    before = first_chart(page, app)
    press(page, "Step", scope)
    wait_for_month(page, month + 1, app)
    stepped = wait_for_new_chart(page, before, app)
    press(page, "\u25b6", scope)  # Play
    wait_for_month(page, month + 3, app, at_least=True)
    press(page, "\u275a\u275a", scope)  # pause
    wait_for_new_chart(page, stepped, app)


# -- the tests --------------------------------------------------------------------------------
def test_the_app_runs_offline_under_solara_run(browser, calls_home):
    with solara_run(calls_home.environment()) as url, offline(browser, viewport={"width": 1500, "height": 1100}) as context:
        page = context.page()
        with evidence(page, "app"):
            page.goto(url)
            wait_for_month(page, 0)
            page.locator(CHARTS).nth(3).wait_for(timeout=CHART_DRAW * 1000)  # four charts waiting for month 1
            assert nudge_slider(page, "Network effect J") == "3.2"
            press(page, "Reset")
            page.wait_for_function("() => document.querySelector('.app-status')?.innerText.includes('Network effect J 3.2')",
                                   timeout=CHART_DRAW * 1000)
            step_play_and_pause(page)
            assert page.locator(CHARTS).count() == 5  # shares, sides, ad load, quality, money
        assert context.blocked == [], f"requests that left the machine: {context.blocked}"
        assert context.errors == [], context.errors
    assert calls_home.hosts == [], f"the server tried to reach: {calls_home.hosts}"


def test_notebook_05_shows_the_app_in_jupyterlab_offline(browser, lab, calls_home):
    name = "05_explorer.ipynb"
    assert (NOTEBOOKS / name).is_file()
    with offline(browser, viewport={"width": 1400, "height": 2400}) as context:  # tall: both apps on screen
        page = context.page()
        with evidence(page, "05_explorer"):
            open_notebook(page, lab, name)
            run_all_cells_once_more_if_asked_for_a_kernel(page)
            assert tracebacks(page) == []
            wait_for_month(page, 0, app=0)   # the explorer on its own
            wait_for_month(page, 24, app=1)  # the one the notebook ran for two years
            first_chart(page, 1)
            page.locator(f"{NOTEBOOK} .v-toolbar button").first.click()  # the app's menu: its controls
            controls = page.locator(".v-menu__content").first
            controls.get_by_role("button", name="Step").wait_for(timeout=CHART_DRAW * 1000)
            step_play_and_pause(page, app=0, scope=controls)
            assert "Month 24" in status(page, 1)  # the other app's market has not moved
        assert context.blocked == [], f"requests that left the machine: {context.blocked}"
        assert [error for error in context.errors if error != WIDGET_RESTORE_RACE] == [], context.errors
    assert calls_home.hosts == [], f"JupyterLab or the kernel tried to reach: {calls_home.hosts}"


# JupyterLab's widget manager, when a notebook's kernel connects (or reconnects, as after the
# "Select Kernel" dialog), re-renders the widget outputs it knows of; one whose model the kernel
# has not sent yet throws this (jupyter-widgets/ipywidgets#3231). Seen once in a fresh clone's run,
# with every check of the app above passing: it says nothing about the app.
WIDGET_RESTORE_RACE = "widget model not found"


# -- the same pieces without a browser (fast, never skipped) ------------------------------------
def test_every_vega_file_the_chart_widget_asks_for_is_held_locally():
    import solara

    from model.app import link_vega_aliases

    cache = link_vega_aliases()
    assert link_vega_aliases() == cache  # idempotent
    widget = (Path(solara.__file__).parent / "widgets" / "vue" / "vegalite.vue").read_text()
    files = re.findall(r"getCdn\(\)\}/([^`'\"]+\.js)", widget)
    assert len(files) >= 4  # vega, vega-lite, vega-embed, requirejs
    assert [path for path in files if not (cache / path).is_file()] == []


def test_the_app_turns_solaras_calls_home_off(monkeypatch):
    import requests
    import solara.checks
    import solara.server.telemetry

    import model.app  # noqa: F401  (importing it is what turns them off)

    attempts = []
    monkeypatch.setattr(requests, "get", lambda url, *a, **k: attempts.append(url))
    monkeypatch.setattr(requests, "post", lambda url, *a, **k: attempts.append(url))
    solara.server.telemetry.track("test event")
    solara.server.telemetry.jupyter_start()
    time.sleep(0.5)  # jupyter_start reports from a thread
    assert attempts == []
    assert solara.checks.jupyter_checked_path.exists() and solara.checks.solara_checked_path.exists()


def test_each_session_gets_a_market_of_its_own_built_from_the_knobs():
    from model.app import KNOBS, AppEconomy, model_params

    first, second = AppEconomy(), AppEconomy(**{"network.effect": 3.0, "bailout.enabled": True})
    first.step()
    assert (first.month, second.month) == (1, 0)
    assert (second.params.network.effect, second.params.bailout.enabled) == (3.0, True)
    assert set(model_params()) == {knob.key for knob in KNOBS}
    with pytest.raises(TypeError, match="users.count: not a knob"):
        AppEconomy(**{"users.count": 5})
