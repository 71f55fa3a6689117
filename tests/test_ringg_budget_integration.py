"""One Ringg budget for the deployment: three `python worker.py` processes sharing one ledger, with
CAMPAIGN_RINGG_BUDGET_RPS=R, run four campaigns. The simulator never sees more than R requests (+1) in any one
second; when it answers 429 (its limit below R) the rate drops, and it climbs back once the 429s stop; every
campaign completes with exact counts."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client

from client.launcher import start_campaign
from devtools import devstack
from ringg_sim.testing import RunningSimulator, SimAdmin, running_simulator
from tests.crash_helpers import (
    Diagnostics,
    check_exactly_once,
    make_request,
    stage_of,
    start_worker_process,
    wait_until,
)
from workflows.campaign import CampaignWorkflow

pytestmark = pytest.mark.integration

R = 5  # CAMPAIGN_RINGG_BUDGET_RPS
SIM_LIMIT = 2  # the simulator's own limit in the 429 phase: below R / 2, so one halving is not enough
CAMPAIGNS = 4
ROWS = 150
QUIET_S = 0.5  # CAMPAIGN_RINGG_BUDGET_QUIET_S: the rate climbs R/10 every half second without a 429
PHASE_S = 6.0
# From the last 429: R/2 in R/10 steps every QUIET_S (about 4 s), plus the slots reserved ahead at the low rate.
RECOVERY_S = 7.0


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with running_simulator(api_key="sim-budget-key-2b7d", time_scale=0.05) as running:
        yield running


def max_in_window(times: list[float], width: float = 1.0) -> int:
    """The most requests that arrived within any `width`-second window (half-open)."""
    times = sorted(times)
    return max((sum(1 for u in times[i:] if u - t < width) for i, t in enumerate(times)), default=0)


def per_second(records: list[dict[str, Any]], start: float, end: float) -> float:
    return sum(1 for r in records if start <= r["t_received"] < end) / (end - start)


def timeline(records: list[dict[str, Any]], start: float, end: float) -> str:
    """Requests (429s in brackets) in each second from `start`: for failure messages."""
    seconds = range(int(end - start) + 1)
    counts = [[r for r in records if start + i <= r["t_received"] < start + i + 1] for i in seconds]
    return " ".join(f"{len(c)}({sum(1 for r in c if r['fault'] == 'rate_limit')})" for c in counts)


def budget_row(ledger: Path) -> tuple[float, int]:
    with sqlite3.connect(ledger) as conn:
        rate, throttled = conn.execute("SELECT rate, throttled FROM ledger_ringg_budget").fetchone()
    return float(rate), int(throttled)


async def test_three_workers_share_one_budget_that_adapts_to_429s(
    dev_server: devstack.Proc, stack_client: Client, sim: RunningSimulator, tmp_path: Path
) -> None:
    diag = Diagnostics(sim)
    task_queue = f"budget-{tmp_path.name}"
    ledger = tmp_path / "ledger.sqlite3"
    env = {
        "CAMPAIGN_LEDGER_URL": f"sqlite+aiosqlite:///{ledger}",
        "CAMPAIGN_RINGG_BUDGET_RPS": str(R),
        "CAMPAIGN_RINGG_BUDGET_QUIET_S": str(QUIET_S),
    }
    address = dev_server.extra["address"]
    workers = [start_worker_process(tmp_path, sim, address, task_queue, f"worker-{n}", extra=env) for n in range(3)]
    diag.procs += workers
    # The sim's monotonic clock is the machine's (CLOCK_MONOTONIC): phases are marked with the test's readings.
    with SimAdmin(sim) as admin:
        try:
            admin.configure(call_rate=0.15)  # calls go slowly: the campaigns are still polling through every phase
            # More calls than one history page holds: each poll costs several requests, enough load for the budget.
            requests = [make_request(tmp_path, f"budget-{i}", admin, rows=ROWS) for i in range(CAMPAIGNS)]
            outcomes = await asyncio.gather(*(start_campaign(stack_client, r, task_queue=task_queue) for r in requests))

            async def all_monitoring() -> bool:
                return [await stage_of(o.handle) for o in outcomes] == ["monitoring"] * CAMPAIGNS

            await wait_until(all_monitoring, "every campaign is monitoring", diag, timeout_s=60)
            t_steady = time.monotonic()
            diag.note("all monitoring")
            await asyncio.sleep(PHASE_S)
            t_limited = time.monotonic()
            admin.configure(rate_limit_rps=SIM_LIMIT, rate_limit_retry_after_s=1)
            diag.note(f"simulator limit {SIM_LIMIT}/s")
            await asyncio.sleep(PHASE_S)
            rate_limited, throttled = budget_row(ledger)
            t_unlimited = time.monotonic()
            admin.configure(rate_limit_rps=0)
            diag.note(f"limit lifted; budget at {rate_limited:.2f}/s after {throttled} 429s")
            await asyncio.sleep(RECOVERY_S)
            t_recovered = time.monotonic()
            rate_recovered, _ = budget_row(ledger)
            diag.note(f"budget at {rate_recovered:.2f}/s")
            admin.configure(call_rate=50.0)
            results = await asyncio.wait_for(asyncio.gather(*(o.handle.result() for o in outcomes)), timeout=90)
            diag.note("all campaigns ended")
            # The last poll of each campaign, well within a minute of the 429s: progress shows the budget.
            shown = [(await o.handle.query(CampaignWorkflow.progress)).ringg_budget for o in outcomes]

            problems = [
                p
                for r, res in zip(requests, results, strict=True)
                for p in check_exactly_once(admin, r, res, calls=ROWS)
            ]
            for res in results:
                truth = Counter(c["status"] for c in admin.campaign_calls(res.list_id or ""))
                if {k: v for k, v in res.calls_by_status.items() if v} != dict(truth):
                    problems.append(f"{res.campaign_name}: counted {res.calls_by_status}, the simulator {truth}")
            assert not problems, diag("; ".join(problems))

            log = [r for r in admin.requests() if r["endpoint"] is not None]
            diag.note(f"requests per second from the steady phase on: {timeline(log, t_steady, t_recovered)}")
            busiest = max_in_window([r["t_received"] for r in log])
            assert busiest <= R + 1, diag(f"{busiest} requests within one second (budget {R}/s)")
            steady = per_second(log, t_steady + 1, t_limited)
            assert steady >= 0.6 * R, diag(f"only {steady:.1f} requests/s before the 429s: the test had no load")
            refused = [r for r in log if r["fault"] == "rate_limit"]
            assert refused, diag("the simulator answered no 429")
            assert throttled >= 1 and rate_limited < R, diag(f"budget still at {rate_limited}/s under 429s")
            assert all(b is not None and b.throttled and b.ceiling == R and 0 < b.rate <= R for b in shown), diag(
                f"progress shows the budget as {shown}"
            )
            limited = per_second(log, t_limited + 2, t_unlimited)
            assert limited <= 0.7 * R, diag(f"{limited:.1f} requests/s while Ringg answered 429 (budget {R}/s)")
            assert rate_recovered == R, diag(f"budget at {rate_recovered}/s {RECOVERY_S:.0f}s after the limit lifted")
            recovered = per_second(log, t_recovered - 2, t_recovered)
            assert recovered >= 0.6 * R, diag(f"only {recovered:.1f} requests/s once the 429s stopped")
        finally:
            admin.configure(rate_limit_rps=0, call_rate=2.0)
            for worker in workers:
                devstack.stop(worker, kill=True)
