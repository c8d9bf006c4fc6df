"""Headless Chromium driven over the DevTools protocol (fill, click, read, screenshot).

``--dump-dom`` cannot click, so e2e tests of the page's script drive /usr/bin/chromium directly:
``--remote-debugging-port=0`` prints the browser's websocket, ``/json/list`` names the page's,
and CDP commands go over aiohttp's websocket client (already a dependency) rather than a browser
automation library that would download its own browsers. Synchronous for tests: each call runs
on the browser's own event loop.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import aiohttp

CHROMIUM = Path("/usr/bin/chromium")
HEADLESS = [  # also for --dump-dom and --screenshot runs (tests/e2e/test_integration_page.py)
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1200,900",
]
FLAGS = [*HEADLESS, "--remote-debugging-port=0", "--remote-allow-origins=*"]


class BrowserError(AssertionError):
    """A page script threw, or something waited for never happened."""


class Browser:
    """One headless Chromium with one tab."""

    def __init__(self, chromium: Path, profile: Path, time_zone: str | None = None) -> None:
        self._loop = asyncio.new_event_loop()
        self._ids = itertools.count(1)
        self.console: list[str] = []  # the page's console messages and uncaught exceptions
        self._proc = subprocess.Popen(
            [str(chromium), *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        port = self._devtools_port()
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._run(self._connect(port))
        self.send("Page.enable")
        self.send("Runtime.enable")
        if time_zone:
            self.send("Emulation.setTimezoneOverride", timezoneId=time_zone)

    def _devtools_port(self) -> int:
        assert self._proc.stderr is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self._proc.stderr.readline().decode(errors="replace")
            found = re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line)
            if found:
                return int(found.group(1))
            if not line and self._proc.poll() is not None:
                break
        raise BrowserError("chromium did not open its DevTools port")

    def _run(self, coro: Any) -> Any:
        return self._loop.run_until_complete(coro)

    async def _connect(self, port: int) -> None:
        self._session = aiohttp.ClientSession()
        async with self._session.get(f"http://127.0.0.1:{port}/json/list") as resp:
            targets = await resp.json()
        page = next(t for t in targets if t.get("type") == "page")
        self._ws = await self._session.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0)

    async def _send(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        assert self._ws is not None
        ident = next(self._ids)
        await self._ws.send_str(json.dumps({"id": ident, "method": method, "params": params}))
        while True:  # events in between: only console lines are kept (tests poll the DOM)
            message = json.loads((await self._ws.receive(timeout=90)).data)
            self._note(message)
            if message.get("id") == ident:
                if "error" in message:
                    raise BrowserError(f"{method}: {message['error']}")
                return message.get("result", {})

    def _note(self, message: dict[str, Any]) -> None:
        params = message.get("params", {})
        if message.get("method") == "Runtime.consoleAPICalled":
            args = " ".join(str(a.get("value", a.get("description"))) for a in params["args"])
            self.console.append(f"console.{params.get('type')}: {args}")
        elif message.get("method") == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            error = details.get("exception", {}).get("description") or details.get("text")
            self.console.append(f"uncaught: {error}")

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        """One CDP command and its result."""
        return self._run(self._send(method, params))

    def eval(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises awaited)."""
        result = self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression!r} threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait(self, expression: str, timeout: float = 30, what: str = "") -> Any:
        """Poll ``expression`` until it is truthy; its value."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                value = self.eval(expression)
            except BrowserError:  # the page is being (re)loaded
                value = None
            if value:
                return value
            time.sleep(0.1)
        raise BrowserError(
            f"waited {timeout:g} s for {what or expression}; page console: {self.console}"
        )

    def open(self, url: str) -> None:
        """Load ``url`` and wait until it and its script ran."""
        self.send("Page.navigate", url=url)
        time.sleep(0.2)
        self.wait("document.readyState === 'complete'", what=f"{url} to load")

    def fill(self, selector: str, value: str) -> None:
        """Type ``value`` into a field (as the user would: input and change events)."""
        self.eval(
            f"(() => {{ const el = document.querySelector({json.dumps(selector)});"
            f" el.value = {json.dumps(value)};"
            " el.dispatchEvent(new Event('input', {bubbles: true}));"
            " el.dispatchEvent(new Event('change', {bubbles: true})); })()"
        )

    def click(self, selector: str) -> None:
        self.eval(f"document.querySelector({json.dumps(selector)}).click()")

    def click_and_reload(self, selector: str) -> None:
        """Click, then wait until the click loaded the page again (its script ran anew)."""
        self.eval("window.__beforeClick = true")
        self.click(selector)
        self.wait(
            "!window.__beforeClick && document.readyState === 'complete'",
            what=f"the page loaded again after clicking {selector}",
        )

    def text(self, selector: str) -> str:
        return self.eval(f"document.querySelector({json.dumps(selector)}).textContent") or ""

    def screenshot(self, path: Path) -> None:
        """A PNG of the whole page (not only the window)."""
        height = int(self.eval("document.documentElement.scrollHeight"))
        clip = {"x": 0, "y": 0, "width": 1200, "height": height, "scale": 1}
        shot = self.send(
            "Page.captureScreenshot", format="png", captureBeyondViewport=True, clip=clip
        )
        path.write_bytes(base64.b64decode(shot["data"]))

    def close(self) -> None:
        async def shut() -> None:
            if self._ws is not None:
                await self._ws.close()
            if self._session is not None:
                await self._session.close()

        self._run(shut())
        self._loop.close()
        self._proc.terminate()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
