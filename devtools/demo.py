"""`make demo`: one campaign on the embedded stack (Temporal dev server with UI, Ringg simulator, a worker), run
through `starter.py` with live progress (`python -m devtools.demo --help`)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from rich.console import Console

from client.connect import connect_when_ready
from client.launcher import idempotency_key_for
from client.payload_keys import PayloadKeyError
from contract.campaign import CampaignRequest, PollingConfig
from contract.names import TASK_QUEUE
from devtools import demo_state, devstack, try_it
from devtools.sample_csv import CONTACTS_DIR, DEFAULT_MAP, write_sample_csv
from domain.idempotency import workflow_id_for

console = Console()
DEMO_API_KEY = "demo-sim-key"
DEMO_NUMBER_ID = next(iter(try_it.EXAMPLE_NUMBER_IDS))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.demo",
        description="`make demo`: starts the embedded stack (Temporal dev server with its UI, the Ringg simulator, "
        "a worker), runs one campaign (6,000 rows by default) through starter.py with live progress, prints the "
        "summary and the UI link, then stops everything it started (--keep-running leaves it up for exploring "
        "the UI). It records what it started in DATA_DIR/stack.json; --stop (`make stop`) stops that stack.",
    )
    parser.add_argument("--rows", type=int, default=6000, help="contacts in the generated CSV (default 6000)")
    parser.add_argument("--time-scale", type=float, default=0.015, help="simulator time scale (0.015 ≈ 1 min)")
    parser.add_argument("--port", type=int, default=7233, help="Temporal gRPC port (UI on port + 1000)")
    parser.add_argument("--sim-port", type=int, default=8765, help="simulator port")
    parser.add_argument("--data-dir", type=Path, default=Path("data/demo"))
    parser.add_argument(
        "--keep-running",
        action="store_true",
        help="leave the stack up until Ctrl-C, SIGTERM or SIGHUP (or `make stop`, i.e. --stop, from another terminal)",
    )
    parser.add_argument(
        "--stop",
        action="store_true",
        help=f"stop the stack a running demo recorded in DATA_DIR/{demo_state.STATE_NAME} (by PID) and exit",
    )
    return parser.parse_args(argv)


def demo_request(csv_path: Path, sim: devstack.Proc) -> CampaignRequest:
    """The demo campaign; its window and call_config (devstack.simulator_window) are open now on the simulator's
    clock."""
    stamp = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    return CampaignRequest(
        campaign_name=f"Demo renewals {stamp}",
        agent_id=try_it.EXAMPLE_AGENT_ID,
        csv_uri=str(csv_path.resolve()),
        variables_map=DEFAULT_MAP,
        from_numbers=[DEMO_NUMBER_ID],
        **devstack.simulator_window(sim),
        remove_invalid_rows=True,
        polling=PollingConfig(upload_initial_s=1, upload_max_s=2, monitor_initial_s=1, monitor_max_s=3),
    )


class StopSignal(BaseException):
    """SIGINT, SIGTERM or SIGHUP arrived: the demo stops what it started (a BaseException, so no handler eats it)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _raise_stop(signum: int, _frame: object) -> None:
    for each in STOP_SIGNALS:  # a second signal must not cut the cleanup short (it is bounded: devstack.stop)
        signal.signal(each, signal.SIG_IGN)
    raise StopSignal(signum)


def _say(message: str) -> None:
    """Prints, unless the terminal is gone (after SIGHUP a write may fail): stopping must not depend on it."""
    with contextlib.suppress(OSError):
        console.print(message, soft_wrap=True)


def _stop_starter(starter: subprocess.Popen[bytes] | None) -> None:
    if starter is None or starter.poll() is not None:
        return
    starter.terminate()
    try:
        starter.wait(timeout=10)
    except subprocess.TimeoutExpired:
        starter.kill()
        starter.wait(timeout=5)


