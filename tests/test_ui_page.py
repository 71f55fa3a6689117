"""Reading the Temporal UI's User Metadata tab (devtools/ui_page.py) from page text as the browser returns it:
when it counts as rendered, the `calls` figure, and the checks against the campaign or the program."""

from __future__ import annotations

import re

from devtools.ui_page import NO_DETAILS, NO_SUMMARY, Expected, PageState, ProgramExpected, checks, flat, page_checks
from tests.test_program_details import DEADLINE, PILOT, awaiting
from workflows.program_details import program_markdown

WORKFLOW_ID = "campaign-ui-check-0123456789ab"
CURRENT = (
    "\n\n\nStage: monitoring — launched\n\n\nfield\tvalue\nlist id\tlist-42\nflow\tstandard\n"
    "contacts\t1497 (rejected by Ringg: 0)\ncalls\t1498\n· registered\t1154\n· completed\t151\n"
    "polls\t7 (updated 2026-11-23T20:25:13+00:00)\n"
)
EXPECTED = Expected(WORKFLOW_ID, "UI check 2026-11-23 20:25:00", "demo-agent", "monitoring", "list-42")


def rendered_state(**overrides: str | None) -> PageState:
    fields: dict[str, str | None] = {
        "page": f"RUNNING\n{WORKFLOW_ID}\nUser Metadata\nSummary\nDetails\nCurrent Details",
        "summary": "\n\nRingg campaign \u2018UI check 2026-11-23 20:25:00\u2019\n",
        "details": "Campaign UI check 2026-11-23 20:25:00\n- agent demo-agent, flow auto, 1 caller number(s)\n",
        "current": CURRENT,
    }
    fields.update(overrides)
    return PageState(**fields)  # type: ignore[arg-type]


def test_all_checks_pass_on_a_rendered_page() -> None:
    state = rendered_state()
    assert state.rendered() and state.calls() == 1498
    results = checks(state, EXPECTED)
    assert [c.what for c in results if not c.ok] == []
    assert len(results) == 6


def test_not_rendered_until_the_current_details_show_a_stage() -> None:
    assert not PageState.from_js({"page": "Loading", "summary": None, "details": None, "current": None}).rendered()
    assert not rendered_state(current="").rendered()
    assert not rendered_state(summary=None).rendered()  # neither the frame nor the UI's "no summary" line yet


def test_missing_summary_is_rendered_but_fails_its_checks() -> None:
    state = rendered_state(summary=None, details=None, page=f"{WORKFLOW_ID}\n{NO_SUMMARY}\n{NO_DETAILS}")
    assert state.rendered()
    failed = {c.what: c.seen for c in checks(state, EXPECTED) if not c.ok}
    assert failed == {"summary names the campaign": NO_SUMMARY, "details show the campaign and its agent": NO_DETAILS}


def test_wrong_stage_and_no_calls_row_fail() -> None:
    state = rendered_state(current="Stage: uploading\n\nfield\tvalue\nlist id\tlist-42\npolls\t0")
    failed = {c.what for c in checks(state, EXPECTED) if not c.ok}
    assert failed == {"current details: stage monitoring", "current details: calls counted"}
    assert state.calls() is None


def test_from_js_tolerates_odd_values() -> None:
    assert PageState.from_js(None) == PageState("", None, None, None)
    assert PageState.from_js({"page": 3, "current": "Stage: x"}).current == "Stage: x"
    assert flat(" a\tb\n\n c ") == "a b c"


def as_rendered(markdown: str) -> str:
    """Roughly the text a browser shows for the Markdown: no emphasis or code marks, no list bullets."""
    return re.sub(r"^- ", "", markdown.replace("**", "").replace("`", ""), flags=re.MULTILINE)


PROGRAM = ProgramExpected("program-ui-program-0123", "UI program check", "demo-agent", DEADLINE, PILOT)


def program_state(current: str) -> PageState:
    return PageState(
        page="RUNNING\nprogram-ui-program-0123\nUser Metadata",
        summary="Ringg campaign program \u2018UI program check\u2019",
        details="Campaign program UI program check\n\nagent demo-agent\npilot: 12 contacts, approval manual",
        current=current,
    )


def test_program_checks_pass_on_the_markdown_the_workflow_sets() -> None:
    state = program_state(as_rendered(program_markdown(awaiting())))
    assert state.rendered()
    results = page_checks(state, PROGRAM)
    assert [c.what for c in results if not c.ok] == []
    assert {"current details: connect rate", "current details: failures VOICEMAIL_DETECTED"} <= {
        c.what for c in results
    }


def test_program_checks_fail_without_the_pilots_figures_or_the_stage() -> None:
    progress = awaiting()
    progress.pilot = None
    failed = {c.what for c in page_checks(program_state(as_rendered(program_markdown(progress))), PROGRAM) if not c.ok}
    assert {"current details: connect rate", "current details: failure rate", "current details: cost"} <= failed
    assert "current details: failures USER_DID_NOT_JOIN" in failed
    progress = awaiting()
    progress.stage = "running"
    failed = {c.what for c in page_checks(program_state(as_rendered(program_markdown(progress))), PROGRAM) if not c.ok}
    assert failed == {"current details: stage awaiting approval", "current details: approve-by deadline"}
    progress = awaiting()
    progress.approval_deadline, progress.message = None, f"pilot done; approve or reject by {DEADLINE}"
    failed = {c.what for c in page_checks(program_state(as_rendered(program_markdown(progress))), PROGRAM) if not c.ok}
    assert failed == {"current details: approve-by deadline"}  # in the stage's message only, not on its own line
