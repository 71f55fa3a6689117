"""The demo stack's record, data/demo/stack.json: the PIDs and ports `make demo` started, written as each part starts
and removed on a clean stop. `make stop` stops what it names (by PID); `make demo` refuses to start beside it."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

from pydantic import BaseModel, ValidationError

from devtools import devstack

STATE_NAME = "stack.json"
# The demo stops its parts itself (each gets SIGTERM, then SIGKILL after 10 s): `make stop` waits that long for it.
DEMO_STOP_WAIT_S = 60.0
PART_STOP_WAIT_S = 10.0


class StaleStack(Exception):
    """A demo stack (or another program) already holds what `make demo` needs; the message says how to stop it."""


class ProcessRecord(BaseModel):
    name: str
    pid: int
    # The process's start time in clock ticks (Linux /proc): a PID reused by another program is not taken for ours.
    started: int | None = None
    ports: list[int] = []


class StackState(BaseModel):
    demo: ProcessRecord
    ports: dict[str, int]
    processes: list[ProcessRecord] = []
    ready: bool = False
    ui: str | None = None

    def everything(self) -> list[ProcessRecord]:
        return [self.demo, *self.processes]


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state letter, start time in ticks) from /proc/<pid>/stat; None without /proc or when the PID is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()  # after "pid (comm) ": field 3 (state) onwards
    return fields[0], int(fields[19])


def start_ticks(pid: int) -> int | None:
    stat = _proc_stat(pid)
    return stat[1] if stat else None


def is_running(record: ProcessRecord) -> bool:
    """The recorded process is alive: the PID exists, is no zombie and started when recorded (where /proc says)."""
    try:
        os.kill(record.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, under another user
    if not Path("/proc/self/stat").exists():
        return True  # no /proc (macOS): the PID is all there is to go by
    stat = _proc_stat(record.pid)
    if stat is None or stat[0] in ("Z", "X"):
        return False
    return record.started is None or stat[1] == record.started


def read_state(path: Path) -> StackState | None:
    """The record, or None when there is none (an unreadable or damaged one counts as none: it names nothing)."""
    try:
        return StackState.model_validate_json(path.read_bytes())
    except (OSError, ValidationError, ValueError):
        return None


def describe(records: list[ProcessRecord]) -> str:
    return ", ".join(f"{r.name} (PID {r.pid}{''.join(f', port {p}' for p in r.ports)})" for r in records)


class StackRecord:
    """The record of the stack this `make demo` starts: rewritten (atomically) as each part starts."""

    def __init__(self, path: Path, ports: dict[str, int]) -> None:
        self.path = path
        self.procs: list[devstack.Proc] = []
        me = os.getpid()
        self.state = StackState(demo=ProcessRecord(name="make demo", pid=me, started=start_ticks(me)), ports=ports)

    def add(self, proc: devstack.Proc) -> None:
        """devstack's on_spawn hook: the part is stopped with the stack and named in the record."""
        self.procs.append(proc)
        self.add_pid(proc.name, proc.pid, list(proc.ports))

    def add_pid(self, name: str, pid: int, ports: list[int] | None = None) -> None:
        self.state.processes.append(ProcessRecord(name=name, pid=pid, started=start_ticks(pid), ports=ports or []))
        self.write()

    def forget_pid(self, pid: int) -> None:
        self.state.processes = [p for p in self.state.processes if p.pid != pid]
        self.write()

    def mark_ready(self, ui: str) -> None:
        self.state.ready, self.state.ui = True, ui
        self.write()

    def write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(self.state.model_dump_json(indent=2))
        os.replace(tmp, self.path)

    def remove(self) -> None:
        """Removes the record if it is still this stack's."""
        current = read_state(self.path)
        if current is not None and current.demo.pid == self.state.demo.pid:
            self.path.unlink(missing_ok=True)


def refuse_stale(path: Path, ports: dict[str, int]) -> None:
    """Raises StaleStack when a recorded stack is still running or a port the demo needs is taken; a record whose
    processes are all gone is removed without a word."""
    state = read_state(path)
    if state is not None:
        alive = [r for r in state.everything() if is_running(r)]
        if alive:
            ui = f"; its UI: {state.ui}" if state.ui else ""
            raise StaleStack(
                f"a demo stack from an earlier `make demo KEEP=1` is still running: {describe(alive)}{ui}. "
                "Stop it with `make stop` (or Ctrl-C in its terminal), then run `make demo` again."
            )
    path.unlink(missing_ok=True)
    for what, port in ports.items():
        if devstack.port_open(port):
            raise StaleStack(
                f"port {port} ({what}) is already in use. If an earlier `make demo KEEP=1` still runs, `make stop` "
                f"stops it (or Ctrl-C in its terminal); otherwise stop the program listening there "
                f"(`lsof -iTCP:{port} -sTCP:LISTEN` names it), then run `make demo` again."
            )


def _wait_gone(records: list[ProcessRecord], timeout_s: float) -> list[ProcessRecord]:
    deadline = time.monotonic() + timeout_s
    alive = [r for r in records if is_running(r)]
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [r for r in alive if is_running(r)]
    return alive


def _signal(records: list[ProcessRecord], signum: int) -> None:
    for record in records:
        with contextlib.suppress(ProcessLookupError):
            os.kill(record.pid, signum)


def stop_recorded(path: Path) -> list[ProcessRecord] | None:
    """Stops the recorded stack by PID: SIGTERM to the demo (which stops its parts), then SIGTERM and SIGKILL to any
    part still running (a demo killed outright leaves them). Returns what was running, None without a record."""
    state = read_state(path)
    if state is None:
        return None
    running = [r for r in state.everything() if is_running(r)]
    if is_running(state.demo):
        _signal([state.demo], signal.SIGTERM)
        _wait_gone([state.demo], DEMO_STOP_WAIT_S)
    left = [r for r in state.processes if is_running(r)]
    _signal(left, signal.SIGTERM)
    left = _wait_gone(left, PART_STOP_WAIT_S)
    _signal(left, signal.SIGKILL)
    _wait_gone(left, 5.0)
    if is_running(state.demo):
        _signal([state.demo], signal.SIGKILL)
        _wait_gone([state.demo], 5.0)
    path.unlink(missing_ok=True)
    return running
