"""Monitoring at scale: one large-flow campaign per size (default 10k, 100k, 1M calls) on the real stack, with its
history, request and memory figures (`python -m bench.monitor_scale --help`)."""

from __future__ import annotations

import argparse
import asyncio
import time
from dataclasses import dataclass

from temporalio.client import Client

from bench.stack import NUMBER_ID, BenchStack, bench_stack
from bench.table import Figure, peak_rss_mb
from client.launcher import start_campaign
from contract.campaign import CampaignRequest, PollingConfig
from devtools import devstack
from devtools.sample_csv import DEFAULT_MAP, write_sample_csv
from workflows.campaign import CampaignWorkflow

CALL_RATE = 2.0  # the simulator's calls per simulated second
NAIVE_EVERY_S = 5.0
PER_1K_TARGET = 12.0


@dataclass
class Figures:
    calls: int
    wall_s: float
    runs: int
    events: int
    largest_run: int
    history_requests: int
    polls: int
    worker_peak_mb: float

    def line(self) -> str:
        per_1k = 1000 * self.history_requests / self.calls
        return (
            f"{self.calls:>9,} calls  {self.wall_s:6.0f}s  events {self.events:>5} in {self.runs} run(s) "
            f"(largest {self.largest_run:>4})  history requests {self.history_requests:>6} = {per_1k:5.2f}/1k "
            f"calls  polls {self.polls:>4}  worker peak RSS {self.worker_peak_mb:4.0f} MB"
        )


async def history_events(client: Client, workflow_id: str) -> list[int]:
    sizes = []
    async for execution in client.list_workflows(f'WorkflowId = "{workflow_id}"'):
        history = await client.get_workflow_handle(workflow_id, run_id=execution.run_id).fetch_history()
        sizes.append(len(history.events))
    return sizes


async def one_campaign(stack: BenchStack, worker: devstack.Proc, calls: int, seconds: float) -> Figures:
    client, admin = stack.client, stack.admin
    admin.configure(time_scale=CALL_RATE * seconds / calls, call_rate=CALL_RATE)
    admin.set_credits(10 * calls)
    csv_path = write_sample_csv(stack.data / f"contacts-{calls}.csv", calls)
    request = CampaignRequest(
        campaign_name=f"Scale {calls}",
        agent_id="agent-scale",
        csv_uri=str(csv_path),
        variables_map=DEFAULT_MAP,
        from_numbers=[NUMBER_ID],
        flow="large",
        polling=PollingConfig(upload_initial_s=1, upload_max_s=5, monitor_initial_s=2, monitor_max_s=30),
        **admin.window(hours_after=30 * 24, retry_minutes=0.5),  # open on the simulator's clock
    )
    before = admin.stats()["requests"].get("history", 0)
    started = time.monotonic()
    outcome = await start_campaign(client, request, task_queue=stack.task_queue)
    result = await outcome.handle.result()
    wall = time.monotonic() - started
    assert result.status == "completed" and result.total_calls == calls, result
    requests = admin.stats()["requests"].get("history", 0) - before
    sizes = await history_events(client, outcome.workflow_id)
    polls = (
        await client.get_workflow_handle_for(CampaignWorkflow.run, outcome.workflow_id).query(CampaignWorkflow.progress)
    ).polls
    return Figures(calls, wall, len(sizes), sum(sizes), max(sizes), requests, polls, peak_rss_mb(worker.pid))


async def run(sizes: list[int], seconds: float) -> list[Figures]:
    measured: list[Figures] = []
    async with bench_stack("monitor") as stack:
        for calls in sizes:
            worker = stack.start_worker(name=f"worker-{calls}")
            try:
                figures = await one_campaign(stack, worker, calls, seconds)
            finally:
                devstack.stop(worker)
            print(figures.line(), flush=True)
            measured.append(figures)
    return measured


def naive_requests(f: Figures) -> float:
    """A naive poller's history requests for the same run: every NAIVE_EVERY_S it reads every page of the call
    history (100 rows a page), for as long as this campaign ran."""
    return (f.wall_s / NAIVE_EVERY_S) * -(-f.calls // 100)


def figures(quick: bool) -> list[Figure]:
    sizes, seconds = ([100_000], 30.0) if quick else ([1_000_000], 60.0)
    rows: list[Figure] = []
    for f in asyncio.run(run(sizes, seconds)):
        per_1k = 1000 * f.history_requests / f.calls
        rows.append(
            Figure(
                f"monitor a {f.calls:,}-call campaign: history requests per 1,000 calls",
                per_1k,
                "req/1k",
                anchor=1000 * naive_requests(f) / f.calls,
                anchor_name=f"naive poller: every page every {NAIVE_EVERY_S:g} s",
                target=f"<= {PER_1K_TARGET:g}",
                ok=per_1k <= PER_1K_TARGET,
            )
        )
        rows.append(
            Figure(
                f"monitor a {f.calls:,}-call campaign: largest history run",
                f.largest_run,
                "events",
                target="<= 2,000",
                ok=f.largest_run <= 2000,
            )
        )
        rows.append(Figure(f"monitor a {f.calls:,}-call campaign: worker peak RSS", f.worker_peak_mb, "MB"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.monitor_scale",
        description="Monitoring at scale: one large-flow campaign per size on the real stack (dev server binary, "
        "simulator and worker processes), each paced so its calls take about --seconds of wall time. Prints, per "
        "campaign: history events (all runs, and the largest run: continue-as-new keeps each run bounded), history "
        "requests per 1,000 calls, polls, and the worker's peak RSS.",
        epilog="Targets (issue 5): at most 2,000 history events per campaign and 12 history requests per 1,000 calls.",
    )
    parser.add_argument("--sizes", default="10000,100000,1000000", help="calls per campaign, comma-separated")
    parser.add_argument("--seconds", type=float, default=60.0, help="wall time the calls of each campaign take")
    args = parser.parse_args()
    asyncio.run(run([int(s) for s in args.sizes.split(",")], args.seconds))


if __name__ == "__main__":
    main()
