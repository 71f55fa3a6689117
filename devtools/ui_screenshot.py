"""`make ui-screenshot`: the campaign as an operator sees it in the Temporal UI, photographed and checked in a
real browser (`python -m devtools.ui_screenshot --help`)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from rich.console import Console
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

from client.connect import connect_when_ready
from client.launcher import start_campaign
from client.search_attribute_setup import ensure_search_attributes
from contract.campaign import CampaignProgress, CampaignResult
from contract.search_attributes import AGENT_ID
from devtools import devstack
from devtools.browser import BrowserError, find_chromium
from devtools.demo import DEMO_API_KEY, demo_request
from devtools.sample_csv import write_sample_csv
from devtools.ui_capture import capture
from devtools.ui_page import Check, Expected, PageState, checks
from workflows.campaign import CampaignWorkflow

console = Console()
DATA_DIR = Path("data/ui-screenshot")


class ShotError(Exception):
    """The screenshot could not be taken (no browser, the stack or the campaign did not get there)."""


@dataclass
class Target:
    workflow_id: str
    run_id: str
    continued: bool  # this run was continued as new: the static summary/details stay on the first run
    expected: Expected


@dataclass
class ShotReport:
    url: str
    png: Path
    png_bytes: int
    state: PageState
    checks: list[Check]
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.ui_screenshot",
        description="`make ui-screenshot`: the campaign as an operator sees it in the Temporal UI, in a real browser. "
        "Starts the embedded stack as the demo does (dev server with its UI, Ringg simulator, a worker; or reuses a "
        "Temporal server with --address/--ui-url), starts a campaign slow enough to be running, waits until it is "
        "monitoring with calls counted, opens its User Metadata tab in headless Chromium, waits for the summary, "
        "details and current details (progress table) to render, checks them against the campaign, saves a PNG "
        "and prints what it checked. Then it cancels the campaign and stops what it started. --workflow-id only "
        "photographs an existing campaign.",
    )
    parser.add_argument("--out", type=Path, help="PNG to write (default: <data-dir>/campaign-ui.png)")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR, help=f"logs, SQLite, CSV (default {DATA_DIR})")
    parser.add_argument("--rows", type=int, default=1500, help="contacts in the campaign (default 1500)")
    parser.add_argument("--time-scale", type=float, default=0.05, help="simulator time scale (default 0.05)")
    parser.add_argument("--address", help="reuse this Temporal server (host:port) instead of starting one")
    parser.add_argument("--ui-url", help="its Web UI, e.g. http://localhost:8233 (with --address)")
    parser.add_argument("--namespace", default="default")
    parser.add_argument("--workflow-id", help="photograph this existing campaign (needs --address and --ui-url)")
    parser.add_argument("--chromium", help="browser executable (default: $CHROMIUM or /usr/bin/chromium)")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=1000)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds for each wait (default 60)")
    args = parser.parse_args(argv)
    if (args.address is None) != (args.ui_url is None):
        parser.error("--address and --ui-url go together")
    if args.workflow_id and not args.address:
        parser.error("--workflow-id needs --address and --ui-url")
    return args


# --- the campaign ----------------------------------------------------------------------------------------------


async def _connect(address: str, namespace: str, wait_s: float = 30.0) -> Client:
    """A client; waits for a server that was just started, a reused one is asked with `wait_s` of a few seconds."""
    try:
        return await connect_when_ready(address, namespace, timeout_s=wait_s)
    except RuntimeError as err:
        raise ShotError(f"cannot reach Temporal at {address}: {str(err).splitlines()[0][:160]}") from None


def _calls_counted(progress: CampaignProgress) -> bool:
    return any(count for status, count in progress.calls.by_status.items() if status != "registered")


async def _target(handle: WorkflowHandle[CampaignWorkflow, CampaignResult], progress: CampaignProgress) -> Target:
    description = await handle.describe()
    info = description.raw_description.workflow_execution_info
    agent = description.typed_search_attributes.get(AGENT_ID) or ""
    expected = Expected(handle.id, progress.campaign_name, agent, progress.stage, progress.list_id)
    return Target(handle.id, description.run_id or "", info.first_run_id != description.run_id, expected)


async def start(address: str, namespace: str, data: Path, rows: int, task_queue: str, sim: devstack.Proc) -> str:
    """Starts a campaign through the launcher, which sets the static summary and details; returns its workflow id."""
    client = await _connect(address, namespace)
    csv_path = write_sample_csv(data / "contacts.csv", rows, invalid_every=499)
    stamp = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    req = demo_request(csv_path, sim).model_copy(
        update={"campaign_name": f"UI check {stamp}", "idempotency_key": f"ui-check-{uuid.uuid4().hex[:12]}"}
    )
    outcome = await start_campaign(client, req, task_queue=task_queue)
    console.print(f"Started campaign [bold]{req.campaign_name}[/] — workflow id [cyan]{outcome.workflow_id}[/]")
    return outcome.workflow_id


async def wait_monitoring(address: str, namespace: str, workflow_id: str, wait_s: float) -> Target:
    """Waits until the campaign is monitoring with calls counted by status."""
    client = await _connect(address, namespace)
    handle = client.get_workflow_handle_for(CampaignWorkflow.run, workflow_id)
    deadline = time.monotonic() + wait_s
    progress = CampaignProgress()
    while time.monotonic() < deadline:
        try:
            progress = await handle.query(CampaignWorkflow.progress, rpc_timeout=timedelta(seconds=5))
        except RPCError:  # the worker may not poll yet
            await asyncio.sleep(0.5)
            continue
        if progress.stage == "monitoring" and _calls_counted(progress):
            console.print(f"Monitoring: {progress.calls.total} calls, by status {progress.calls.by_status}")
            return await _target(handle, progress)
        if progress.stage in ("completed", "failed", "cancelled", "duplicate"):
            raise ShotError(f"the campaign ended ({progress.stage}) before the screenshot: raise --time-scale/--rows")
        await asyncio.sleep(0.5)
    raise ShotError(f"no calls counted within {wait_s:.0f}s (stage {progress.stage!r}); see the worker's log")


async def existing_target(address: str, namespace: str, workflow_id: str) -> Target:
    client = await _connect(address, namespace)
    handle = client.get_workflow_handle_for(CampaignWorkflow.run, workflow_id)
    try:
        progress = await handle.query(CampaignWorkflow.progress, rpc_timeout=timedelta(seconds=10))
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise ShotError(f"no workflow {workflow_id!r} in namespace {namespace!r}") from None
        raise ShotError(
            f"campaign {workflow_id}: the progress query got no answer ({err.message}). The UI reads the current "
            "details with a query too: a worker must poll the campaign's task queue."
        ) from None
    return await _target(handle, progress)


async def cancel(address: str, namespace: str, workflow_id: str, wait_s: float = 20.0) -> None:
    """Cancels the campaign (the worker terminates it on the simulator) and waits for it to end."""
    client = await _connect(address, namespace)
    handle = client.get_workflow_handle(workflow_id)
    await handle.cancel()
    with contextlib.suppress(WorkflowFailureError, TimeoutError):
        await asyncio.wait_for(handle.result(), timeout=wait_s)


# --- the stack -------------------------------------------------------------------------------------------------


def wait_for_ui(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2.0).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise ShotError(f"the Temporal UI at {url} did not answer within {timeout:.0f}s")


@contextmanager
def stack(args: argparse.Namespace, data: Path) -> Iterator[tuple[str, str, str, devstack.Proc]]:
    """(Temporal address, UI URL, task queue, simulator): a dev server unless --address, plus a simulator and a
    worker on a task queue of their own; stopped by PID on the way out."""
    procs: list[devstack.Proc] = []
    try:
        if args.address:
            address, ui = args.address, args.ui_url.rstrip("/")
            outcome = asyncio.run(_ensure_attributes(address, args.namespace))
            console.print(f"Reusing Temporal at {address}; search attributes: {outcome}")
        else:
            console.print("Temporal dev server (with UI), Ringg simulator, a worker …")
            server = devstack.start_dev_server(data, port=devstack.free_port(), ui_port=devstack.free_port())
            procs.append(server)
            address, ui = server.extra["address"], server.extra["ui"]
        sim = devstack.start_simulator(data, api_key=DEMO_API_KEY, args=["--time-scale", str(args.time_scale)])
        procs.append(sim)
        task_queue = f"ui-check-{uuid.uuid4().hex[:8]}"
        env = {
            "RINGG_API_KEY": DEMO_API_KEY,
            "RINGG_BASE_URL": sim.extra["base_url"],
            "TEMPORAL_ADDRESS": address,
            "TEMPORAL_NAMESPACE": args.namespace,
            "RINGG_TASK_QUEUE": task_queue,
        }
        procs.append(devstack.start_worker(data, env=env))
        yield address, ui, task_queue, sim
    finally:
        for proc in reversed(procs):
            devstack.stop(proc)


async def _ensure_attributes(address: str, namespace: str) -> str:
    outcome = await ensure_search_attributes(await _connect(address, namespace, wait_s=3), namespace)
    if not outcome.ok:
        raise ShotError(f"search attributes not usable in {namespace!r}: {outcome.conflicts or outcome.missing}")
    return f"{len(outcome.added)} added, {len(outcome.present)} already registered"


# --- the screenshot --------------------------------------------------------------------------------------------


def take_screenshot(args: argparse.Namespace) -> ShotReport:
    chromium = find_chromium(args.chromium)
    if chromium is None:
        tried = args.chromium or os.environ.get("CHROMIUM") or "/usr/bin/chromium"
        raise ShotError(f"no Chromium at {tried}: `sudo apt-get install chromium` (`make setup-browser`) or --chromium")
    data: Path = args.data_dir
    data.mkdir(parents=True, exist_ok=True)
    png: Path = args.out or data / "campaign-ui.png"
    if args.workflow_id:
        target = asyncio.run(existing_target(args.address, args.namespace, args.workflow_id))
        return _photograph(chromium, args, args.ui_url.rstrip("/"), target, png, data)
    with stack(args, data) as (address, ui, task_queue, sim):
        workflow_id = asyncio.run(start(address, args.namespace, data, args.rows, task_queue, sim))
        try:
            target = asyncio.run(wait_monitoring(address, args.namespace, workflow_id, args.timeout))
            return _photograph(chromium, args, ui, target, png, data)
        finally:
            asyncio.run(cancel(address, args.namespace, workflow_id))


def _photograph(chromium: str, args: argparse.Namespace, ui: str, target: Target, png: Path, data: Path) -> ShotReport:
    url = f"{ui}/namespaces/{args.namespace}/workflows/{target.workflow_id}/{target.run_id}/user-metadata"
    wait_for_ui(ui, args.timeout)
    console.print(f"Opening {url}")
    size, state = capture(
        chromium, url, png, log=data / "chromium.log", size=(args.width, args.height), timeout_s=args.timeout
    )
    notes = []
    if target.continued:
        notes.append(
            "this run was continued as new: the Python SDK's continue_as_new takes no static summary/details, "
            "so they stay on the campaign's first run"
        )
    report = ShotReport(url, png, size, state, checks(state, target.expected), notes)
    png.with_suffix(".json").write_text(json.dumps({**asdict(report), "png": str(png)}, indent=2, default=str))
    return report


def run(args: argparse.Namespace) -> int:
    try:
        report = take_screenshot(args)
    except (ShotError, BrowserError, devstack.StackError) as err:
        console.print(f"[bold red]ui-screenshot failed:[/] {err}")
        return 2
    for check in report.checks:
        mark = "[green]✓[/]" if check.ok else "[bold red]✗[/]"
        console.print(f" {mark} {check.what}: [dim]{check.seen}[/]")
    for note in report.notes:
        console.print(f" [yellow]note:[/] {note}")
    console.print(
        f"Screenshot: {report.png} ({report.png_bytes:,} bytes); page text: {report.png.with_suffix('.json')}"
    )
    return 0 if report.ok else 1


def main() -> None:
    sys.exit(run(parse_args()))


if __name__ == "__main__":
    main()
