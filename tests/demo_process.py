"""`python -m devtools.demo` (what `make demo` runs) as a process the tests drive: free ports, its own process group,
its output in a file, its stack record read back."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devtools import demo_state, devstack


def free_demo_ports() -> tuple[int, int]:
    """A Temporal port whose UI port (+1000) is free too, and a simulator port."""
    while True:
        port = devstack.free_port()
        if port + 1000 > 65535:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port + 1000))
            except OSError:
                continue
        return port, devstack.free_port()


class Demo:
    """`python -m devtools.demo` (what `make demo` runs) in its own process group, output in a file."""

    def __init__(self, data_dir: Path, *extra: str, rows: int = 12) -> None:
        self.data_dir, self.out = data_dir, data_dir.parent / f"{data_dir.name}.out"
        self.port, self.sim_port = free_demo_ports()
        self.state_path = data_dir / demo_state.STATE_NAME
        self.args = ["--rows", str(rows), "--port", str(self.port), "--sim-port", str(self.sim_port)]
        self.args += ["--data-dir", str(data_dir), *extra]
        self.popen = self.spawn(*self.args)

    def spawn(self, *args: str) -> subprocess.Popen[bytes]:
        with self.out.open("ab") as out:
            return subprocess.Popen(
                [sys.executable, "-m", "devtools.demo", *args],
                cwd=devstack.ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"},
                start_new_session=True,
            )

    def output(self) -> str:
        return self.out.read_text(errors="replace")

    def wait_for(self, what: str, check: Callable[[demo_state.StackState], bool], timeout_s: float = 120) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.popen.poll() is None, f"the demo exited with {self.popen.returncode}:\n{self.output()}"
            state = demo_state.read_state(self.state_path)
            if state is not None and check(state):
                return
            time.sleep(0.2)
        raise AssertionError(f"the demo did not reach {what}:\n{self.output()}")

    def wait_kept(self) -> demo_state.StackState:
        self.wait_for("its keep-running loop", lambda _: "Stack left running" in self.output())
        state = demo_state.read_state(self.state_path)
        assert state is not None
        return state

    def signal_group(self, signum: int) -> None:
        os.killpg(self.popen.pid, signum)  # as a terminal or a service manager would: the whole group

    def stop_now(self) -> None:
        """Teardown for a failed test: the demo's own cleanup, then whatever its record still names."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        demo_state.stop_recorded(self.state_path)


@pytest.fixture
def demos() -> Iterator[list[Demo]]:
    """Demos a test starts; each is stopped (its own cleanup, then its record) when the test ends."""
    started: list[Demo] = []
    yield started
    for demo in started:
        demo.stop_now()
