"""Launch lag: how long after Ringg's "ready" the launch (make-call-async) comes, at three file sizes on the real
stack, against a naive 5 s -> 60 s backoff poller run against the same simulator in the same run."""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from temporalio.client import Client

from bench.table import Figure, print_table
from client.connect import connect_when_ready
from client.launcher import start_campaign
from contract.campaign import CampaignRequest, PollingConfig
from devtools import devstack
from devtools.sample_csv import DEFAULT_MAP, write_sample_csv
from domain.csv_sources import DIRS, csv_sources_from_env
from ringg import CampaignForm, RinggClient, UploadState, make_http_client
from ringg_sim.testing import SimAdmin
from runtime.logs import configure_logging

API_KEY = "sim-bench-launch-lag-key"
NUMBER_ID = "3b1f5c2e-8a41-4d0b-9c7e-1a2b3c4d5e01"
TASK_QUEUE = "bench-launch-lag"
# quick: files of 3 s, 6 s and 21 s on a simulator processing 2,000 rows/s after 1 s; full: the simulator's default
# model (2 s + 1,000 rows/s), 12 s, 102 s and 17 min. Requests keep the default prior (300 rows/s).
QUICK = ((4_000, 10_000, 40_000), {"upload_base_s": 1.0, "upload_rows_per_s": 2000.0})
FULL = ((10_000, 100_000, 1_000_000), {"upload_base_s": 2.0, "upload_rows_per_s": 1000.0})
NAIVE_FIRST_S, NAIVE_BACKOFF, NAIVE_MAX_S = 5.0, 1.6, 60.0  # the cadence before issue 15
READS_PER_HOUR = 20
# a file processed in seconds still takes a few reads (first read, a second to measure the rate, the halvings)
EXTRA_READS = 10


@dataclass(frozen=True)
class Lag:
    rows: int
    processing_s: float
    lag_s: float
    reads: int

    @property
    def bound_s(self) -> float:
        return max(1.0, 0.1 * self.processing_s)

    @property
    def read_bound(self) -> float:
        return READS_PER_HOUR * self.processing_s / 3600 + EXTRA_READS


