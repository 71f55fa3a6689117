"""Re-records the golden histories replayed by tests/test_replay.py: `python -m tests.histories.record [NAME ...]`
(all, or the named ones). Run it only for an intended, replay-safe change of the workflow's commands (otherwise use
workflow.patched), or to add a scenario."""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from client.converter import DATA_CONVERTER
from client.program_launcher import start_program
from contract.campaign import CampaignRequest
from contract.program import ApproveInput, ProgramRequest
from contract.search_attributes import ALL_KEYS
from devtools.sample_csv import DEFAULT_MAP, write_sample_csv
from domain.csv_sources import csv_sources_from_env
from ringg_sim.testing import SimAdmin, running_simulator
from tests.stack_helpers import worker_for
from tests.test_campaign_workflow import FakeRingg, make_worker, request
from tests.test_chunk_workflow import ChunkFake
from tests.test_chunk_workflow import make_worker as make_chunk_worker
from workflows.program import CampaignProgramWorkflow

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


PROGRAM = "program_flow"


async def record_program(env: WorkflowEnvironment, folder: Path) -> None:
    """A program over the simulator and the real worker: a 6-contact pilot approved by the `approve` update, the
    main wave, and a follow-up of the unreached contacts (tests/test_program.py's path)."""
    csv = write_sample_csv(folder / "contacts.csv", 30)
    with running_simulator(api_key="golden-program", time_scale=0.002) as sim:
        with SimAdmin(sim) as admin:
            window = admin.window(retry_count=0)
        req = ProgramRequest.model_validate(
            {
                "campaign_name": "Golden program",
                "agent_id": "agent-golden",
                "csv_uri": str(csv),
                "variables_map": DEFAULT_MAP,
                "from_numbers": ["3b1f5c2e-8a41-4d0b-9c7e-1a2b3c4d5e01"],
                "flow": "standard",
                "polling": {"upload_initial_s": 0.2, "monitor_initial_s": 0.3, "monitor_max_s": 0.6},
                "pilot": {"rows": 6, "approve": "manual"},
                "follow_up": [{"after": "1s", "statuses": ["failed", "error"]}],
                **window,
            }
        )
        sources = csv_sources_from_env({"CAMPAIGN_CSV_DIRS": str(folder)})
        async with worker_for(
            env.client, sim, prefix="golden-program", report_dir=folder / "reports", csv_sources=sources
        ) as worker:
            started = await start_program(env.client, req, task_queue=worker.task_queue, sources=sources)
            while (await started.handle.query(CampaignProgramWorkflow.progress)).stage != "awaiting approval":
                await asyncio.sleep(0.2)
            await started.handle.execute_update(CampaignProgramWorkflow.approve, ApproveInput(by="golden"))
            await started.handle.result()
            history = await started.handle.fetch_history()
    (HERE / f"{PROGRAM}.json").write_text(history.to_json())
    print(f"recorded {PROGRAM}: {len(history.events)} events")


async def record(names: list[str]) -> None:
    chosen = {name: s for name, s in scenarios().items() if not names or name in names}
    unknown = set(names) - set(chosen) - {PROGRAM}
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
        if not names or PROGRAM in names:
            with tempfile.TemporaryDirectory(prefix="golden-program-") as tmp:
                await record_program(env, Path(tmp))


if __name__ == "__main__":
    asyncio.run(record(sys.argv[1:]))
