"""RinggActivities against a fake Ringg: snapshot_campaign (calls counted by status from the call history, whether
the campaign finished) and terminate_campaign."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from activities.ringg.activities import RinggActivities
from activities.ringg.monitoring import COMMON_STATUSES, KNOWN_STATUSES, ROWS_PAGE, settled_statuses
from contract.ringg_steps import SnapshotInput, TerminateInput
from tests.ringg_activity_helpers import LIST_ID, TAG, TAGGED_NAME, FakeRingg, route_of, run
from tests.ringg_activity_helpers import acts as acts  # fixtures: pytest finds them by these names
from tests.ringg_activity_helpers import ringg as ringg

# --- snapshot_campaign ---------------------------------------------------------------------------------------


def snapshot_input(since: datetime, expected_calls: int | None = None) -> SnapshotInput:
    return SnapshotInput(list_id=LIST_ID, idempotency_tag=TAG, since=since, expected_calls=expected_calls)


async def test_snapshot_counts_calls_by_status_from_history_totals(ringg: FakeRingg, acts: RinggActivities) -> None:
    since = datetime.now(UTC) - timedelta(hours=5)
    ringg.add_campaign(LIST_ID, TAGGED_NAME, "ongoing")
    ringg.calls_by_status = {"completed": 40, "failed": 3, "ongoing": 2, "voicemail": 5}
    before = datetime.now(UTC)

    snap = await run(acts.snapshot_campaign, snapshot_input(since))

    assert snap.ringg_status == "ongoing"
    assert snap.calls_by_status == {"completed": 40, "failed": 3, "ongoing": 2, "other": 5}
    assert snap.total_calls == 50 and not snap.finished
    history = ringg.sent("GET calling/history")
    assert snap.requests == len(history) + 1 == len(KNOWN_STATUSES) + 2
    assert sorted(r.url.params.get("status", "") for r in history) == sorted(["", *KNOWN_STATUSES])
    assert {"registered", "ongoing", "retry", "completed", "failed"} <= set(KNOWN_STATUSES)
    for request in history:
        params = request.url.params
        assert params["bulk_list_id"] == LIST_ID
        assert (params["limit"], params["offset"]) == ("1", "0")
        assert "download" not in params
        assert datetime.fromisoformat(params["start_date"]) <= since
        assert datetime.fromisoformat(params["end_date"]) >= before


async def test_snapshot_of_a_campaign_started_ahead_of_this_clock_asks_past_its_start(
    ringg: FakeRingg, acts: RinggActivities
) -> None:
    # `since` is workflow time: on Temporal's time-skipping test server it runs days ahead of the worker's clock.
    since = datetime.now(UTC) + timedelta(days=3)
    ringg.add_campaign(LIST_ID, TAGGED_NAME, "ongoing")
    ringg.calls_by_status = {"completed": 4}

    await run(acts.snapshot_campaign, snapshot_input(since))

    for request in ringg.sent("GET calling/history"):
        params = request.url.params
        assert datetime.fromisoformat(params["start_date"]) <= since
        assert datetime.fromisoformat(params["end_date"]) >= since + timedelta(days=1), "an empty date range"


async def test_a_call_counted_under_two_statuses_is_counted_once(ringg: FakeRingg, acts: RinggActivities) -> None:
    # 3 calls moved from registered to ongoing between the parallel requests: read under both.
    ringg.add_campaign(LIST_ID, TAGGED_NAME, "ongoing")
    ringg.calls_by_status = {"registered": 50, "ongoing": 13, "completed": 40}
    ringg.total_calls = 100

    snap = await run(acts.snapshot_campaign, snapshot_input(datetime.now(UTC) - timedelta(hours=1)))

    assert snap.calls_by_status == {"registered": 47, "ongoing": 13, "completed": 40} and snap.total_calls == 100


async def test_snapshot_pages_through_history_when_total_is_missing(ringg: FakeRingg, acts: RinggActivities) -> None:
    ringg.add_campaign(LIST_ID, TAGGED_NAME, "ongoing")
    ringg.calls_by_status = {"completed": 150, "failed": 3}
    ringg.history_has_total = False

    snap = await run(acts.snapshot_campaign, snapshot_input(datetime.now(UTC) - timedelta(hours=1)))

    assert snap.calls_by_status == {"completed": 150, "failed": 3}
    assert snap.total_calls == 153
    completed = [r.url.params for r in ringg.sent("GET calling/history") if r.url.params.get("status") == "completed"]
    assert [(p["limit"], p["offset"]) for p in completed] == [("1", "0"), ("100", "0"), ("100", "100")]
    assert snap.requests == len(ringg.sent("GET calling/history")) + 1


@pytest.mark.parametrize(
    ("ringg_status", "counts", "expected_calls", "finished"),
    [
        ("completed", {"completed": 3, "ongoing": 1}, None, False),  # counts lag: polled again
        ("completed", {"completed": 3, "failed": 1}, None, True),
        ("terminated", {"completed": 2, "cancelled": 3}, None, True),
        ("terminated", {"completed": 2, "retry": 1}, None, False),
        ("ongoing", {"completed": 3, "failed": 1}, 4, True),
        ("ongoing", {"completed": 3, "registered": 1}, 4, False),
        ("ongoing", {"completed": 3, "ongoing": 1}, 4, False),
        ("ongoing", {"completed": 3, "retry": 1}, 4, False),
        ("ongoing", {"completed": 3}, 4, False),
        ("ongoing", {"completed": 3}, None, False),
        ("scheduled", {}, None, False),
    ],
)
async def test_snapshot_finished(
    ringg: FakeRingg,
    acts: RinggActivities,
    ringg_status: str,
    counts: dict[str, int],
    expected_calls: int | None,
    finished: bool,
) -> None:
    ringg.add_campaign(LIST_ID, TAGGED_NAME, ringg_status)
    ringg.calls_by_status = counts

    snap = await run(acts.snapshot_campaign, snapshot_input(datetime.now(UTC), expected_calls))

    assert snap.ringg_status == ringg_status
    assert snap.calls_by_status == counts
    assert snap.finished is finished


async def test_snapshot_of_a_list_missing_from_ringg(ringg: FakeRingg, acts: RinggActivities) -> None:
    snap = await run(acts.snapshot_campaign, snapshot_input(datetime.now(UTC)))

    assert snap.ringg_status is None and snap.calls_by_status == {} and not snap.finished


# --- terminate_campaign --------------------------------------------------------------------------------------


async def test_terminate_patches_with_the_list_id(ringg: FakeRingg, acts: RinggActivities) -> None:
    result = await run(acts.terminate_campaign, TerminateInput(list_id=LIST_ID))

    assert result.message == "Campaign terminated successfully"
    (request,) = ringg.requests
    assert route_of(request) == "PATCH campaign/terminate"
    assert json.loads(request.content) == {"campaign_id": LIST_ID}


# --- what a poll costs ---------------------------------------------------------------------------------------


async def test_a_list_that_fits_one_page_is_counted_from_its_rows_in_one_request(
    ringg: FakeRingg, acts: RinggActivities
) -> None:
    ringg.add_campaign(LIST_ID, TAGGED_NAME, "ongoing")
    ringg.calls_by_status = {"completed": 11, "ongoing": 4, "retry": 3, "voicemail": 2}

    snap = await run(acts.snapshot_campaign, snapshot_input(datetime.now(UTC) - timedelta(hours=1), 20))

    assert snap.calls_by_status == {"completed": 11, "ongoing": 4, "retry": 3, "other": 2}
    assert snap.total_calls == 20 and not snap.finished
    history = ringg.sent("GET calling/history")
    assert len(history) == 1 and history[0].url.params["limit"] == str(ROWS_PAGE)
    assert "status" not in history[0].url.params
    assert snap.requests == 2  # the history page and the campaign's status


async def test_a_page_short_of_its_total_falls_back_to_the_totals(ringg: FakeRingg, acts: RinggActivities) -> None:
    # Ringg holds more rows than the campaign expected (retries as rows, say): the page is not the whole list.
    ringg.add_campaign(LIST_ID, TAGGED_NAME, "ongoing")
    ringg.calls_by_status = {"completed": 90, "failed": 30}

    snap = await run(acts.snapshot_campaign, snapshot_input(datetime.now(UTC) - timedelta(hours=1), 80))

    assert snap.calls_by_status == {"completed": 90, "failed": 30} and snap.total_calls == 120
    statuses = [r.url.params.get("status") for r in ringg.sent("GET calling/history")]
    assert statuses[0] is None and sorted(s for s in statuses[1:] if s) == sorted(COMMON_STATUSES)
    assert len(statuses) == 1 + len(COMMON_STATUSES), "the first page's total is reused, not asked again"


async def test_a_settled_status_is_not_asked_again_unless_calls_go_missing(
    ringg: FakeRingg, acts: RinggActivities
) -> None:
    ringg.add_campaign(LIST_ID, TAGGED_NAME, "ongoing")
    ringg.calls_by_status = {"completed": 300, "ongoing": 100, "retry": 100}
    previous = {"completed": 250, "ongoing": 150, "retry": 100}
    inp = snapshot_input(datetime.now(UTC) - timedelta(hours=1), 500).model_copy(update={"previous_counts": previous})

    snap = await run(acts.snapshot_campaign, inp)

    assert snap.calls_by_status == {"completed": 300, "ongoing": 100, "retry": 100}
    asked = [r.url.params.get("status") for r in ringg.sent("GET calling/history")]
    assert "registered" not in asked and len(asked) == len(COMMON_STATUSES)

    # A call registered again after all (Ringg re-queued it): the missing count is asked for, never guessed.
    ringg.requests.clear()
    ringg.calls_by_status = {"completed": 300, "ongoing": 100, "retry": 99, "registered": 1}
    snap = await run(acts.snapshot_campaign, inp)
    assert snap.calls_by_status == {"completed": 300, "ongoing": 100, "retry": 99, "registered": 1}
    assert "registered" in [r.url.params.get("status") for r in ringg.sent("GET calling/history")]


def test_settled_statuses_only_once_every_call_is_on_the_list_and_none_registered() -> None:
    assert settled_statuses({"completed": 5, "ongoing": 5}, 10) == ["registered"]
    assert settled_statuses({"completed": 5, "ongoing": 4}, 10) == []
    assert settled_statuses({"registered": 1, "completed": 9}, 10) == []
    assert settled_statuses({"completed": 10}, None) == []


async def test_final_statuses_are_read_after_the_pending_ones(ringg: FakeRingg, acts: RinggActivities) -> None:
    """A call that ends while a poll runs is then counted in its final status, never missed (as 'other')."""
    ringg.add_campaign(LIST_ID, TAGGED_NAME, "ongoing")
    ringg.calls_by_status = {"completed": 300, "ongoing": 100, "retry": 50, "registered": 50}

    await run(acts.snapshot_campaign, snapshot_input(datetime.now(UTC) - timedelta(hours=1), 500))

    asked = [r.url.params.get("status") for r in ringg.sent("GET calling/history")][1:]
    last_pending = max(i for i, s in enumerate(asked) if s in ("registered", "ongoing", "retry"))
    first_final = min(i for i, s in enumerate(asked) if s in ("completed", "failed", "error"))
    assert last_pending < first_final, asked
