"""The stack and the campaign `python -m devtools.ui_screenshot` photographs: a dev server with its UI (or a reused
server), the simulator, a worker, with --codec the codec server; a campaign started and waited on until monitoring."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import secrets
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from rich.console import Console
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

from client.connect import connect_when_ready
from client.launcher import start_campaign
from client.payload_codec import data_converter
from client.payload_keys import KEYS_ENV, PayloadKeyError, PayloadKeys, new_key_entry, parse_payload_keys
from client.search_attribute_setup import ensure_search_attributes
from contract.campaign import CampaignProgress, CampaignResult
from contract.search_attributes import AGENT_ID
from devtools import devstack
from devtools.demo import DEMO_API_KEY, demo_request
from devtools.sample_csv import CONTACTS_DIR, write_sample_csv
from devtools.ui_page import Expected, ProgramExpected
from workflows.campaign import CampaignWorkflow

console = Console()


class ShotError(Exception):
    """The screenshot could not be taken (no browser, the stack or the campaign did not get there)."""


@dataclass
class Target:
    workflow_id: str
    run_id: str
    continued: bool  # this run was continued as new: the static summary/details stay on the first run
    expected: Expected | ProgramExpected


@dataclass
class Codec:
    """--codec: the key the worker, the codec server and this tool's client share, and the codec server."""

    entry: str  # PAYLOAD_ENCRYPTION_KEYS
    keys: PayloadKeys
    url: str
    token: str | None  # --codec-token: the browser signs in with it; None: loopback without auth


@dataclass
class Stack:
    address: str
    ui: str
    task_queue: str
    codec: Codec | None
    sim: devstack.Proc

    @property
    def keys(self) -> PayloadKeys | None:
        return self.codec.keys if self.codec else None


# --- the campaign ----------------------------------------------------------------------------------------------


async def connect(address: str, namespace: str, wait_s: float = 30.0, keys: PayloadKeys | None = None) -> Client:
    """A client; waits for a server that was just started, a reused one is asked with `wait_s` of a few seconds.
    With `keys` it encrypts as the --codec stack's worker does; without, the environment's keys apply."""
    converter = data_converter(keys) if keys else None
    try:
        return await connect_when_ready(address, namespace, timeout_s=wait_s, converter=converter)
    except PayloadKeyError as err:
        raise ShotError(str(err)) from None
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


# Inside data/contacts, a folder the worker reads contacts from by default (CAMPAIGN_CSV_DIRS).
UI_CHECK_CSV = CONTACTS_DIR / "ui-check-contacts.csv"


async def start(
    address: str,
    namespace: str,
    data: Path,
    rows: int,
    task_queue: str,
    sim: devstack.Proc,
    keys: PayloadKeys | None = None,
) -> str:
    """Starts a campaign through the launcher, which sets the static summary and details; returns its workflow id."""
    client = await connect(address, namespace, keys=keys)
    csv_path = write_sample_csv(UI_CHECK_CSV, rows, invalid_every=499)
    stamp = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    req = demo_request(csv_path, sim).model_copy(
        update={"campaign_name": f"UI check {stamp}", "idempotency_key": f"ui-check-{uuid.uuid4().hex[:12]}"}
    )
    outcome = await start_campaign(client, req, task_queue=task_queue)
    console.print(f"Started campaign [bold]{req.campaign_name}[/] — workflow id [cyan]{outcome.workflow_id}[/]")
    return outcome.workflow_id


async def wait_monitoring(
    address: str, namespace: str, workflow_id: str, wait_s: float, keys: PayloadKeys | None = None
) -> Target:
    """Waits until the campaign is monitoring with calls counted by status."""
    client = await connect(address, namespace, keys=keys)
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
    client = await connect(address, namespace)
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


async def cancel(
    address: str, namespace: str, workflow_id: str, wait_s: float = 20.0, keys: PayloadKeys | None = None
) -> None:
    """Cancels the campaign (the worker terminates it on the simulator) and waits for it to end."""
    client = await connect(address, namespace, keys=keys)
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
def stack(args: argparse.Namespace, data: Path) -> Iterator[Stack]:
    """A dev server unless --address, a simulator and a worker on a task queue of their own; with --codec also the
    codec server the UI decrypts through, and the key they share. Stopped by PID on the way out."""
    procs: list[devstack.Proc] = []
    codec = None
    try:
        if args.address:
            address, ui = args.address, args.ui_url.rstrip("/")
            outcome = asyncio.run(_ensure_attributes(address, args.namespace))
            console.print(f"Reusing Temporal at {address}; search attributes: {outcome}")
        else:
            ui_port = devstack.free_port()
            if args.codec:
                codec = _start_codec(args, data, f"http://localhost:{ui_port}", procs)
            console.print("Temporal dev server (with UI), Ringg simulator, a worker …")
            server = devstack.start_dev_server(
                data, port=devstack.free_port(), ui_port=ui_port, ui_codec_endpoint=codec.url if codec else None
            )
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
        if codec is not None:
            env[KEYS_ENV] = codec.entry
        procs.append(devstack.start_worker(data, env=env))
        yield Stack(address, ui, task_queue, codec, sim)
    finally:
        for proc in reversed(procs):
            devstack.stop(proc)


def _start_codec(args: argparse.Namespace, data: Path, ui_origin: str, procs: list[devstack.Proc]) -> Codec:
    """The codec server on loopback with a fresh key: without a token (the dev server's UI calls it as it is), or
    with one (--codec-token, as in the compose stack: the browser signs in on its page first)."""
    entry = new_key_entry("ui-check")
    token = secrets.token_urlsafe(24) if args.codec_token else None
    env = {KEYS_ENV: entry, "CODEC_SERVER_CORS_ORIGINS": ui_origin, "CODEC_SERVER_NAMESPACES": args.namespace}
    env.update({"CODEC_SERVER_TOKEN": token} if token else {"CODEC_SERVER_ALLOW_NO_AUTH": "1"})
    console.print(f"Codec server on loopback (a fresh key, {'a token' if token else 'no token: loopback only'}) …")
    procs.append(devstack.start_codec_server(data, env=env))
    return Codec(entry, parse_payload_keys(entry, KEYS_ENV), procs[-1].extra["url"], token)


async def _ensure_attributes(address: str, namespace: str) -> str:
    outcome = await ensure_search_attributes(await connect(address, namespace, wait_s=3), namespace)
    if not outcome.ok:
        raise ShotError(f"search attributes not usable in {namespace!r}: {outcome.conflicts or outcome.missing}")
    return f"{len(outcome.added)} added, {len(outcome.present)} already registered"