def _stop_all(starter: subprocess.Popen[bytes] | None, record: demo_state.StackRecord) -> None:
    """Stops the starter and the stack, newest first; one that will not stop is named, never a traceback, and the
    record stays for `make stop` when something survived."""
    survivors: list[str] = []
    try:
        _stop_starter(starter)
    except (OSError, subprocess.SubprocessError):
        survivors.append("starter.py")
    for proc in reversed(record.procs):
        try:
            devstack.stop(proc)
        except (OSError, subprocess.SubprocessError):
            survivors.append(f"{proc.name} (pid {proc.pid})")
    if survivors:
        _say(f"[bold red]could not stop {', '.join(survivors)}[/]: `make stop` retries.")
        return
    record.remove()


def stop_command(args: argparse.Namespace) -> int:
    """`make stop`: stops the stack a `make demo KEEP=1` recorded in data/demo/stack.json, by PID."""
    path = args.data_dir / demo_state.STATE_NAME
    stopped = demo_state.stop_recorded(path)
    if stopped is None:
        taken = [f"{port} ({what})" for what, port in demo_ports(args).items() if devstack.port_open(port)]
        if taken:
            console.print(
                f"[bold red]no demo stack is recorded in {path}[/], yet port {', '.join(taken)} is in use: a program "
                f"`make demo` did not start listens there (`lsof -iTCP:{taken[0].split()[0]} -sTCP:LISTEN` names it).",
                soft_wrap=True,
            )
            return 1
        console.print(f"No demo stack is running (no {path}).")
        return 0
    if not stopped:
        console.print(f"No demo stack was running; removed the stale record {path}.")
    else:
        console.print(f"Stopped the demo stack: {demo_state.describe(stopped)}.", soft_wrap=True)
    return 0


def demo_ports(args: argparse.Namespace) -> dict[str, int]:
    return {"Temporal": args.port, "Temporal UI": args.port + 1000, "simulator": args.sim_port}


