"""Re-records the golden histories replayed by tests/test_replay.py: `python -m tests.histories.record [NAME ...]`
(all, or the named ones). Run it only for an intended, replay-safe change of the workflow's commands (otherwise use
workflow.patched), or to add a scenario."""

from __future__ import annotations

import asyncio
import shutil
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from client.converter import DATA_CONVERTER
from contract.campaign import CampaignRequest
from contract.search_attributes import ALL_KEYS
from tests.test_campaign_workflow import FakeRingg, make_worker, request
from tests.test_chunk_workflow import ChunkFake
from tests.test_chunk_workflow import make_worker as make_chunk_worker

HERE = Path(__file__).resolve().parent
Scenario = tuple[Callable[[WorkflowEnvironment], Worker], CampaignRequest]


def scenarios() -> dict[str, Scenario]:
    def fake(ringg: FakeRingg) -> Callable[[WorkflowEnvironment], Worker]:
        return lambda env: make_worker(env, ringg)

    return {
        "large_flow": (fake(FakeRingg(key="ik-golden-large")), request()),
        "standard_flow": (
            fake(FakeRingg(rows=120, key="ik-golden-standard")),
            request(number_pool_id="pool-1", from_numbers=None),
        ),
        "balance_topped_up": (fake(FakeRingg(sufficient_after=2, key="ik-golden-balance")), request()),
        # The large flow refused (403): three chunks saved and launched, polled together.
        "chunked_flow": (lambda env: make_chunk_worker(env, ChunkFake(key="ik-golden-chunks")), request()),
        # The paths behind workflow.patched("ringg-docs-checks"): upload progress polls, a tolerated share of
        # Ringg-invalidated rows, contacts never called; the pool check and save's counts on the standard flow.
        "large_flow_docs_checks": (
            fake(
                FakeRingg(
                    key="ik-golden-large-docs",
                    final_counts={"completed": 5000, "failed": 500, "cancelled": 490},
                    never_called=480,
                )
            ),
            request(remove_invalid_rows=False, max_invalid_row_share=0.01),
        ),
        "standard_pool_docs_checks": (
            fake(FakeRingg(rows=120, key="ik-golden-standard-docs", save_counts=(120, 118, 2))),
            request(number_pool_id="pool-1", from_numbers=None, remove_invalid_rows=False, max_invalid_row_share=0.05),
        ),
    }


async def record(names: list[str]) -> None:
    chosen = {name: s for name, s in scenarios().items() if not names or name in names}
    unknown = set(names) - set(chosen)
    if unknown:
        raise SystemExit(f"no scenario {', '.join(sorted(unknown))}; known: {', '.join(scenarios())}")
    binary = str(Path(sys.executable).parent / "temporal") if shutil.which("temporal") is None else "temporal"
    env = await WorkflowEnvironment.start_local(
        data_converter=DATA_CONVERTER,
        dev_server_existing_path=shutil.which(binary) or binary,
        search_attributes=list(ALL_KEYS),
        ui=False,
    )
    async with env:
        for name, (make, req) in chosen.items():
            async with make(env) as worker:
                handle = await env.client.start_workflow(
                    "CampaignWorkflow", req, id=f"golden-{name}-{uuid.uuid4().hex[:6]}", task_queue=worker.task_queue
                )
                await handle.result()
                history = await handle.fetch_history()
                (HERE / f"{name}.json").write_text(history.to_json())
                print(f"recorded {name}: {len(history.events)} events")


if __name__ == "__main__":
    asyncio.run(record(sys.argv[1:]))
