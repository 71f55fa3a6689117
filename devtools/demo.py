"""`make demo`: one campaign on the embedded stack (Temporal dev server with UI, Ringg simulator, a worker), run
through `starter.py` with live progress (`python -m devtools.demo --help`)."""

from __future__ import annotations

import argparse
import asyncio
import json
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
from devtools import devstack
from devtools.sample_csv import CONTACTS_DIR, DEFAULT_MAP, write_sample_csv
from domain.idempotency import workflow_id_for

console = Console()
DEMO_API_KEY = "demo-sim-key"
DEMO_NUMBER_ID = "3b1f5c2e-8a41-4d0b-9c7e-1a2b3c4d5e01"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.demo",
        description="`make demo`: starts the embedded stack (Temporal dev server with its UI, the Ringg simulator, "
        "a worker), runs one campaign (6,000 rows by default) through starter.py with live progress, prints the "
        "summary and the UI link, then stops everything it started (--keep-running leaves it up for exploring "
        "the UI).",
    )
    parser.add_argument("--rows", type=int, default=6000, help="contacts in the generated CSV (default 6000)")
    parser.add_argument("--time-scale", type=float, default=0.015, help="simulator time scale (0.015 ≈ 1 min)")
    parser.add_argument("--port", type=int, default=7233, help="Temporal gRPC port (UI on port + 1000)")
    parser.add_argument("--sim-port", type=int, default=8765, help="simulator port")
    parser.add_argument("--data-dir", type=Path, default=Path("data/demo"))
    parser.add_argument("--keep-running", action="store_true", help="leave the stack up until Ctrl-C")
    return parser.parse_args(argv)


def demo_request(csv_path: Path, sim: devstack.Proc) -> CampaignRequest:
    """The demo campaign; its window and call_config (devstack.simulator_window) are open now on the simulator's
    clock."""
    stamp = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    return CampaignRequest(
        campaign_name=f"Demo renewals {stamp}",
        agent_id="demo-agent",
        csv_uri=str(csv_path.resolve()),
        variables_map=DEFAULT_MAP,
        from_numbers=[DEMO_NUMBER_ID],
        **devstack.simulator_window(sim),
        remove_invalid_rows=True,
        polling=PollingConfig(upload_initial_s=1, upload_max_s=2, monitor_initial_s=1, monitor_max_s=3),
    )


def check_ports(args: argparse.Namespace) -> None:
    for port, what in ((args.port, "Temporal"), (args.port + 1000, "Temporal UI"), (args.sim_port, "simulator")):
        if devstack.port_open(port):
            raise devstack.StackError(
                f"port {port} ({what}) is already in use: stop whatever listens there "
                "(an earlier `make demo KEEP=1`?) or pass --port/--sim-port."
            )


def run(args: argparse.Namespace) -> int:
    data = args.data_dir
    data.mkdir(parents=True, exist_ok=True)
    check_ports(args)
    procs: list[devstack.Proc] = []
    started = time.monotonic()
    try:
        console.print("[bold]1/4[/] Temporal dev server (SQLite in data/demo, UI, search attributes) …")
        server = devstack.start_dev_server(data, port=args.port)
        procs.append(server)
        console.print("[bold]2/4[/] Ringg simulator and a worker …")
        sim = devstack.start_simulator(
            data, port=args.sim_port, api_key=DEMO_API_KEY, args=["--time-scale", str(args.time_scale)]
        )
        procs.append(sim)
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
        procs.append(devstack.start_worker(data, env=worker_env))
        console.print(f"[bold]3/4[/] Generating a {args.rows}-row contacts CSV (a few bad numbers on purpose) …")
        csv_path = write_sample_csv(CONTACTS_DIR / "demo-contacts.csv", args.rows, invalid_every=997)
        req = demo_request(csv_path, sim)
        request_path = data / "request.json"
        request_path.write_text(json.dumps(req.model_dump(mode="json", exclude_none=True), indent=2))
        workflow_id = workflow_id_for(asyncio.run(idempotency_key_for(req)), req.campaign_name)
        console.print(f"[bold]4/4[/] python starter.py start --request {request_path} --wait")
        code = subprocess.call(  # noqa: S603 - our own CLI
            [sys.executable, "starter.py", "start", "--request", str(request_path), "--wait", "--address", address],
            cwd=devstack.ROOT,
        )
        ui = f"{server.extra['ui']}/namespaces/default/workflows/{workflow_id}"
        console.print(f"\nDemo finished in {time.monotonic() - started:.0f}s. Temporal UI:")
        console.print(ui, soft_wrap=True)
        console.print(f"Logs: {data}/worker.log, simulator.log, temporal.log; contact ledger: {data}/ledger.sqlite3")
        if args.keep_running:
            console.print("Stack left running (Ctrl-C to stop): UI at " + server.extra["ui"])
            try:
                while all(p.popen.poll() is None for p in procs):
                    time.sleep(1)
            except KeyboardInterrupt:
                pass
        return code
    except (devstack.StackError, PayloadKeyError) as err:
        console.print(f"[bold red]demo failed:[/] {err}")
        return 1
    finally:
        for proc in reversed(procs):
            devstack.stop(proc)


async def _wait_ready(address: str) -> None:
    await connect_when_ready(address)


def main() -> None:
    sys.exit(run(parse_args()))


if __name__ == "__main__":
    main()
