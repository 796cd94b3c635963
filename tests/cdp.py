"""A minimal Chrome DevTools Protocol client for the browser tests (test helper, not package code).

It starts headless Chromium with a throw-away profile and ``--remote-debugging-port=0``, reads
the chosen port from the profile's ``DevToolsActivePort`` file, opens one page target over a
single websocket (flattened target sessions, ``websocket-client``) and collects what a reader's
browser would complain about: uncaught exceptions, ``console.error`` calls, error log entries
(e.g. "Failed to load resource") and failed network requests.

    with Chromium(profile_dir) as browser:
        page = browser.new_page()
        report = page.visit("file:///.../index.html", screenshot=Path("index.png"))
        assert not report.problems
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import websocket  # websocket-client, installed as a Jupyter dependency

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",
    "--hide-scrollbars",
]
#: The reader's window: a laptop screen.
WINDOW = (1280, 900)


def find_chromium() -> str | None:
    """The Chromium (or Chrome) executable on PATH, if any."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


class CDPError(RuntimeError):
    """The browser answered a command with an error, or did not answer in time."""


@dataclass
class PageReport:
    """What happened while one page loaded."""

    url: str
    exceptions: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    log_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    navigation_error: str | None = None
    content_size: tuple[float, float] | None = None

    @property
    def problems(self) -> list[str]:
        """Every problem, one line each (empty when the page loaded cleanly)."""
        out = [f"navigation failed: {self.navigation_error}"] if self.navigation_error else []
        out += [f"uncaught exception: {e}" for e in self.exceptions]
        out += [f"console.error: {e}" for e in self.console_errors]
        out += [f"log error: {e}" for e in self.log_errors]
        out += [f"failed request: {e}" for e in self.failed_requests]
        return out


