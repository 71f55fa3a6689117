"""Soak: N campaigns (default 200) on real processes with random Ringg faults, duplicate raw triggers and SIGKILLed
workers, and the invariants' figures (`python -m bench.soak --help`)."""

from __future__ import annotations

import argparse
import asyncio
import random
import signal
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowFailureError

from client.connect import connect_when_ready
from client.launcher import start_campaign
from contract.campaign import CampaignRequest, PollingConfig
from devtools import devstack
from devtools.sample_csv import DEFAULT_MAP, write_sample_csv
from ringg_sim.config import DEFAULT_POOL_ID
from ringg_sim.testing import SimAdmin, start_simulator, stop_simulator
from workflows.campaign import CampaignWorkflow

SIM_KEY = "sim-soak-key"
NUMBER_ID = "3b1f5c2e-8a41-4d0b-9c7e-1a2b3c4d5e01"
POSTS = ("upload_csv", "save", "make_call_async", "start", "v2_start")
READS = ("upload_status", "check_balance", "campaign_all", "history")
FAULTS = ("commit_then_drop", "rate_limit", "rate_limit_after", "http_error", "http_502", "delay")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak",
        description="Soak: N campaigns on real processes (dev server, simulator, several `python worker.py`) with "
        "random Ringg faults, duplicate raw triggers and SIGKILLed workers. Prints the invariants' figures: "
        "campaigns completed, double launches, launched double uploads, lost campaigns, API calls per campaign.",
    )
    parser.add_argument("--campaigns", type=int, default=200, help="campaigns to run (default 200)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--kill-every", type=float, default=20.0, help="seconds between worker SIGKILLs")
    parser.add_argument("--fault-every", type=float, default=0.5, help="seconds between injected faults")
    parser.add_argument("--duplicates", type=float, default=0.1, help="share of campaigns also raw-started again")
    parser.add_argument("--timeout", type=float, default=1500.0, help="give up waiting after this many seconds")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args()


def make_requests(
    args: argparse.Namespace, data: Path, rng: random.Random, window: dict[str, Any]
) -> list[CampaignRequest]:
    """The campaigns; `window` (SimAdmin.window()) is open on the simulator's clock for the whole soak."""
    csvs = [write_sample_csv(data / f"contacts-{n}.csv", n, invalid_every=37, seed=n) for n in (40, 90, 150)]
    requests = []
    for i in range(args.campaigns):
        pool = rng.random() < 0.3
        requests.append(
            CampaignRequest(
                campaign_name=f"Soak {args.seed}-{i} {uuid.uuid4().hex[:6]}",
                agent_id="agent-soak",
                csv_uri=str(rng.choice(csvs)),
                variables_map=DEFAULT_MAP,
                from_numbers=None if pool else [NUMBER_ID],
                number_pool_id=DEFAULT_POOL_ID if pool else None,
                flow=rng.choice(("large", "standard")),
                remove_invalid_rows=True,
                **window,
                polling=PollingConfig(upload_initial_s=0.5, upload_max_s=2, monitor_initial_s=1, monitor_max_s=3),
            )
        )
    return requests


async def inject_faults(
    admin: SimAdmin, args: argparse.Namespace, rng: random.Random, stop: asyncio.Event, jobs: list[asyncio.Task[str]]
) -> int:
    """Injects a random fault every --fault-every seconds while at least a tenth of the campaigns still run
    (faults count down per request: with only a few campaigns left they would hit those few over and over)."""
    injected = 0
    while not stop.is_set() and sum(1 for job in jobs if not job.done()) > len(jobs) // 10:
        await asyncio.sleep(args.fault_every)
        endpoint = rng.choice(POSTS + READS)
        pending = await asyncio.to_thread(admin.faults)
        if any(rule["endpoint"] == endpoint for rule in pending):
            continue  # one rule per endpoint at a time: rarely called endpoints must not pile up faults
        kind = rng.choice(FAULTS)
        rule: dict[str, object] = {"times": rng.randint(1, 2)}
        if kind == "rate_limit_after":
            kind, rule["retry_after"] = "rate_limit", rng.choice((1, 2))
        elif kind == "http_502":
            kind, rule["status"] = "http_error", 502
        elif kind == "http_error":
            rule["status"] = rng.choice((500, 503))
        elif kind == "delay":
            rule["delay_s"] = rng.choice((0.5, 3.0))
        if kind == "commit_then_drop" and endpoint in READS:
            kind = "http_error"
        await asyncio.to_thread(admin.add_fault, endpoint, kind, **rule)  # type: ignore[arg-type]
        injected += 1
    return injected


async def kill_workers(
    workers: list[devstack.Proc], env: dict[str, str], data: Path, every: float, stop: asyncio.Event
) -> int:
    kills = 0
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=every)
        except TimeoutError:
            victim = kills % len(workers)
            devstack.stop(workers[victim], kill=True)
            workers[victim] = devstack.start_worker(data, env=env, name=f"worker-{victim}-{kills}")
            kills += 1
    return kills


