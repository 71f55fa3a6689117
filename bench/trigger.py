"""Trigger to the first Ringg request: from `start_campaign` to the simulator receiving the campaign's first API
request, against a bare httpx script sending one request to the same simulator (`python -m bench.trigger --help`).
Both are read on CLOCK_MONOTONIC, which this process and the simulator's share."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import httpx

from bench.stack import NUMBER_ID, BenchStack, bench_stack
from bench.table import Figure, print_table
from client.launcher import start_campaign
from contract.campaign import CampaignRequest, PollingConfig
from devtools.sample_csv import DEFAULT_MAP, write_sample_csv
from ringg_sim.testing import SimAdmin

TARGET_S = 1.0


async def first_request_after(admin: SimAdmin, t0: float, timeout_s: float = 60.0) -> float:
    """Seconds from t0 to the first request the simulator received after it."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        log = await asyncio.to_thread(admin.requests)
        after = [float(r["t_received"]) for r in log if r["t_received"] >= t0]
        if after:
            return min(after) - t0
        await asyncio.sleep(0.02)
    raise TimeoutError("the simulator saw no request")


async def bare_script(stack: BenchStack) -> float:
    """A fresh httpx client sends one request, as a hand-written script would: connection set-up included."""
    t0 = time.monotonic()
    async with httpx.AsyncClient(base_url=stack.base_url, headers={"X-API-KEY": stack.api_key}) as http:
        (await http.get("/workspace/numbers", params={"limit": 1})).raise_for_status()
    return await first_request_after(stack.admin, t0)


async def product(stack: BenchStack, i: int) -> float:
    admin = stack.admin
    path = write_sample_csv(stack.data / f"trigger-{i}.csv", 20, offset=i * 20)
    request = CampaignRequest(
        campaign_name=f"Trigger {i}",
        agent_id="agent-trigger",
        csv_uri=str(path),
        variables_map=DEFAULT_MAP,
        from_numbers=[NUMBER_ID],
        polling=PollingConfig(monitor_initial_s=0.5, monitor_max_s=2),
        **admin.window(hours_after=7 * 24, retry_minutes=0.5),
    )
    t0 = time.monotonic()
    outcome = await start_campaign(stack.client, request, task_queue=stack.task_queue)
    latency = await first_request_after(admin, t0)
    await outcome.handle.result()  # the next trigger's first request is its own
    return latency


async def measure(rounds: int) -> tuple[list[float], list[float]]:
    def configure(admin: SimAdmin) -> None:
        admin.configure(time_scale=0.01, call_rate=50.0)
        admin.set_credits(1_000_000)

    async with bench_stack("trigger", configure=configure) as stack:
        stack.start_worker()
        await product(stack, 0)  # warm-up: the worker's first tasks, its connections
        mine = [await product(stack, i) for i in range(1, rounds + 1)]
        bare = [await bare_script(stack) for _ in range(rounds)]
        return mine, bare


def figures(quick: bool) -> list[Figure]:
    mine, bare = asyncio.run(measure(3 if quick else 10))
    median = statistics.median(mine)
    return [
        Figure(
            "trigger -> first Ringg request (median, 20-row campaign)",
            median,
            "s",
            anchor=statistics.median(bare),
            anchor_name="bare httpx script",
            target=f"<= {TARGET_S:g} s",
            ok=median <= TARGET_S,
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.trigger",
        description="Starts small campaigns one after another on the real stack and prints the median time from "
        "start_campaign to the simulator's first request for it, against a bare httpx script's one request.",
    )
    parser.add_argument("--quick", action="store_true", help="3 rounds instead of 10")
    print_table(figures(parser.parse_args().quick))


if __name__ == "__main__":
    main()
