"""Helpers for tests: run the simulator as a real subprocess and drive its /_sim admin API."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

_PROJECT_ROOT = Path(__file__).resolve().parent.parent
_LISTENING = re.compile(r"ringg-sim listening on (http://[^\s/]+)/ca/api/v0")


@dataclass
class RunningSimulator:
    """A simulator subprocess on 127.0.0.1."""

    base_url: str  # "http://127.0.0.1:PORT/ca/api/v0"
    admin_url: str  # "http://127.0.0.1:PORT/_sim"
    api_key: str
    pid: int
    log_path: Path
    process: subprocess.Popen[bytes] = field(repr=False)
    delete_log: bool = field(default=False, repr=False)  # temp log we created: removed after a clean stop

    def log_tail(self, lines: int = 40) -> str:
        return _tail(self.log_path, lines)


def _tail(path: Path, lines: int) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "<no log>"


def start_simulator(
    *,
    api_key: str = "sim-test-key",
    time_scale: float = 0.02,
    extra_args: Sequence[str] = (),
    log_path: Path | None = None,
    timeout_s: float = 15.0,
) -> RunningSimulator:
    """Spawn `python -m ringg_sim --port 0 ...` and wait for its readiness line (race-free port choice)."""
    delete_log = log_path is None
    if log_path is None:
        fd, name = tempfile.mkstemp(prefix="ringg-sim-", suffix=".log")
        os.close(fd)
        log_path = Path(name)
    cmd = [
        sys.executable,
        "-m",
        "ringg_sim",
        "--port",
        "0",
        "--host",
        "127.0.0.1",
        "--api-key",
        api_key,
        "--time-scale",
        repr(time_scale),
        *extra_args,
    ]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_PROJECT_ROOT), env.get("PYTHONPATH", "")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    with open(log_path, "wb") as log:
        # the command is our own interpreter + fixed module; extra_args come from the calling test
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=_PROJECT_ROOT)  # noqa: S603
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        match = _LISTENING.search(log_path.read_text(errors="replace"))
        if match:
            root = match.group(1)
            return RunningSimulator(
                base_url=f"{root}/ca/api/v0",
                admin_url=f"{root}/_sim",
                api_key=api_key,
                pid=proc.pid,
                log_path=log_path,
                process=proc,
                delete_log=delete_log,
            )
        if proc.poll() is not None:
            raise RuntimeError(f"ringg-sim exited with {proc.returncode}:\n{_tail(log_path, 40)}")
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    raise RuntimeError(f"ringg-sim not ready after {timeout_s}s:\n{_tail(log_path, 40)}")


def stop_simulator(sim: RunningSimulator) -> None:
    """SIGTERM by PID, wait up to 5 s, then SIGKILL."""
    if sim.process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(sim.pid, signal.SIGTERM)
    try:
        sim.process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.kill(sim.pid, signal.SIGKILL)
        sim.process.wait()
    if sim.delete_log and sim.process.returncode == 0:
        with contextlib.suppress(OSError):
            sim.log_path.unlink()


@contextlib.contextmanager
def running_simulator(
    *,
    api_key: str = "sim-test-key",
    time_scale: float = 0.02,
    extra_args: Sequence[str] = (),
    log_path: Path | None = None,
) -> Iterator[RunningSimulator]:
    """Start a simulator subprocess for the duration of the block (see start_simulator)."""
    sim = start_simulator(api_key=api_key, time_scale=time_scale, extra_args=extra_args, log_path=log_path)
    try:
        yield sim
    finally:
        stop_simulator(sim)


WINDOW_FORMAT = "%d/%m/%Y, %H:%M"


def open_window(
    now: float,
    *,
    timezone: str = "Asia/Kolkata",
    hours_before: float = 1.0,
    hours_after: float = 72.0,
    daily: tuple[str, str] | None = ("00:00", "23:59"),
    retry_count: int = 1,
    retry_minutes: float = 1,
) -> dict[str, Any]:
    """Request fields of a campaign whose window is open at `now` (simulated epoch seconds: SimAdmin.now()):
    campaign_start_time, campaign_end_time and call_config (call_time in `timezone`, call_retry_config)."""
    zone = ZoneInfo(timezone)
    at = datetime.fromtimestamp(now, zone)
    call_time: dict[str, Any] = {"timezone": timezone}
    if daily is not None:
        call_time |= {"call_start_time": daily[0], "call_end_time": daily[1]}
    waits = dict.fromkeys(("retry_busy", "retry_not_picked", "retry_failed"), retry_minutes)
    return {
        "campaign_start_time": (at - timedelta(hours=hours_before)).strftime(WINDOW_FORMAT),
        "campaign_end_time": (at + timedelta(hours=hours_after)).strftime(WINDOW_FORMAT),
        "call_config": {"call_time": call_time, "call_retry_config": {"retry_count": retry_count, **waits}},
    }


class SimAdmin:
    """Small sync client for the /_sim admin API."""

    def __init__(self, target: RunningSimulator | str, *, transport: httpx.BaseTransport | None = None) -> None:
        url = target.admin_url if isinstance(target, RunningSimulator) else target
        self._client = httpx.Client(base_url=url.rstrip("/"), timeout=30.0, transport=transport)

    def __enter__(self) -> SimAdmin:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def _call(self, method: str, path: str, **kw: Any) -> Any:
        resp = self._client.request(method, path, **kw)
        resp.raise_for_status()
        return resp.json()

    def health(self) -> dict[str, Any]:
        return dict(self._call("GET", "/health"))

    def reset(self) -> None:
        self._call("POST", "/reset")

    def config(self) -> dict[str, Any]:
        return dict(self._call("GET", "/config"))

    def configure(self, **fields: Any) -> dict[str, Any]:
        return dict(self._call("POST", "/config", json=fields))

    def add_fault(
        self,
        endpoint: str,
        kind: str,
        *,
        times: int = 1,
        retry_after: float | None = None,
        status: int | None = None,
        delay_s: float | None = None,
    ) -> dict[str, Any]:
        rule: dict[str, Any] = {"endpoint": endpoint, "kind": kind, "times": times}
        for key, value in (("retry_after", retry_after), ("status", status), ("delay_s", delay_s)):
            if value is not None:
                rule[key] = value
        return dict(self._call("POST", "/faults", json=rule))

    def faults(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/faults"))

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def stats(self) -> dict[str, Any]:
        return dict(self._call("GET", "/stats"))

    def requests(self, endpoint: str | None = None) -> list[dict[str, Any]]:
        """The request log, oldest first: {endpoint, method, status (None = dropped), t_received, t_done (the
        simulator's monotonic seconds), fault (kind or None)}; `endpoint` filters by fault endpoint name."""
        params = {} if endpoint is None else {"endpoint": endpoint}
        return list(self._call("GET", "/requests", params=params))

    def campaign_calls(self, list_id: str) -> list[dict[str, Any]]:
        return list(self._call("GET", f"/campaigns/{list_id}/calls"))

    def set_credits(self, n: float) -> None:
        self._call("POST", "/credits", json={"credits": n})

    def clock(self, tz: str = "Asia/Kolkata") -> dict[str, Any]:
        """{now, epoch, local (DD/MM/YYYY, HH:MM in tz), timezone, wall, time_scale}: the simulated clock."""
        return dict(self._call("GET", "/clock", params={"tz": tz}))

    def now(self) -> float:
        """The simulated clock (epoch seconds): windows and call times are read on it."""
        return float(self.clock()["epoch"])

    def advance_clock(self, epoch: float, *, wall_to: float | None = None) -> float:
        """Moves the simulated clock forward to `epoch` (simulated epoch seconds) at once, and the wall clock the
        simulator reports and dates by to `wall_to` if given; an instant not ahead of its clock changes nothing.
        Returns the simulated clock's reading afterwards."""
        body: dict[str, float] = {"advance_to": epoch}
        if wall_to is not None:
            body["wall_to"] = wall_to
        return float(self._call("POST", "/clock", json=body)["epoch"])

    def window(self, **kwargs: Any) -> dict[str, Any]:
        """open_window(...) at the simulator's current simulated time."""
        return open_window(self.now(), **kwargs)

    def campaign(self, list_id: str) -> dict[str, Any]:
        return dict(self._call("GET", f"/campaigns/{list_id}"))

    def pause(self, list_id: str) -> dict[str, Any]:
        return dict(self._call("POST", f"/campaigns/{list_id}/pause"))

    def resume(self, list_id: str) -> dict[str, Any]:
        return dict(self._call("POST", f"/campaigns/{list_id}/resume"))

    def callbacks(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/callbacks"))

    def emails(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/emails"))
