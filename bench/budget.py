"""The shared Ringg budget under load: three processes hammer the simulator through one budget (the anchor: each
process paced by a budget of its own), then the simulator answers 429 above a limit, then stops (`--quick`)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import multiprocessing
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from bench.table import Figure, print_table
from ledger import migrate
from ledger.budget import QUIET_S, RinggBudget, workspace_key
from ledger.engine import create_engine
from ringg import RinggError, make_http_client
from ringg.client import RinggClient
from ringg_sim.testing import RunningSimulator, SimAdmin, running_simulator
from runtime.logs import configure_logging

API_KEY = "sim-bench-budget-key"
BUDGET = 10.0  # requests per second for the deployment
PROCESSES = 3
CALLERS = 4  # concurrent callers per process: demand far above the budget
SIM_LIMIT = 4  # the simulator's own limit in the 429 phase


@dataclass(frozen=True)
class Phases:
    steady_s: float
    limited_s: float
    recover_s: float
    quiet_s: float


@dataclass(frozen=True)
class Run:
    arrivals: list[float]  # t_received of every API request (the simulator's monotonic clock = the machine's)
    refused: list[float]  # those answered 429
    limited_at: float
    lifted_at: float


def _hammer(base_url: str, ledger_url: str, quiet_s: float, ready: Any, go: Any, end: Any) -> None:
    """One worker process: once every process is `ready` and `go` is set, CALLERS callers each send requests back
    to back through the budget until `end` (a shared monotonic reading)."""

    async def main() -> None:
        engine = create_engine(ledger_url, pooled=True)
        budget = RinggBudget(engine, workspace_key(API_KEY), BUDGET, quiet_s=quiet_s)
        async with make_http_client(base_url, SecretStr(API_KEY)) as http:
            client = RinggClient(http, pacer=budget)
            ready.set()
            await asyncio.to_thread(go.wait)
            until = float(end.value)

            async def caller() -> None:
                while time.monotonic() < until:
                    # A 429 (already reported to the budget) or a busy budget: go on, as a retry would.
                    with contextlib.suppress(RinggError):
                        await client.list_campaigns(limit=1)

            await asyncio.gather(*(caller() for _ in range(CALLERS)))
        await engine.dispose()

    configure_logging("WARNING")
    asyncio.run(main())


def _run(sim: RunningSimulator, admin: SimAdmin, ledger_urls: list[str], phases: Phases) -> Run:
    for url in dict.fromkeys(ledger_urls):
        asyncio.run(migrate.upgrade(url))
    admin.reset()
    admin.configure(rate_limit_rps=0)
    context = multiprocessing.get_context("spawn")
    go, end = context.Event(), context.Value("d", 0.0)
    ready = [context.Event() for _ in ledger_urls]
    procs = [
        context.Process(target=_hammer, args=(sim.base_url, url, phases.quiet_s, flag, go, end))
        for url, flag in zip(ledger_urls, ready, strict=True)
    ]
    for proc in procs:
        proc.start()
    try:
        for flag in ready:  # spawned: a fresh interpreter each, seconds on a busy machine
            if not flag.wait(timeout=120):
                raise RuntimeError("a bench process did not start within 120 s")
        limited_at = time.monotonic() + phases.steady_s
        lifted_at = limited_at + phases.limited_s
        end.value = lifted_at + phases.recover_s
        go.set()
        time.sleep(max(0.0, limited_at - time.monotonic()))
        admin.configure(rate_limit_rps=SIM_LIMIT, rate_limit_retry_after_s=1)
        time.sleep(max(0.0, lifted_at - time.monotonic()))
        admin.configure(rate_limit_rps=0)
    finally:
        for proc in procs:
            go.set()
            proc.join(timeout=phases.steady_s + phases.limited_s + phases.recover_s + 30)
            if proc.is_alive():
                proc.kill()
    log: list[dict[str, Any]] = [r for r in admin.requests() if r["endpoint"] is not None]
    arrivals = [float(r["t_received"]) for r in log]
    refused = [float(r["t_received"]) for r in log if r["fault"] == "rate_limit"]
    return Run(arrivals, refused, limited_at, lifted_at)


def max_in_window(times: list[float], start: float, end: float) -> int:
    inside = sorted(t for t in times if start <= t < end)
    return max((sum(1 for u in inside[i:] if u - t < 1.0) for i, t in enumerate(inside)), default=0)


def recovery_s(run: Run, end: float) -> float:
    """From the lift of the limit to the end of the first one-second window holding 90 % of the budget (infinite
    when none did before `end`)."""
    after = sorted(t for t in run.arrivals if run.lifted_at <= t < end)
    for i, t in enumerate(after):
        if sum(1 for u in after[i:] if u - t < 1.0) >= 0.9 * BUDGET:
            return t + 1.0 - run.lifted_at
    return math.inf


def sent_per_second(run: Run) -> float:
    """Requests (429s included) per second in the limited phase, after its first two seconds."""
    start = run.limited_at + 2.0
    return sum(1 for t in run.arrivals if start <= t < run.lifted_at) / (run.lifted_at - start)


def share_refused(run: Run) -> float:
    sent = [t for t in run.arrivals if run.limited_at <= t < run.lifted_at]
    refused = [t for t in run.refused if run.limited_at <= t < run.lifted_at]
    return len(refused) / len(sent) if sent else 0.0


def figures(quick: bool) -> list[Figure]:
    phases = Phases(3, 4, 7, 0.5) if quick else Phases(15, 20, 60, QUIET_S)
    with (
        running_simulator(api_key=API_KEY, time_scale=1.0) as sim,
        SimAdmin(sim) as admin,
        tempfile.TemporaryDirectory(prefix="bench-budget-") as tmp,
    ):
        shared_url = f"sqlite+aiosqlite:///{Path(tmp) / 'shared.sqlite3'}"
        shared = _run(sim, admin, [shared_url] * PROCESSES, phases)
        alone = [f"sqlite+aiosqlite:///{Path(tmp) / f'alone-{n}.sqlite3'}" for n in range(PROCESSES)]
        anchor = _run(sim, admin, alone, phases)
    steady_max = max_in_window(shared.arrivals, shared.limited_at - phases.steady_s, shared.limited_at)
    anchor_max = max_in_window(anchor.arrivals, anchor.limited_at - phases.steady_s, anchor.limited_at)
    overall_max = max_in_window(shared.arrivals, 0.0, float("inf"))
    refused, anchor_refused = share_refused(shared), share_refused(anchor)
    sent, sent_anchor = sent_per_second(shared), sent_per_second(anchor)
    end = shared.lifted_at + phases.recover_s
    recovered = recovery_s(shared, end)
    recovery_target = 10 * phases.quiet_s + 3.0  # ten raises from the floor, plus the slots reserved ahead
    each_alone = f"{PROCESSES} processes, a budget each"
    return [
        Figure(
            f"Ringg budget {BUDGET:g}/s, {PROCESSES} processes: most requests in 1 s",
            overall_max,
            "req",
            float(anchor_max),
            each_alone,
            f"<= {BUDGET + 1:g}",
            overall_max <= BUDGET + 1,
        ),
        Figure(
            f"Ringg budget: steady requests in 1 s (budget {BUDGET:g})",
            steady_max,
            "req",
            target=f">= {0.8 * BUDGET:g} (the budget is used)",
            ok=steady_max >= 0.8 * BUDGET,
        ),
        Figure(
            f"Ringg budget under a {SIM_LIMIT}/s limit: share answered 429",
            refused,
            "ratio",
            anchor_refused,
            each_alone,
            "<= 0.25",
            refused <= 0.25,
        ),
        Figure(
            f"Ringg budget under a {SIM_LIMIT}/s limit: requests sent per s",
            sent,
            "req/s",
            sent_anchor,
            each_alone,
            f"<= {1.25 * SIM_LIMIT:g}",
            sent <= 1.25 * SIM_LIMIT,
        ),
        Figure(
            f"Ringg budget: back to 90% of {BUDGET:g}/s after the 429s stop (quiet {phases.quiet_s:g} s)",
            recovered,
            "s",
            target=f"<= {recovery_target:g} s",
            ok=recovered <= recovery_target,
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short phases and a 0.5 s quiet interval (~45 s)")
    print_table(figures(parser.parse_args().quick))


if __name__ == "__main__":
    main()
