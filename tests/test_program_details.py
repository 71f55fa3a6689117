"""The Markdown a program shows in the Temporal UI (workflows/program_details.py): lists the UI renders legibly
(its tables have no cell padding), the pilot's figures while it awaits approval, and the same text for the same
state."""

from __future__ import annotations

from contract.campaign import CallCounts
from contract.program import PilotOutcome, ProgramProgress, WaveState
from workflows.program_details import MAX_WAVE_ROWS, program_markdown

DEADLINE = "2026-12-05T16:23:41+00:00"


PILOT = PilotOutcome(
    contacts=12,
    dialled=12,
    connected=8,
    connect_rate=0.6667,
    failed=4,
    failure_rate=0.3333,
    failures_by_sub_status={"USER_DID_NOT_JOIN": 1, "VOICEMAIL_DETECTED": 3},
    cost=8.0,
    cost_per_call=0.666667,
)


def awaiting() -> ProgramProgress:
    return ProgramProgress(
        stage="awaiting approval",
        message="pilot done",
        step="approval",
        contacts=60,
        approval_deadline=DEADLINE,
        pilot=PILOT.model_copy(deep=True),
        calls=CallCounts(total=12, by_status={"completed": 8, "failed": 4}),
        waves=[
            WaveState(
                wave_id="pilot", phase="pilot", contacts=12, status="completed", calls_by_status={"completed": 12}
            ),
            WaveState(wave_id="main", phase="main", contacts=48),
        ],
    )


def test_awaiting_approval_shows_the_deadline_and_the_pilots_figures_as_lists() -> None:
    text = program_markdown(awaiting())
    assert "|" not in text
    for line in (
        "**Stage:** `awaiting approval` — pilot done",
        f"- **approve or reject by** {DEADLINE}",
        "- calls: 12 (completed 8, failed 4)",
        "**Pilot:** 12 contacts, 12 dialled",
        "- connect rate **66.7%** (8 connected)",
        "- failure rate **33.3%** (4 failed)",
        "- failures by sub-status: VOICEMAIL_DETECTED 3, USER_DID_NOT_JOIN 1",  # most first
        "- cost **8** (0.6667 per dialled contact)",
        "- `pilot`: 12 contacts, completed, 12 calls",
        "- `main`: 48 contacts, planned",
    ):
        assert line in text.splitlines(), (line, text)
    assert program_markdown(awaiting()) == text


def test_the_deadline_goes_once_decided_and_waves_are_bounded() -> None:
    p = awaiting()
    p.stage, p.approval = "running", "approved by ops"
    p.waves = [WaveState(wave_id=f"w{i}", phase="follow_up") for i in range(MAX_WAVE_ROWS + 5)]
    text = program_markdown(p)
    assert "approve or reject by" not in text and "- approval: approved by ops" in text
    assert f"**Waves:** (the last {MAX_WAVE_ROWS} of {MAX_WAVE_ROWS + 5})" in text
    assert "`w4`" not in text and "`w5`" in text and f"`w{MAX_WAVE_ROWS + 4}`" in text
