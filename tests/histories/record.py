"""Re-records the golden histories replayed by tests/test_replay.py: `python -m tests.histories.record`.
Run it only for an intended, replay-safe change of the workflow's commands (otherwise use workflow.patched)."""

from __future__ import annotations

import asyncio
import shutil
import sys
import uuid
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from client.converter import DATA_CONVERTER
from contract.search_attributes import ALL_KEYS
from tests.test_campaign_workflow import FakeRingg, make_worker, request

HERE = Path(__file__).resolve().parent


async def record() -> None:
    binary = str(Path(sys.executable).parent / "temporal") if shutil.which("temporal") is None else "temporal"
    env = await WorkflowEnvironment.start_local(
        data_converter=DATA_CONVERTER,
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
    }
    async with env:
        for name, (fake, req) in scenarios.items():
            async with make_worker(env, fake) as worker:
                handle = await env.client.start_workflow(
                    "CampaignWorkflow", req, id=f"golden-{name}-{uuid.uuid4().hex[:6]}", task_queue=worker.task_queue
                )
                await handle.result()
                history = await handle.fetch_history()
                (HERE / f"{name}.json").write_text(history.to_json())
                print(f"recorded {name}: {len(history.events)} events")


if __name__ == "__main__":
    asyncio.run(record())
