"""The HTML report in a real browser: headless Chromium driven over the DevTools protocol.

Chromium (Debian's ``chromium`` package; ``make browser`` installs it) is started with
``--remote-debugging-pipe``, so the protocol runs over two pipes and needs no client package
and no open port. The tests check what a person would: the page loads with no console error and
no network request, every feature has a visible chart, the filter and sort controls work, and a
screenshot is written (its path is printed) for a person to look at.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from datacheck.cli import main

#: the longest any one protocol step may take before the test fails (never hangs)
STEP_TIMEOUT = 30.0

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--mute-audio",
    "--hide-scrollbars",
)


def _chromium() -> str | None:
    for candidate in (
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def _above_4(fd: int) -> int:
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return high


class Browser:
    """A headless Chromium and a DevTools protocol client over its debugging pipes."""

    def __init__(self, executable: str) -> None:
        self._profile = tempfile.mkdtemp(prefix="datacheck-chromium-")
        to_child, self._write = os.pipe()
        self._read, from_child = os.pipe()
        # Move the child's ends above 4, so that placing them at 3 and 4 cannot clobber them.
        to_child, from_child = (_above_4(fd) for fd in (to_child, from_child))
        # Chromium reads commands on fd 3 and writes replies on fd 4; bash (not dash, which
        # reads only one-digit descriptors) moves the pipe ends there, and /usr/bin/chromium,
        # itself a script, keeps them across its exec.
        command = f'exec "$0" "$@" 3<&{to_child} 4>&{from_child} {to_child}<&- {from_child}>&-'
        self._process = subprocess.Popen(
            [
                "bash",
                "-c",
                command,
                executable,
                *FLAGS,
                f"--user-data-dir={self._profile}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            pass_fds=(to_child, from_child),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_child)
        os.close(from_child)
        self._next_id = 0
        self._replies: dict[int, dict[str, Any]] = {}
        self._events: queue.Queue[dict[str, Any]] = queue.Queue()
        self._lock = threading.Condition()
        self._reader = threading.Thread(target=self._pump, daemon=True)
        self._reader.start()

    def _pump(self) -> None:
        buffer = b""
        while chunk := os.read(self._read, 1 << 16):
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            for raw in messages:
                message = json.loads(raw)
                if "id" in message:
                    with self._lock:
                        self._replies[message["id"]] = message
                        self._lock.notify_all()
                else:
                    self._events.put(message)

    def send(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> dict[str, Any]:
        """Send one command and wait for its reply; raise on a protocol error."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + STEP_TIMEOUT
        with self._lock:
            while self._next_id not in self._replies:
                left = deadline - time.monotonic()
                if left <= 0 or self._process.poll() is not None:
                    raise TimeoutError(f"no reply to {method} from Chromium")
                self._lock.wait(left)
            reply = self._replies.pop(self._next_id)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        result: dict[str, Any] = reply.get("result", {})
        return result

    def events(self) -> list[dict[str, Any]]:
        """The events received so far (and forgets them)."""
        out = []
        while not self._events.empty():
            out.append(self._events.get_nowait())
        return out

    def wait_for(self, method: str, session: str) -> list[dict[str, Any]]:
        """Every event up to and including the first ``method`` event of ``session``."""
        seen = []
        deadline = time.monotonic() + STEP_TIMEOUT
        while True:
            try:
                event = self._events.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                raise TimeoutError(f"Chromium sent no {method}") from None
            seen.append(event)
            if event.get("method") == method and event.get("sessionId") == session:
                return seen

    def close(self) -> None:
        """Close the browser (politely, then by force) and remove its profile folder."""
        # Chromium may already be gone; closing is best effort before the kill below.
        with contextlib.suppress(OSError, RuntimeError, TimeoutError):
            self.send("Browser.close")
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        os.close(self._write)
        self._reader.join(timeout=5)
        os.close(self._read)
        shutil.rmtree(self._profile, ignore_errors=True)


