"""`make demo KEEP=1` stops everything it started on SIGTERM, SIGHUP and SIGINT (no process left, no port bound);
`make stop` stops it from another terminal; a stack still running is named with `make stop`, never a traceback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from devtools import demo_state, devstack
from tests.demo_process import Demo, free_demo_ports

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("demo-stack")]  # one demo CSV in data/contacts
BIN = str(Path(sys.executable).parent)


def assert_nothing_left(state: demo_state.StackState) -> None:
    """No process the demo started survives and no port it bound is still bound."""
    records = state.everything()
    assert len(records) >= 4, records  # the demo, the dev server, the simulator, the worker
    survivors = [r for r in records if demo_state.is_running(r)]
    assert not survivors, f"still running: {demo_state.describe(survivors)}"
    ports = {*state.ports.values(), *(p for r in records for p in r.ports)}
    assert ports and not [p for p in ports if devstack.port_open(p)], ports


def test_sigterm_stops_a_kept_stack_and_frees_its_ports(tmp_path: Path, demos: list[Demo]) -> None:
    demo = Demo(tmp_path / "demo", "--keep-running", "--time-scale", "0.005")
    demos.append(demo)
    state = demo.wait_kept()
    assert {r.name for r in state.processes} == {"temporal dev server", "ringg simulator", "worker"}
    assert all(demo_state.is_running(r) for r in state.everything())
    assert "starter.py exited" not in demo.output(), demo.output()
    demo.signal_group(signal.SIGTERM)
    assert demo.popen.wait(timeout=60) == 0, demo.output()  # how a kept stack ends: a clean exit
    assert_nothing_left(state)
    assert not demo.state_path.exists()
    assert "SIGTERM: stopping the stack" in demo.output() and "Traceback" not in demo.output()


@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGINT])
def test_hangup_or_ctrl_c_during_the_campaign_stops_everything(
    tmp_path: Path, demos: list[Demo], signum: signal.Signals
) -> None:
    demo = Demo(tmp_path / "demo", "--keep-running", rows=300)
    demos.append(demo)
    # Signalled while starter.py waits on the campaign: the starter goes too.
    demo.wait_for("the campaign start", lambda s: any(r.name == "starter.py" for r in s.processes))
    state = demo_state.read_state(demo.state_path)
    assert state is not None and state.ready
    demo.signal_group(signum)
    assert demo.popen.wait(timeout=60) == 128 + signum, demo.output()
    assert_nothing_left(state)
    assert not demo.state_path.exists() and "Traceback" not in demo.output()


def test_a_running_stack_is_named_and_make_stop_stops_it(tmp_path: Path, demos: list[Demo]) -> None:
    demo = Demo(tmp_path / "demo", "--keep-running", rows=300)
    demos.append(demo)
    demo.wait_for("a ready stack", lambda s: s.ready)
    state = demo_state.read_state(demo.state_path)
    assert state is not None
    # `make demo` again, same folder and ports: refused with the command that stops the first one.
    again = subprocess.run(
        [sys.executable, "-m", "devtools.demo", *demo.args],
        cwd=devstack.ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "300"},
    )
    assert again.returncode == 1, again.stdout + again.stderr
    assert "still running" in again.stdout and "`make stop`" in again.stdout and f"PID {state.demo.pid}" in again.stdout
    assert "Traceback" not in again.stdout + again.stderr and "--port" not in again.stdout
    assert demo.popen.poll() is None and demo.state_path.exists()  # the refusal touched nothing
    stop = subprocess.run(
        ["make", "-s", "stop", f"BIN={BIN}", f"DEMO_DIR={demo.data_dir}"],
        cwd=devstack.ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert stop.returncode == 0 and "Stopped the demo stack" in stop.stdout, stop.stdout + stop.stderr
    assert demo.popen.wait(timeout=10) in (0, 128 + signal.SIGTERM)  # kept, or stopped while its campaign ran
    assert_nothing_left(state)
    assert not demo.state_path.exists()
    again_stop = subprocess.run(
        ["make", "-s", "stop", f"BIN={BIN}", f"DEMO_DIR={demo.data_dir}"],
        cwd=devstack.ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again_stop.returncode == 0 and "No demo stack is running" in again_stop.stdout


def test_stale_records_and_taken_ports(tmp_path: Path) -> None:
    """Without a stack: a record naming a live process is refused (and `make stop` stops that process by PID); a
    record whose processes are gone is removed silently; a port taken by another program is named."""
    data = tmp_path / "demo"
    data.mkdir()
    port, sim_port = free_demo_ports()
    args = ["--port", str(port), "--sim-port", str(sim_port), "--data-dir", str(data)]
    state_path = data / demo_state.STATE_NAME
    sleeper = subprocess.Popen(["sleep", "300"])
    try:
        live = demo_state.ProcessRecord(name="make demo", pid=sleeper.pid, started=demo_state.start_ticks(sleeper.pid))
        state_path.write_text(demo_state.StackState(demo=live, ports={"Temporal": port}).model_dump_json())
        refused = subprocess.run(
            [sys.executable, "-m", "devtools.demo", *args], cwd=devstack.ROOT, capture_output=True, text=True
        )
        assert refused.returncode == 1 and "`make stop`" in refused.stdout and f"PID {sleeper.pid}" in refused.stdout
        assert "Traceback" not in refused.stdout + refused.stderr
        stopped = subprocess.run(
            [sys.executable, "-m", "devtools.demo", "--stop", "--data-dir", str(data)],
            cwd=devstack.ROOT,
            capture_output=True,
            text=True,
        )
        assert stopped.returncode == 0 and f"PID {sleeper.pid}" in stopped.stdout, stopped.stdout
        assert sleeper.wait(timeout=10) == -signal.SIGTERM and not state_path.exists()
    finally:
        sleeper.kill()
        sleeper.wait()
    # The same record, its process now gone (a PID that exits is not taken for alive), and the Temporal port taken
    # by a listener of the test's own: the record goes silently, the port is named with `make stop`.
    state_path.write_text(demo_state.StackState(demo=live, ports={"Temporal": port}).model_dump_json())
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", port))
        listener.listen()
        taken = subprocess.run(
            [sys.executable, "-m", "devtools.demo", *args],
            cwd=devstack.ROOT,
            capture_output=True,
            text=True,
            env={**os.environ, "COLUMNS": "300"},
        )
    assert taken.returncode == 1 and f"port {port} (Temporal) is already in use" in taken.stdout, taken.stdout
    assert "`make stop`" in taken.stdout and "still running" not in taken.stdout
    assert "Traceback" not in taken.stdout + taken.stderr and "--port" not in taken.stdout
    assert not state_path.exists()