async def run_campaign(client: Client, req: CampaignRequest, task_queue: str, raw_duplicate: bool) -> str:
    outcome = await start_campaign(client, req, task_queue=task_queue)
    duplicate = None
    if raw_duplicate:
        duplicate = await client.start_workflow(
            CampaignWorkflow.run, req, id=f"soak-raw-{uuid.uuid4()}", task_queue=task_queue
        )
    try:
        statuses = {(await outcome.handle.result()).status}
        if duplicate is not None:
            statuses.add((await duplicate.result()).status)
        # With a raw duplicate, either run may win the key claim; the other ends as "duplicate".
        return "completed" if "completed" in statuses else ", ".join(sorted(statuses))
    except WorkflowFailureError as err:
        return f"failed: {getattr(err.cause, 'message', err.cause)}"


async def report_progress(jobs: list[asyncio.Task[str]], started: float) -> None:
    while True:
        await asyncio.sleep(15)
        finished = sum(1 for job in jobs if job.done())
        print(f"  … {finished}/{len(jobs)} campaigns finished after {time.monotonic() - started:.0f}s", flush=True)


def invariants(admin: SimAdmin, requests: list[CampaignRequest]) -> tuple[int, int, int]:
    stats = admin.stats()
    launches: dict[str, int] = stats["launches"]
    lists_by_campaign: dict[str, list[str]] = defaultdict(list)
    names = {r.campaign_name for r in requests}
    for upload in stats["uploads"]:
        base = str(upload["campaign_name"]).rsplit(" [", 1)[0]
        if base in names:
            lists_by_campaign[base].append(str(upload["list_id"]))
    double_launches = sum(1 for n in launches.values() if n > 1)
    launched_double_uploads = sum(
        1 for lists in lists_by_campaign.values() if sum(1 for lid in lists if launches.get(lid, 0) > 0) > 1
    )
    return double_launches, launched_double_uploads, sum(stats["requests"].values())


async def soak(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    data = Path(tempfile.mkdtemp(prefix="soak-"))
    server = devstack.start_dev_server(data, ui=False)
    workers: list[devstack.Proc] = []
    sim = None
    admin = None
    stop = asyncio.Event()
    started = time.monotonic()
    try:
        sim = start_simulator(api_key=SIM_KEY, time_scale=0.003, log_path=data / "simulator.log")
        task_queue = f"soak-{uuid.uuid4().hex[:8]}"
        env = {
            "RINGG_API_KEY": SIM_KEY,
            "RINGG_BASE_URL": sim.base_url,
            "TEMPORAL_ADDRESS": server.extra["address"],
            "RINGG_TASK_QUEUE": task_queue,
            "RINGG_CONFIRM_WINDOW_S": "5",
            "LOG_LEVEL": "WARNING",
        }
        workers += [devstack.start_worker(data, env=env, name=f"worker-{i}") for i in range(args.workers)]
        admin = SimAdmin(sim)
        admin.configure(call_rate=40.0)
        client = await connect_when_ready(server.extra["address"])
        requests = make_requests(args, data, rng, admin.window(hours_after=7 * 24, retry_minutes=0.5))
        jobs = [
            asyncio.create_task(run_campaign(client, req, task_queue, rng.random() < args.duplicates))
            for req in requests
        ]
        faults = asyncio.create_task(inject_faults(admin, args, rng, stop, jobs))
        kills = asyncio.create_task(kill_workers(workers, env, data, args.kill_every, stop))
        reporter = asyncio.create_task(report_progress(jobs, started))
        done, pending = await asyncio.wait(jobs, timeout=args.timeout)
        reporter.cancel()
        stop.set()
        outcomes = Counter(
            ("completed" if t.result() == "completed" else t.result()) if t in done and not t.exception() else "error"
            for t in jobs
        )
        for task in pending:
            task.cancel()
        injected, killed = await faults, await kills
        double_launches, double_uploads, api_calls = invariants(admin, requests)
        completed = outcomes.get("completed", 0)
        print(f"campaigns:                 {args.campaigns} ({args.workers} workers, seed {args.seed})")
        print(f"campaigns completed:       {completed}")
        print(f"double launches:           {double_launches}")
        print(f"launched double uploads:   {double_uploads}")
        print(f"lost campaigns:            {args.campaigns - completed}")
        print(f"API calls per campaign:    {api_calls / max(args.campaigns, 1):.1f}")
        print(f"faults injected:           {injected}")
        print(f"worker kills:              {killed}")
        print(f"wall time:                 {time.monotonic() - started:.0f}s")
        for outcome, count in outcomes.most_common():
            if outcome != "completed":
                print(f"  not completed: {count} x {outcome}")
    finally:
        # Everything this run started is stopped, whenever it is interrupted (SIGTERM/Ctrl-C included).
        stop.set()
        for proc in workers:
            devstack.stop(proc)
        if sim is not None:
            stop_simulator(sim)
        devstack.stop(server)
        if admin is not None:
            admin.close()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # so `finally` stops every process this run started


def main() -> None:
    signal.signal(signal.SIGTERM, _interrupt)
    asyncio.run(soak(parse_args()))


if __name__ == "__main__":
    main()