class Page:
    """One tab: what it loaded, what it logged, and what it requested."""

    def __init__(self, browser: Browser, path: Path) -> None:
        self.browser = browser
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": 1280, "height": 1000, "deviceScaleFactor": 1, "mobile": False},
        )
        browser.events()
        self.url = path.resolve().as_uri()
        self.send("Page.navigate", {"url": self.url})
        self.log = browser.wait_for("Page.loadEventFired", self.session)

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.browser.send(method, params, self.session)

    def eval(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page."""
        reply = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in reply:
            raise AssertionError(f"{expression}: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    def settle(self) -> None:
        """Let queued events arrive, then add them to the log."""
        self.eval("new Promise(r => setTimeout(r, 50))")
        self.log += [e for e in self.browser.events() if e.get("sessionId") == self.session]

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and error log entries, as text."""
        found = []
        for e in self.log:
            p = e.get("params", {})
            if e["method"] == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                found.append(json.dumps(p.get("args")))
            elif e["method"] == "Runtime.exceptionThrown":
                found.append(json.dumps(p.get("exceptionDetails")))
            elif e["method"] == "Log.entryAdded" and p["entry"]["level"] == "error":
                found.append(p["entry"]["text"])
            elif e["method"] == "Page.javascriptDialogOpening":
                found.append(f"dialog: {p.get('message')}")
        return found

    def requests(self) -> list[str]:
        """The URL of every request the page made."""
        return [
            e["params"]["request"]["url"]
            for e in self.log
            if e["method"] == "Network.requestWillBeSent"
        ]

    def screenshot(self, path: Path, *, max_height: int = 6000) -> Path:
        """A PNG of the page, as tall as the page (up to ``max_height`` pixels)."""
        # A tab opened by Target.createTarget paints only once it is in front.
        self.send("Page.bringToFront")
        height = min(int(self.eval("document.documentElement.scrollHeight")), max_height)
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": 1280, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        shot = self.send("Page.captureScreenshot", {"format": "png"})
        path.write_bytes(base64.b64decode(shot["data"]))
        return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = _chromium()
    if executable is None:
        pytest.skip(
            "Chromium is not installed: run `make browser` (Debian: apt-get install -y "
            "chromium) to run the browser tests"
        )
    b = Browser(executable)
    try:
        b.send("Browser.getVersion")
    except (OSError, RuntimeError, TimeoutError) as error:
        b.close()
        pytest.skip(f"Chromium at {executable} does not start headless here: {error}")
    yield b
    b.close()


HOSTILE = "<script>alert(1)</script>"


def _csv(path: Path, rows: int, shift: int) -> Path:
    colours = ["red", "green", "blue", HOSTILE, 'quote " & amp']
    lines = ["id,price,count,colour,member,day,score_with_a_rather_long_feature_name,city"]
    for i in range(rows):
        colour = colours[(i * (1 + shift)) % 5 if i % 4 else 0]
        price = 10 + (i * 37 % 100) / 10 + 4 * shift
        lines.append(
            f'{i},{price},{i % 7},"{colour.replace(chr(34), chr(34) * 2)}",'
            f"{'true' if (i + shift) % 3 else 'false'},2024-0{1 + i % 9}-1{i % 10},"
            f"{(i * 13) % 1000 / 7},city-{i % (40 + 20 * shift)}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    out = folder / "report.html"
    code = main(
        [
            "report",
            str(_csv(folder / "now.csv", 600, 1)),
            "--baseline",
            str(_csv(folder / "before.csv", 600, 0)),
            "-o",
            str(out),
        ]
    )
    assert code == 1  # the shifted columns drift
    return out


@pytest.fixture(scope="module")
def page(browser: Browser, report: Path) -> Page:
    p = Page(browser, report)
    p.settle()
    return p


def test_the_report_loads_with_no_console_error(page: Page):
    assert page.eval("document.readyState") == "complete"
    assert page.errors() == []


def test_the_report_makes_no_network_request(page: Page):
    assert page.requests() == [page.url]


def test_the_check_for_requests_would_see_one(browser: Browser, tmp_path: Path):
    # The control: a page that does fetch something shows up in the request log.
    leaky = tmp_path / "leaky.html"
    leaky.write_text('<img src="http://127.0.0.1:9/x.png">', encoding="utf-8")
    p = Page(browser, leaky)
    p.settle()
    assert "http://127.0.0.1:9/x.png" in p.requests()


def test_every_feature_has_a_visible_chart(page: Page, report: Path):
    names = re.findall(r'<article [^>]*data-name="([^"]*)"', report.read_text(encoding="utf-8"))
    charted = page.eval("""Array.from(document.querySelectorAll('article.dcr-feature'))
        .filter(a => { const s = a.querySelector('svg.dcr-chart');
                       return s && s.getBoundingClientRect().width > 100; }).length""")
    assert len(names) == 8
    assert charted == len(names)


def test_a_hostile_category_value_is_shown_as_text(page: Page):
    assert page.eval("document.querySelectorAll('script').length") == 1
    labels = page.eval("Array.from(document.querySelectorAll('svg text')).map(t => t.textContent)")
    assert any(label.startswith("<script>alert(1)") for label in labels)


def _choose(page: Page, name: str, value: str) -> int:
    """Select ``value`` in the control ``name`` as a user would; return the visible cards."""
    return int(
        page.eval(f"""(() => {{
        const control = document.querySelector('.dcr-controls [name={name}]');
        control.value = {json.dumps(value)};
        control.dispatchEvent(new Event('change', {{bubbles: true}}));
        return Array.from(document.querySelectorAll('article.dcr-feature'))
            .filter(a => a.offsetParent !== null).length; }})()""")
    )


def test_the_anomaly_filter_shows_only_features_with_anomalies(page: Page, report: Path):
    text = report.read_text(encoding="utf-8")
    flagged = len(re.findall(r'<article [^>]*data-errors="[1-9]', text)) + len(
        re.findall(r'<article [^>]*data-errors="0" data-warnings="[1-9]', text)
    )
    assert 0 < flagged < 8
    assert page.eval("document.querySelector('.dcr-controls').hidden") is False
    assert _choose(page, "filter", "anomalies") == flagged
    assert page.eval("document.querySelector('.dcr-count').textContent") == (
        f"{flagged} of 8 features shown"
    )
    assert _choose(page, "filter", "all") == 8


def test_sorting_by_name_orders_the_cards(page: Page):
    _choose(page, "sort", "name")
    order = page.eval(
        "Array.from(document.querySelectorAll('article.dcr-feature')).map(a => a.dataset.name)"
    )
    assert order == sorted(order)
    _choose(page, "sort", "anomalies")


def test_the_name_box_filters_by_name(page: Page):
    visible = page.eval("""(() => { const box = document.querySelector('[name=search]');
        box.value = 'PRI'; box.dispatchEvent(new Event('input'));
        const shown = Array.from(document.querySelectorAll('article.dcr-feature'))
            .filter(a => a.offsetParent !== null).map(a => a.dataset.name);
        box.value = ''; box.dispatchEvent(new Event('input')); return shown; })()""")
    assert visible == ["price"]


def _overview_keys(page: Page, column: int) -> list[str]:
    return list(
        page.eval(f"""Array.from(document.querySelectorAll('table.dcr-overview tbody tr'))
        .map(r => r.cells[{column}].getAttribute('data-v'))""")
    )


def _sort_overview(page: Page, heading: str) -> None:
    page.eval(f"""Array.from(document.querySelectorAll('table.dcr-overview th'))
        .find(th => th.textContent === {json.dumps(heading)}).click()""")


def test_a_click_on_an_overview_heading_sorts_its_rows(page: Page):
    # As the page opens: features with anomalies first, as the cards are.
    anomalies = [float(v) for v in _overview_keys(page, 5)]
    assert len(anomalies) == 8 and anomalies == sorted(anomalies, reverse=True)
    _sort_overview(page, "feature")
    names = _overview_keys(page, 0)
    assert names == sorted(names, key=str.lower)
    _sort_overview(page, "feature")  # a second click reverses
    assert _overview_keys(page, 0) == names[::-1]
    _sort_overview(page, "worst distance")  # numbers: largest first
    worst = [float(v) for v in _overview_keys(page, 4)]
    assert worst == sorted(worst, reverse=True) and worst[0] > worst[-1]
    assert (
        page.eval("document.querySelector('table.dcr-overview th[aria-sort]').textContent")
        == "worst distance"
    )
    assert page.errors() == []


def test_a_screenshot_is_written_for_a_person_to_look_at(page: Page, report: Path):
    shot = page.screenshot(report.with_suffix(".png"))
    print(f"\nreport screenshot: {shot}")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 20_000


def test_two_notebook_fragments_on_one_page_work_on_their_own(browser: Browser, tmp_path: Path):
    # As in a notebook: two cells' outputs (``_repr_html_``) in one document.
    from datacheck.stats import generate_statistics

    profile = generate_statistics(_csv(tmp_path / "d.csv", 50, 0))
    page_file = tmp_path / "notebook.html"
    page_file.write_text(
        "<!DOCTYPE html><meta charset='utf-8'><body>"
        + profile._repr_html_()
        + profile._repr_html_(),
        encoding="utf-8",
    )
    p = Page(browser, page_file)
    p.settle()
    counts = p.eval("""(() => {
        const roots = document.querySelectorAll('.dcr');
        const box = roots[1].querySelector('[name=search]');
        box.value = 'price'; box.dispatchEvent(new Event('input'));
        return Array.from(roots).map(r => r.querySelector('.dcr-count').textContent); })()""")
    assert p.errors() == []
    assert counts == ["8 of 8 features shown", "1 of 8 features shown"]
