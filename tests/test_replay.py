"""Replays committed histories with the current workflow code: a change that breaks determinism for
campaigns already running fails here (see tests/histories/record.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from client.converter import DATA_CONVERTER
from workflows.campaign import CampaignWorkflow
from workflows.claim import CampaignKeyClaimWorkflow
from workflows.program import CampaignProgramWorkflow

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def test_golden_histories_exist() -> None:
    assert len(HISTORIES) >= 3, "record them with `python -m tests.histories.record`"


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_replays_without_nondeterminism(path: Path) -> None:
    history = WorkflowHistory.from_json(f"golden-{path.stem}", path.read_text())
    replayer = Replayer(
        workflows=[CampaignWorkflow, CampaignKeyClaimWorkflow, CampaignProgramWorkflow], data_converter=DATA_CONVERTER
    )
    await replayer.replay_workflow(history)