class Connection:
    """One websocket to the browser endpoint; commands by id, events buffered in arrival order."""

    def __init__(self, ws_url: str, timeout: float = 30.0):
        # Chromium rejects websocket handshakes carrying an Origin header unless
        # --remote-allow-origins is given; websocket-client sends none with suppress_origin.
        self.ws = websocket.create_connection(ws_url, timeout=timeout, suppress_origin=True)
        self.timeout = timeout
        self.ids = itertools.count(1)
        self.events: list[dict] = []

    def close(self) -> None:
        try:
            self.ws.close()
        except Exception:  # noqa: BLE001 - closing a dead socket is not a test failure
            pass

    def _receive(self, deadline: float) -> dict | None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        self.ws.settimeout(remaining)
        try:
            return json.loads(self.ws.recv())
        except websocket.WebSocketTimeoutException:
            return None

    def send(
        self, method: str, params: dict | None = None, session: str | None = None, timeout: float | None = None
    ) -> dict:
        """Send a command and wait for its result (events that arrive meanwhile are buffered)."""
        message_id = next(self.ids)
        message = {"id": message_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            reply = self._receive(deadline)
            if reply is None:
                raise CDPError(f"no answer to {method} within {timeout or self.timeout:.0f} s")
            if reply.get("id") == message_id:
                if "error" in reply:
                    raise CDPError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def wait_for(self, method: str, session: str | None = None, timeout: float | None = None) -> dict:
        """Wait for an event (already buffered or arriving) and return it, consuming it."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            for i, event in enumerate(self.events):
                if event["method"] == method and (session is None or event.get("sessionId") == session):
                    return self.events.pop(i)
            reply = self._receive(deadline)
            if reply is None:
                raise CDPError(f"no {method} event within {timeout or self.timeout:.0f} s")
            if "method" in reply:
                self.events.append(reply)

    def drain(self, seconds: float) -> None:
        """Buffer whatever events arrive during ``seconds`` (late console errors, failed loads)."""
        deadline = time.monotonic() + seconds
        while (reply := self._receive(deadline)) is not None:
            if "method" in reply:
                self.events.append(reply)

    def take(self, session: str) -> list[dict]:
        """Remove and return the buffered events of one session."""
        mine = [e for e in self.events if e.get("sessionId") == session]
        self.events = [e for e in self.events if e.get("sessionId") != session]
        return mine


def _remote_object_text(arg: dict) -> str:
    if "value" in arg:
        return str(arg["value"])
    return arg.get("description") or arg.get("unserializableValue") or arg.get("type", "?")


class Page:
    """One tab, attached through a flattened target session."""

    def __init__(self, conn: Connection, session: str):
        self.conn = conn
        self.session = session
        for domain in ("Runtime", "Log", "Network", "Page"):
            self.send(f"{domain}.enable")

    def send(self, method: str, params: dict | None = None, timeout: float | None = None) -> dict:
        return self.conn.send(method, params, session=self.session, timeout=timeout)

    def visit(self, url: str, screenshot: Path | None = None, settle: float = 0.5, timeout: float = 60.0) -> PageReport:
        """Load ``url``, wait for its load event (plus ``settle`` seconds), collect problems and
        optionally write a full-page PNG screenshot."""
        report = PageReport(url)
        self.conn.take(self.session)  # forget the previous page's events
        result = self.send("Page.navigate", {"url": url}, timeout=timeout)
        if result.get("errorText"):
            report.navigation_error = result["errorText"]
        else:
            self.conn.wait_for("Page.loadEventFired", session=self.session, timeout=timeout)
            self.conn.drain(settle)
        _collect(report, self.conn.take(self.session))
        if screenshot is not None and report.navigation_error is None:
            report.content_size = self.screenshot(screenshot)
        return report

    def screenshot(self, target: Path) -> tuple[float, float]:
        """Write a PNG of the whole page (beyond the viewport); returns its CSS size."""
        metrics = self.send("Page.getLayoutMetrics")
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        width, height = max(size["width"], WINDOW[0]), size["height"]
        shot = self.send(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
            },
            timeout=120,
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(base64.b64decode(shot["data"]))
        return width, height

    def evaluate(self, expression: str):
        """Evaluate a JavaScript expression in the page and return its value."""
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise CDPError(f"evaluate {expression!r}: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")


def _collect(report: PageReport, events: list[dict]) -> None:
    requests = {}
    for event in events:
        method, params = event["method"], event.get("params", {})
        if method == "Network.requestWillBeSent":
            requests[params["requestId"]] = params["request"]["url"]
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text", "")
            report.exceptions.append(f"{text} ({details.get('url', '')}:{details.get('lineNumber', '?')})")
        elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
            report.console_errors.append(" ".join(_remote_object_text(a) for a in params.get("args", [])))
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            entry = params["entry"]
            report.log_errors.append(f"{entry.get('text', '')} {entry.get('url', '')}".strip())
        elif method == "Network.loadingFailed":
            url = requests.get(params["requestId"], params["requestId"])
            reason = params.get("errorText", "") + (
                f" ({params['blockedReason']})" if params.get("blockedReason") else ""
            )
            report.failed_requests.append(f"{url}: {reason}")
        elif method == "Network.responseReceived":
            status = params["response"].get("status", 0)
            if status >= 400:
                report.failed_requests.append(f"{params['response']['url']}: HTTP {status}")


class Chromium:
    """Headless Chromium with a fresh profile in ``profile_dir``; a context manager."""

    def __init__(self, profile_dir: Path, executable: str | None = None, startup_timeout: float = 30.0):
        self.executable = executable or find_chromium()
        if self.executable is None:
            raise FileNotFoundError("no chromium executable on PATH")
        self.profile_dir = Path(profile_dir)
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen | None = None
        self.conn: Connection | None = None
        self.log_path = self.profile_dir.parent / f"{self.profile_dir.name}-chromium.log"

    def __enter__(self) -> Chromium:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        self.profile_dir.mkdir(parents=True, exist_ok=True)
        port_file = self.profile_dir / "DevToolsActivePort"
        port_file.unlink(missing_ok=True)
        args = [
            self.executable,
            *FLAGS,
            f"--window-size={WINDOW[0]},{WINDOW[1]}",
            f"--user-data-dir={self.profile_dir}",
            "about:blank",
        ]
        log = self.log_path.open("wb")
        # Own process group, so stop() can end the browser's helpers it started, and only those.
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
        log.close()
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if port_file.is_file():
                lines = port_file.read_text().split()
                if len(lines) >= 2:
                    break
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"chromium exited with {self.process.returncode} at start-up:\n"
                    + self.log_path.read_text(errors="replace")[-2000:]
                )
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    "chromium did not report its DevTools port within "
                    f"{self.startup_timeout:.0f} s:\n" + self.log_path.read_text(errors="replace")[-2000:]
                )
            time.sleep(0.05)
        port, path = lines[0], lines[1]
        self.conn = Connection(f"ws://127.0.0.1:{port}{path}")

    def new_page(self) -> Page:
        """Open a blank tab and attach to it."""
        assert self.conn is not None, "start() first"
        target = self.conn.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.conn.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self.conn, session)
        page.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": WINDOW[0], "height": WINDOW[1], "deviceScaleFactor": 1, "mobile": False},
        )
        return page

    def stop(self) -> None:
        if self.conn is not None:
            try:
                self.conn.send("Browser.close", timeout=5)
            except Exception:  # noqa: BLE001 - the browser may already be gone
                pass
            self.conn.close()
            self.conn = None
        if self.process is not None:
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            try:  # the browser's own group: any helper that outlived it
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(timeout=10)
            self.process = None
