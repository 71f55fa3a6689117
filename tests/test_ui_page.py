"""Reading the Temporal UI's User Metadata tab (devtools/ui_page.py) from page text as the browser returns it:
when it counts as rendered, the `calls` figure, and the checks against the campaign."""

from __future__ import annotations

from devtools.ui_page import NO_DETAILS, NO_SUMMARY, Expected, PageState, checks, flat

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
