"""A fleet of small campaigns started together on the real stack (default 500 campaigns of 20 contacts): history
requests per call, the worker's peak RSS, the time for all to launch, and every campaign's counts checked against
the simulator's truth (`python -m bench.fleet --help`)."""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter
from dataclasses import dataclass

from bench.stack import NUMBER_ID, BenchStack, bench_stack
from bench.table import Figure, peak_rss_mb, print_table
from client.launcher import start_campaign
from contract.campaign import CampaignRequest, CampaignResult, PollingConfig
from devtools import devstack
from devtools.sample_csv import DEFAULT_MAP, write_sample_csv
from ringg_sim.testing import SimAdmin

STARTS_AT_ONCE = 50
HISTORY_PER_CALL_TARGET = 0.3
# 286 MB measured for 500 x 20 once the sandbox shares the workflows package (runtime/workflow_runner.py); 435 MB
# before. The target catches a return of per-run imports (~0.3 MB a campaign).
RSS_TARGET_MB = 350.0
# One wall second is ten simulated seconds (calls of about two simulated minutes); the campaigns' polling waits are
# scaled by the same factor, so the requests per call are those of real time.
SCALE = 0.1


@dataclass
class FleetRun:
    campaigns: int
    calls: int
    history_requests: int
    all_requests: int
    worker_peak_mb: float
    all_launched_s: float
    all_done_s: float
    mismatches: list[str]


def scaled(polling: PollingConfig, scale: float) -> PollingConfig:
    waits = ["upload_initial_s", "upload_max_s", "monitor_initial_s", "monitor_max_s", "balance_initial_s"]
    waits += ["balance_max_s"]
    return polling.model_copy(update={w: max(0.1, getattr(polling, w) * scale) for w in waits})


def truth(admin: SimAdmin, list_id: str) -> Counter[str]:
    return Counter(str(call["status"]) for call in admin.campaign_calls(list_id))


def mismatch(result: CampaignResult, admin: SimAdmin) -> str | None:
    """The campaign's final counts against the simulator's own calls; None when equal."""
    if result.status != "completed" or result.list_id is None:
        return f"{result.campaign_name}: ended {result.status}"
    real = truth(admin, result.list_id)
    mine = {status: n for status, n in result.calls_by_status.items() if n}
    if dict(real) != mine or result.total_calls != sum(real.values()):
        return f"{result.campaign_name}: counted {mine} (total {result.total_calls}), simulator {dict(real)}"
    return None


async def wait_all_launched(admin: SimAdmin, campaigns: int, started: float) -> float:
    while True:
        launches = await asyncio.to_thread(lambda: admin.stats()["launches"])
        if len(launches) >= campaigns:
            return time.monotonic() - started
        await asyncio.sleep(0.25)


async def run_fleet(stack: BenchStack, worker: devstack.Proc, n: int, size: int, scale: float) -> FleetRun:
    admin = stack.admin
    window = admin.window(hours_after=7 * 24, retry_minutes=0.5)
    csvs = [write_sample_csv(stack.data / f"fleet-{i}.csv", size, offset=i * size) for i in range(n)]
    polling = scaled(PollingConfig(), scale)
    before = admin.stats()["requests"]
    gate = asyncio.Semaphore(STARTS_AT_ONCE)

    async def one(i: int) -> CampaignResult:
        request = CampaignRequest(
            campaign_name=f"Fleet {i:04d}",
            agent_id="agent-fleet",
            csv_uri=str(csvs[i]),
            variables_map=DEFAULT_MAP,
            from_numbers=[NUMBER_ID],
            polling=polling,
            **window,
        )
        async with gate:
            outcome = await start_campaign(stack.client, request, task_queue=stack.task_queue)
        return await outcome.handle.result()

    started = time.monotonic()
    launched = asyncio.ensure_future(wait_all_launched(admin, n, started))
    results = await asyncio.gather(*(one(i) for i in range(n)))
    done = time.monotonic() - started
    all_launched = await launched
    after = admin.stats()["requests"]
    spent = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    problems = [m for r in results if (m := await asyncio.to_thread(mismatch, r, admin)) is not None]
    return FleetRun(
        campaigns=n,
        calls=sum(r.total_calls for r in results),
        history_requests=spent.get("history", 0),
        all_requests=sum(spent.values()),
        worker_peak_mb=peak_rss_mb(worker.pid),
        all_launched_s=all_launched,
        all_done_s=done,
        mismatches=problems,
    )


async def measure(n: int, size: int, scale: float = SCALE) -> FleetRun:
    """`scale`: wall seconds per simulated second, applied to the campaigns' polling waits too."""

    def configure(admin: SimAdmin) -> None:
        admin.configure(time_scale=scale, call_rate=20.0)  # calls of about two simulated minutes, many at once
        admin.set_credits(10 * n * size)

    async with bench_stack("fleet", configure=configure) as stack:
        worker = stack.start_worker()
        return await run_fleet(stack, worker, n, size, scale)


def figures_of(run: FleetRun) -> list[Figure]:
    label = f"fleet {run.campaigns} x {run.calls // max(run.campaigns, 1)}"
    per_call = run.history_requests / max(run.calls, 1)
    return [
        Figure(
            f"{label}: history requests per call",
            per_call,
            "req/call",
            target=f"<= {HISTORY_PER_CALL_TARGET}",
            ok=per_call <= HISTORY_PER_CALL_TARGET,
        ),
        Figure(f"{label}: all Ringg requests per call", run.all_requests / max(run.calls, 1), "req/call"),
        Figure(
            f"{label}: worker peak RSS",
            run.worker_peak_mb,
            "MB",
            target=f"<= {RSS_TARGET_MB:.0f} MB",
            ok=run.worker_peak_mb <= RSS_TARGET_MB,
        ),
        Figure(f"{label}: time for all to launch", run.all_launched_s, "s"),
        Figure(f"{label}: time for all to finish", run.all_done_s, "s"),
        Figure(
            f"{label}: campaigns whose counts differ from the simulator",
            len(run.mismatches),
            "campaigns",
            target="0",
            ok=not run.mismatches,
        ),
    ]


def figures(quick: bool) -> list[Figure]:
    n, size = (100, 20) if quick else (500, 20)
    run = asyncio.run(measure(n, size))
    for line in run.mismatches[:10]:
        print("count mismatch:", line, flush=True)
    return figures_of(run)


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.fleet",
        description="Starts N small campaigns together on the real stack (dev server binary, simulator and one "
        "worker process) and prints history requests per call, all Ringg requests per call, the worker's peak RSS, "
        "the time for every campaign to launch and to finish, and how many campaigns' counts differ from the "
        "simulator's own calls.",
    )
    parser.add_argument("--quick", action="store_true", help="100 campaigns of 20 instead of 500 of 20")
    parser.add_argument("--campaigns", type=int, help="number of campaigns (overrides --quick)")
    parser.add_argument("--size", type=int, default=20, help="contacts per campaign")
    args = parser.parse_args()
    if args.campaigns:
        run = asyncio.run(measure(args.campaigns, args.size))
        for line in run.mismatches[:10]:
            print("count mismatch:", line, flush=True)
        print_table(figures_of(run))
    else:
        print_table(figures(args.quick))


if __name__ == "__main__":
    main()
