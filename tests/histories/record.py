"""Re-records the golden histories replayed by tests/test_replay.py: `python -m tests.histories.record [NAME ...]`
(only the named ones; all without names). Run it only for an intended, replay-safe change of the workflow's
commands (otherwise use workflow.patched)."""

from __future__ import annotations

import asyncio
import shutil
import sys
import uuid
from pathlib import Path

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from contract.search_attributes import ALL_KEYS
from tests.test_campaign_workflow import FakeRingg, make_worker, request

HERE = Path(__file__).resolve().parent


async def record(only: set[str]) -> None:
    binary = str(Path(sys.executable).parent / "temporal") if shutil.which("temporal") is None else "temporal"
    env = await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        dev_server_existing_path=shutil.which(binary) or binary,
        search_attributes=list(ALL_KEYS),
        ui=False,
    )
    scenarios = {
        "large_flow": (FakeRingg(key="ik-golden-large"), request()),
        "standard_flow": (
            FakeRingg(rows=120, key="ik-golden-standard"),
            request(number_pool_id="pool-1", from_numbers=None),
        ),
        "balance_topped_up": (FakeRingg(sufficient_after=2, key="ik-golden-balance"), request()),
        # The paths behind workflow.patched("ringg-docs-checks"): upload progress polls, a tolerated share of
        # Ringg-invalidated rows, contacts never called; the pool check and save's counts on the standard flow.
        "large_flow_docs_checks": (
            FakeRingg(
                key="ik-golden-large-docs",
                final_counts={"completed": 5000, "failed": 500, "cancelled": 490},
                never_called=480,
            ),
            request(remove_invalid_rows=False, max_invalid_row_share=0.01),
        ),
        "standard_pool_docs_checks": (
            FakeRingg(rows=120, key="ik-golden-standard-docs", save_counts=(120, 118, 2)),
            request(number_pool_id="pool-1", from_numbers=None, remove_invalid_rows=False, max_invalid_row_share=0.05),
        ),
    }
    unknown = only - set(scenarios)
    if unknown:
        raise SystemExit(f"no such scenario: {', '.join(sorted(unknown))} (known: {', '.join(scenarios)})")
    async with env:
        for name, (fake, req) in scenarios.items():
            if only and name not in only:
                continue
            async with make_worker(env, fake) as worker:
                handle = await env.client.start_workflow(
                    "CampaignWorkflow", req, id=f"golden-{name}-{uuid.uuid4().hex[:6]}", task_queue=worker.task_queue
                )
                await handle.result()
                history = await handle.fetch_history()
                (HERE / f"{name}.json").write_text(history.to_json())
                print(f"recorded {name}: {len(history.events)} events")


if __name__ == "__main__":
    asyncio.run(record(set(sys.argv[1:])))