def run(args: argparse.Namespace) -> int:
    data = args.data_dir
    data.mkdir(parents=True, exist_ok=True)
    ports = demo_ports(args)
    state_path = data / demo_state.STATE_NAME
    try:
        demo_state.refuse_stale(state_path, ports)
    except demo_state.StaleStack as err:
        console.print(f"[bold red]demo not started:[/] {err}", soft_wrap=True)
        return 1
    record = demo_state.StackRecord(state_path, ports)
    previous = {each: signal.signal(each, _raise_stop) for each in STOP_SIGNALS}
    starter: subprocess.Popen[bytes] | None = None
    kept_running = stopped_by_signal = False
    code = 0
    started = time.monotonic()
    try:
        record.write()
        console.print("[bold]1/4[/] Temporal dev server (SQLite in data/demo, UI, search attributes) …")
        server = devstack.start_dev_server(data, port=args.port, on_spawn=record.add)
        console.print("[bold]2/4[/] Ringg simulator and a worker …")
        sim = devstack.start_simulator(
            data,
            port=args.sim_port,
            api_key=DEMO_API_KEY,
            args=["--time-scale", str(args.time_scale)],
            on_spawn=record.add,
        )
        address = server.extra["address"]
        asyncio.run(_wait_ready(address))
        worker_env = {
            "RINGG_API_KEY": DEMO_API_KEY,
            "RINGG_BASE_URL": sim.extra["base_url"],
            "TEMPORAL_ADDRESS": address,
            "RINGG_TASK_QUEUE": TASK_QUEUE,
            # The demo's own contact ledger (the worker creates and migrates it), beside its other files.
            "CAMPAIGN_LEDGER_URL": f"sqlite+aiosqlite:///{data.resolve() / 'ledger.sqlite3'}",
        }
        devstack.start_worker(data, env=worker_env, on_spawn=record.add)
        record.mark_ready(server.extra["ui"])
        console.print(f"[bold]3/4[/] Generating a {args.rows}-row contacts CSV (a few bad numbers on purpose) …")
        csv_path = write_sample_csv(CONTACTS_DIR / "demo-contacts.csv", args.rows, invalid_every=997)
        req = demo_request(csv_path, sim)
        request_path = data / "request.json"
        request_path.write_text(json.dumps(req.model_dump(mode="json", exclude_none=True), indent=2))
        workflow_id = workflow_id_for(asyncio.run(idempotency_key_for(req)), req.campaign_name)
        console.print(f"[bold]4/4[/] python starter.py start --request {request_path} --wait")
        starter = subprocess.Popen(  # noqa: S603 - our own CLI
            [sys.executable, "starter.py", "start", "--request", str(request_path), "--wait", "--address", address],
            cwd=devstack.ROOT,
            # Out of the terminal's process group: Ctrl-C reaches the demo alone, which stops the starter itself
            # (with SIGTERM, no KeyboardInterrupt traceback) and then the stack.
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        record.add_pid("starter.py", starter.pid)
        code = starter.wait()
        record.forget_pid(starter.pid)
        if code:
            console.print(f"[bold red]starter.py exited {code}[/]: the campaign did not complete (see above).")
        ui = f"{server.extra['ui']}/namespaces/default/workflows/{workflow_id}"
        console.print(f"\nDemo finished in {time.monotonic() - started:.0f}s. Temporal UI:")
        console.print(ui, soft_wrap=True)
        console.print(f"Logs: {data}/worker.log, simulator.log, temporal.log; contact ledger: {data}/ledger.sqlite3")
        if args.keep_running:
            kept_running = True
            values = _try_it(args, sim, worker_env, server.extra["ui"], csv_path)
            env_path = try_it.write(data, values)
            console.print()
            for line in try_it.describe(values, env_path):
                console.print(line, soft_wrap=True, highlight=False)
            console.print(
                f"Stack left running: UI at {server.extra['ui']}. Ctrl-C here, or `make stop` in another terminal, "
                "stops it.",
                soft_wrap=True,
            )
            while all(p.popen.poll() is None for p in record.procs):
                time.sleep(1)
            gone = [p.name for p in record.procs if p.popen.poll() is not None]
            _say(f"[bold red]{', '.join(gone)} exited[/] (see its log in {data}); stopping the rest of the stack.")
        return code
    except StopSignal as stop:
        stopped_by_signal = True
        _say(f"\n{stop}: stopping the stack …")
        # Ctrl-C (or SIGTERM/SIGHUP) is how a kept stack ends: that is a clean exit; during the run it is not.
        return code if kept_running else 128 + stop.signum
    except (devstack.StackError, PayloadKeyError) as err:
        _say(f"[bold red]demo failed:[/] {err}")
        return 1
    finally:
        for each in STOP_SIGNALS:
            signal.signal(each, signal.SIG_IGN)
        _stop_all(starter, record)
        for each, handler in previous.items():
            signal.signal(each, handler)
        if stopped_by_signal:
            _say("Stack stopped.")


def _try_it(
    args: argparse.Namespace, sim: devstack.Proc, worker_env: dict[str, str], ui: str, csv_path: Path
) -> try_it.TryIt:
    start, end = try_it.window_now(sim, args.time_scale)
    env = {name: worker_env[name] for name in ("TEMPORAL_ADDRESS", "RINGG_TASK_QUEUE", "CAMPAIGN_LEDGER_URL")}
    env |= {"RINGG_API_KEY": worker_env["RINGG_API_KEY"], "RINGG_BASE_URL": worker_env["RINGG_BASE_URL"]}
    return try_it.TryIt(
        agent_id=try_it.EXAMPLE_AGENT_ID,
        number_ids=try_it.EXAMPLE_NUMBER_IDS,
        campaign_start_time=start,
        campaign_end_time=end,
        timezone=try_it.TIMEZONE,
        csv=str(csv_path.relative_to(devstack.ROOT)),
        env=env,
        ui=ui,
    )


async def _wait_ready(address: str) -> None:
    await connect_when_ready(address)


def main() -> None:
    args = parse_args()
    sys.exit(stop_command(args) if args.stop else run(args))


if __name__ == "__main__":
    main()
