"""Headless Chromium (Debian's package) driven over the Chrome DevTools Protocol through `--remote-debugging-pipe`:
no Python dependency, no debugging port, and a page can reach loopback addresses only."""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import signal
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")


class BrowserError(Exception):
    """The browser did not start, died, or did not answer in time; the message carries its log tail."""


def find_chromium(explicit: str | None = None) -> str | None:
    """`explicit` (else $CHROMIUM) when given, otherwise the first Chromium on the usual paths; None when the
    given one or every usual one is missing."""

    def resolve(candidate: str) -> str | None:
        return candidate if os.path.isabs(candidate) and os.access(candidate, os.X_OK) else shutil.which(candidate)

    chosen = explicit or os.environ.get("CHROMIUM")
    if chosen:
        return resolve(chosen)
    for candidate in CANDIDATES:
        found = resolve(candidate)
        if found:
            return found
    return None


def _high_fd(fd: int) -> int:
    """Moves a pipe end above the fds the child gets (0-4), close-on-exec: dup2 onto 3/4 cannot clobber it."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


def chromium_args(executable: str, user_data_dir: Path, width: int, height: int) -> list[str]:
    args = [
        executable,
        "--headless=new",
        "--remote-debugging-pipe",
        f"--user-data-dir={user_data_dir}",
        f"--window-size={width},{height}",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost",  # loopback only: no name resolves
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-default-apps",
        "--disable-extensions",
        "--disable-sync",
        "--hide-scrollbars",
        "--mute-audio",
        "--no-default-browser-check",
        "--no-first-run",
        "--password-store=basic",
        "about:blank",
    ]
    if os.geteuid() == 0:
        args.insert(2, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
    return args


class Browser:
    """One headless Chromium process; `with Browser(path, log_path=...) as b: page = b.new_page(w, h)`.

    The browser reads commands on fd 3 and writes replies on fd 4, one JSON message per NUL-terminated frame."""

    def __init__(self, executable: str, *, log_path: Path, width: int = 1400, height: int = 1000) -> None:
        self.executable = executable
        self.log_path = log_path
        self.width, self.height = width, height
        self.pid = 0
        self._profile = tempfile.TemporaryDirectory(prefix="ui-shot-chromium-")
        self._to_browser = self._from_browser = -1
        self._buffer = b""
        self._next_id = 0

    def __enter__(self) -> Browser:
        try:
            self.start()
        except OSError as err:  # not executable, no such file
            self.close()
            raise BrowserError(f"cannot start {self.executable}: {err}") from None
        return self

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def start(self) -> None:
        cmd_read, cmd_write = os.pipe()
        reply_read, reply_write = os.pipe()
        self._to_browser, self._from_browser = cmd_write, reply_read
        cmd_read, reply_write = _high_fd(cmd_read), _high_fd(reply_write)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)
        try:
            self.pid = os.posix_spawn(
                self.executable,
                chromium_args(self.executable, Path(self._profile.name), self.width, self.height),
                dict(os.environ),
                file_actions=[
                    (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                    (os.POSIX_SPAWN_DUP2, log, 1),
                    (os.POSIX_SPAWN_DUP2, log, 2),
                    (os.POSIX_SPAWN_DUP2, cmd_read, 3),
                    (os.POSIX_SPAWN_DUP2, reply_write, 4),
                ],
                setsid=True,
            )
        finally:
            for fd in (cmd_read, reply_write, log):
                os.close(fd)
        try:
            self.call("Browser.getVersion", timeout_s=30)
        except BrowserError:
            self.close()
            raise

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def _fail(self, what: str) -> BrowserError:
        return BrowserError(f"chromium {what}; log {self.log_path}:\n{self.log_tail()}")

    def call(
        self, method: str, params: dict[str, Any] | None = None, *, session: str | None = None, timeout_s: float = 30.0
    ) -> dict[str, Any]:
        """Sends one command and returns its result (events that arrive meanwhile are dropped)."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        try:
            os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        except OSError:
            raise self._fail(f"is gone (sending {method})") from None
        deadline = time.monotonic() + timeout_s
        while True:
            reply = json.loads(self._read_frame(deadline, method))
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error'].get('message', reply['error'])}")
                result: dict[str, Any] = reply.get("result", {})
                return result

    def _read_frame(self, deadline: float, method: str) -> bytes:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise self._fail(f"did not answer {method} in time")
            ready, _, _ = select.select([self._from_browser], [], [], left)
            if ready:
                chunk = os.read(self._from_browser, 1 << 20)
                if not chunk:
                    raise self._fail(f"closed the pipe (during {method})")
                self._buffer += chunk
        frame, self._buffer = self._buffer.split(b"\0", 1)
        return frame

    def new_page(self) -> Page:
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, str(session))
        page.call("Page.enable")
        page.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": self.width, "height": self.height, "deviceScaleFactor": 1, "mobile": False},
        )
        return page

    def close(self) -> None:
        """Asks the browser to quit, then waits for its PID; SIGKILLs its process group (ours) if it lingers."""
        if self.pid and self._to_browser >= 0:
            with contextlib.suppress(BrowserError):
                self.call("Browser.close", timeout_s=5)
        for fd in (self._to_browser, self._from_browser):
            if fd >= 0:
                os.close(fd)
        self._to_browser = self._from_browser = -1
        if self.pid:
            if not _wait_pid(self.pid, 10.0):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.pid, signal.SIGKILL)  # the group setsid made for this browser
                _wait_pid(self.pid, 5.0)
            self.pid = 0
        self._profile.cleanup()


def _wait_pid(pid: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return True
        if done:
            return True
        time.sleep(0.1)
    return False


class Page:
    """One tab, attached with a flat session."""

    def __init__(self, browser: Browser, session: str) -> None:
        self.browser = browser
        self.session = session

    def call(self, method: str, params: dict[str, Any] | None = None, *, timeout_s: float = 30.0) -> dict[str, Any]:
        return self.browser.call(method, params, session=self.session, timeout_s=timeout_s)

    def navigate(self, url: str) -> None:
        result = self.call("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise BrowserError(f"cannot open {url}: {result['errorText']}")

    def evaluate(self, expression: str) -> Any:
        """The expression's value (JSON-able), awaited if it is a promise."""
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise BrowserError(f"script failed: {details.get('exception', {}).get('description') or details}")
        return result.get("result", {}).get("value")

    def screenshot(self, path: Path, *, height: int | None = None) -> int:
        """Saves a PNG of the page's top `height` CSS pixels (default: the viewport); returns its size in bytes."""
        params: dict[str, Any] = {"format": "png"}
        if height is not None:
            params["captureBeyondViewport"] = True
            params["clip"] = {"x": 0, "y": 0, "width": self.browser.width, "height": height, "scale": 1}
        data = base64.b64decode(self.call("Page.captureScreenshot", params, timeout_s=60)["data"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return len(data)