def _at(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


async def product_lag(client: Client, admin: SimAdmin, csv_path: Path, rows: int) -> Lag:
    """A large-flow campaign with the default pacing: make-call-async's arrival less the simulator's ready time."""
    request = CampaignRequest.model_validate(
        {
            "campaign_name": f"Lag {rows} {uuid.uuid4().hex[:6]}",
            "agent_id": "agent-lag",
            "csv_uri": str(csv_path),
            "variables_map": DEFAULT_MAP,
            "from_numbers": [NUMBER_ID],
            "flow": "large",
            **admin.window(),
            "polling": PollingConfig(monitor_initial_s=30, monitor_max_s=60),
        }
    )
    sources = csv_sources_from_env({DIRS: str(csv_path.parent)})
    outcome = await start_campaign(client, request, task_queue=TASK_QUEUE, sources=sources)
    handle = outcome.handle
    try:
        list_id = await _launched_list(admin, request.campaign_name)
    finally:
        await handle.terminate("the bench measured the launch")
    view = admin.campaign(list_id)
    history = await handle.fetch_history()
    reads = sum(
        1
        for ev in history.events
        if ev.HasField("activity_task_scheduled_event_attributes")
        and ev.activity_task_scheduled_event_attributes.activity_type.name == "read_upload_status"
    )
    ready = _at(view["ready_at"])
    return Lag(rows, ready - _at(view["uploaded_at"]), _at(view["launches"][0]["launched_at"]) - ready, reads)


async def _launched_list(admin: SimAdmin, campaign_name: str) -> str:
    while True:
        stats = admin.stats()
        for upload in stats["uploads"]:
            if str(upload["campaign_name"]).startswith(campaign_name + " [rc-") and stats["launches"].get(
                upload["list_id"]
            ):
                return str(upload["list_id"])
        await asyncio.sleep(0.1)


async def naive_lag(ringg: RinggClient, admin: SimAdmin, csv_path: Path, rows: int) -> Lag:
    """The anchor: upload, read at once, then every 5 s growing by 1.6x up to 60 s; its lag is the read that saw
    the list ready (no launch steps: a little in its favour)."""
    form = CampaignForm(
        agent_id="agent-lag-naive",
        campaign_name=f"Naive {rows} {uuid.uuid4().hex[:6]}",
        country_code="+91",
        variables_map=DEFAULT_MAP,
        **admin.window(),
    )
    list_id = (await ringg.upload_csv(form, csv_path)).bulk_list_id
    wait, reads = NAIVE_FIRST_S, 0
    while True:
        status = await ringg.upload_status(list_id)
        reads += 1
        if status.state is not UploadState.PENDING:
            seen = admin.now()
            break
        await asyncio.sleep(wait)
        wait = min(wait * NAIVE_BACKOFF, NAIVE_MAX_S)
    view = admin.campaign(list_id)
    ready = _at(view["ready_at"])
    return Lag(rows, ready - _at(view["uploaded_at"]), seen - ready, reads)


async def measure(quick: bool) -> list[tuple[Lag, Lag]]:
    sizes, sim_upload = QUICK if quick else FULL
    with tempfile.TemporaryDirectory(prefix="bench-launch-lag-") as tmp:
        data = Path(tmp)
        procs: list[devstack.Proc] = []
        try:
            server = devstack.start_dev_server(data, ui=False)
            procs.append(server)
            sim = devstack.start_simulator(data, api_key=API_KEY, args=["--time-scale", "1"])
            procs.append(sim)
            worker_env = {
                "RINGG_API_KEY": API_KEY,
                "RINGG_BASE_URL": sim.extra["base_url"],
                "TEMPORAL_ADDRESS": server.extra["address"],
                "RINGG_TASK_QUEUE": TASK_QUEUE,
                "CAMPAIGN_REPORT_DIR": str(data / "reports"),
                DIRS: str(data),
                "CAMPAIGN_LEDGER_URL": f"sqlite+aiosqlite:///{data / 'ledger.sqlite3'}",
                "LOG_LEVEL": "WARNING",
            }
            procs.append(devstack.start_worker(data, env=worker_env))
            client = await connect_when_ready(server.extra["address"])
            with SimAdmin(sim.extra["admin_url"]) as admin:
                admin.configure(**sim_upload)
                admin.set_credits(10.0 * sum(sizes))  # every launch funded: the lag is not a balance wait
                paths = {rows: write_sample_csv(data / f"contacts-{rows}.csv", rows) for rows in sizes}
                async with make_http_client(sim.extra["base_url"], SecretStr(API_KEY)) as http:
                    ringg = RinggClient(http)
                    runs: list[Any] = []
                    for rows in sizes:
                        runs += [
                            product_lag(client, admin, paths[rows], rows),
                            naive_lag(ringg, admin, paths[rows], rows),
                        ]
                    done = await asyncio.gather(*runs)
            return [(done[i], done[i + 1]) for i in range(0, len(done), 2)]
        finally:
            for proc in reversed(procs):
                devstack.stop(proc)


def figures(quick: bool) -> list[Figure]:
    """Per size: the launch lag (target max(1 s, 10% of the processing time)) and the upload-status reads (target
    20 per processing hour + 10), each against the naive poller measured in the same run."""
    rows: list[Figure] = []
    for product, naive in asyncio.run(measure(quick)):
        size = f"{product.rows:,} rows ({product.processing_s:.0f} s processing)"
        rows.append(
            Figure(
                name=f"launch lag, {size}",
                product=product.lag_s,
                unit="s",
                anchor=naive.lag_s,
                anchor_name="naive 5->60 s poller",
                target=f"<= max(1 s, 10%) = {product.bound_s:.1f} s",
                ok=product.lag_s <= product.bound_s,
            )
        )
        rows.append(
            Figure(
                name=f"upload-status reads, {size}",
                product=float(product.reads),
                unit="reads",
                anchor=float(naive.reads),
                anchor_name="naive 5->60 s poller",
                target=f"<= 20/processing h + {EXTRA_READS} = {product.read_bound:.1f}",
                ok=product.reads <= product.read_bound,
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.launch_lag", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small files on a fast simulator (under a minute)")
    quick = parser.parse_args().quick
    configure_logging("WARNING")  # the anchor's Ringg client logs each request at debug
    print_table(figures(quick))


if __name__ == "__main__":
    main()
