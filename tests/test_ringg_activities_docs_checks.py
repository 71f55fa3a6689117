"""RinggActivities against a fake Ringg (httpx.MockTransport) for the checks issue 12 asks of the product: the
number pool before upload, upload-status as progress in every documented vocabulary, Ringg's refusal of invalid
rows, has_ongoing_calls from start, and the count of contacts never called."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import pytest_asyncio
from pydantic import SecretStr
from temporalio.testing import ActivityEnvironment

from activities.ringg.activities import RinggActivities
from contract.ringg_checks import NotCalledInput, NumberPoolInput
from contract.ringg_steps import SnapshotInput, UploadStatusRead
from domain.invalid_rows import refusal_names_invalid_rows
from ringg import RinggClient, make_http_client
from tests.ringg_activity_helpers import (
    BASE,
    KEY,
    LIST_ID,
    PREFIX,
    TAG,
    TAGGED_NAME,
    FakeRingg,
    failure,
    launch_input,
    ok,
    posts,
    ref,
    run,
    upload_input,
)
from tests.ringg_activity_helpers import acts as acts  # fixtures: pytest finds them by these names
from tests.ringg_activity_helpers import csv_path as csv_path
from tests.ringg_activity_helpers import ringg as ringg

POOL = "pool-7c9e"

# --- check_number_pool ---------------------------------------------------------------------------------------


class PoolRingg:
    """GET workspace/numbers (paged) and, when `pools` is set, the dashboard's GET number-pool listing."""

    def __init__(self, numbers: list[dict[str, Any]], pools: list[dict[str, Any]] | None = None) -> None:
        self.numbers, self.pools = numbers, pools
        self.routes: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        route = request.url.path.removeprefix(PREFIX)
        self.routes.append(route)
        offset, limit = int(request.url.params.get("offset", "0")), int(request.url.params.get("limit", "20"))
        if route == "workspace/numbers":
            return httpx.Response(200, json={"workspace_numbers": self.numbers[offset : offset + limit]})
        if route == "number-pool" and self.pools is not None:
            page = self.pools[offset : offset + limit]
            return httpx.Response(200, json={"status": "success", "data": {"pools": page, "count": len(page)}})
        return httpx.Response(404, json={"detail": "Not Found"})


def number(i: int, pool: str | None, *, spam: bool = False) -> dict[str, Any]:
    return {"id": f"n-{i}", "number": f"+9122699768{i:02d}", "number_pool_id": pool, "is_spam": spam, "call_count": i}


async def check_pool(fake: PoolRingg, pool_id: str) -> Any:
    async with make_http_client(BASE, SecretStr(KEY), transport=httpx.MockTransport(fake)) as http:
        return await run(RinggActivities(RinggClient(http)).check_number_pool, NumberPoolInput(number_pool_id=pool_id))


async def test_a_pool_with_workspace_numbers_is_known_without_asking_the_listing() -> None:
    # 130 numbers: the pool's member is on the second page of workspace/numbers.
    fake = PoolRingg([number(i, None) for i in range(120)] + [number(120, POOL), number(121, POOL, spam=True)])
    result = await check_pool(fake, POOL)
    assert (result.members, result.spam_members, result.listed, result.warnings) == (2, 1, False, [])
    assert "number-pool" not in fake.routes and fake.routes.count("workspace/numbers") == 2


async def test_a_pool_whose_every_number_is_spam_is_a_warning_not_a_refusal() -> None:
    result = await check_pool(PoolRingg([number(1, POOL, spam=True)]), POOL)
    assert result.members == 1 and result.warnings == [
        f"every number of pool {POOL} (1) is flagged as spam; Ringg may skip them all"
    ]


async def test_a_pool_without_numbers_is_known_when_the_pool_listing_names_it() -> None:
    fake = PoolRingg([number(1, None)], pools=[{"id": POOL, "name": "Sales", "member_count": 0}])
    result = await check_pool(fake, POOL)
    assert result.listed and result.members == 0 and fake.routes[-1] == "number-pool"


@pytest.mark.parametrize("listing", [None, [{"id": "pool-other", "name": "Other"}]], ids=["no-listing", "listed"])
async def test_an_unknown_pool_is_refused_for_good_naming_the_known_pools(listing: list[dict[str, Any]] | None) -> None:
    fake = PoolRingg([number(1, "pool-a"), number(2, "pool-b"), number(3, None)], pools=listing)
    async with make_http_client(BASE, SecretStr(KEY), transport=httpx.MockTransport(fake)) as http:
        err = await failure(
            RinggActivities(RinggClient(http)).check_number_pool, NumberPoolInput(number_pool_id="nope")
        )
    assert err.type == "UnknownNumberPool" and err.non_retryable
    assert "number_pool_id nope is not a number pool" in err.message and "nothing was uploaded" in err.message
    assert "pool-a, pool-b" in err.message
    if listing:
        assert "pool-other" in err.message


# --- read_upload_status ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (  # the prose guidance's vocabulary, mid-way
            {"status": "processing", "total_rows": 6200, "processed_rows": 2800, "successful_rows": 2744,
             "failed_rows": 56},
            {"ready": False, "total_rows": 6200, "processed_rows": 2800, "successful_rows": 2744, "failed_rows": 56,
             "percent": 45.2, "contacts": None, "invalid_rows": 56},
        ),
        (  # the prose guidance's vocabulary, done: the contacts are the accepted rows, not every row received
            {"status": "completed", "total_rows": "6200", "processed_rows": 6200, "successful_rows": 6144,
             "failed_rows": 56},
            {"ready": True, "total_rows": 6200, "processed_rows": 6200, "successful_rows": 6144, "failed_rows": 56,
             "percent": 100.0, "contacts": 6144, "invalid_rows": 56},
        ),
        (  # the OpenAPI example's vocabulary while verifying: no row counts at all
            {"status": "verifying", "total_callees": 0, "invalidated_rows_count": 0},
            {"ready": False, "total_rows": None, "processed_rows": None, "percent": None, "contacts": None},
        ),
        (  # the OpenAPI vocabulary, done: rows received are not derived (kept invalid rows may be among the callees)
            {"status": "ready", "total_callees": 4988, "invalidated_rows_count": 12,
             "invalidated_rows_csv_url": "https://files.ringg.test/a.csv"},
            {"ready": True, "total_rows": None, "successful_rows": 4988, "failed_rows": 12,
             "percent": 100.0, "contacts": 4988, "invalid_rows": 12,
             "invalid_rows_url": "https://files.ringg.test/a.csv"},
        ),
        (  # the dashboard fixture's vocabulary
            {"status": "in_db", "campaign_id": LIST_ID},
            {"ready": False, "total_rows": None, "percent": None},
        ),
        (
            {"status": "draft", "campaign_id": LIST_ID, "total_contacts": 9, "invalidated_rows_count": 1,
             "invalid_entries_file": "https://files.ringg.test/b.csv"},
            {"ready": True, "total_rows": None, "successful_rows": 9, "failed_rows": 1, "percent": 100.0, "contacts": 9,
             "invalid_rows_url": "https://files.ringg.test/b.csv"},
        ),
    ],
    ids=["prose-processing", "prose-completed", "openapi-verifying", "openapi-ready", "fixture-in_db", "fixture-draft"],
)  # fmt: skip
async def test_read_upload_status_reports_progress_in_every_vocabulary(
    ringg: FakeRingg, acts: RinggActivities, body: dict[str, Any], expected: dict[str, Any]
) -> None:
    ringg.upload_statuses[LIST_ID] = {"bulk_list_id": LIST_ID, **body}

    result = await run(acts.read_upload_status, UploadStatusRead(**ref().model_dump()))

    assert result.status == body["status"]
    assert {k: getattr(result, k) for k in expected} == expected


async def test_read_upload_status_failed_is_non_retryable(ringg: FakeRingg, acts: RinggActivities) -> None:
    ringg.upload_statuses[LIST_ID] = {"bulk_list_id": LIST_ID, "status": "failed", "message": "bad header"}
    err = await failure(acts.read_upload_status, UploadStatusRead(**ref().model_dump()))
    assert err.type == "UploadFailed" and err.non_retryable and "bad header" in err.message


# --- upload: Ringg's refusal of invalid rows ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("detail", "count"),
    [
        ({"detail": "Found 3 invalid rows; set remove_invalid_rows=true to skip them"}, 3),
        ({"error": {"message": "invalid rows: 1,204 (row 7: +91 98765 43210 is on the DNC list)"}}, 1204),
        ({"detail": "Upload failed: some rows are invalid"}, None),
        (
            {
                "detail": "4 of 40 rows are invalid, so the upload failed and no list was created. Fix those rows "
                "and upload again, or set remove_invalid_rows=true to skip them."
            },
            4,
        ),
    ],
    ids=["detail", "error-message", "no-count", "n-of-m"],
)
async def test_save_refusing_invalid_rows_stops_for_good_with_the_count_and_what_to_do(
    ringg: FakeRingg, acts: RinggActivities, csv_path: Any, detail: dict[str, Any], count: int | None
) -> None:
    ringg.fail("POST campaign/save", httpx.Response(400, json=detail))

    err = await failure(acts.upload_contacts, upload_input(csv_path, flow="standard"))

    assert err.type == "RinggInvalidRows" and err.non_retryable
    rows = f"{count:,} invalid row" if count else "invalid rows"
    assert f"Campaign 'Diwali offers' was not started: Ringg found {rows}" in err.message
    assert "nothing was uploaded or launched" in err.message and "remove_invalid_rows=true" in err.message
    assert "98765" not in err.message, "a phone number from Ringg's message reached the error"
    assert posts(ringg) == ["POST campaign/save"]


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("remove_invalid_rows must be a boolean", (False, None)),
        ("Invalid agent_id", (False, None)),
        ("Upload failed: some rows are invalid; set remove_invalid_rows=true (row limit 5000)", (True, None)),
        ("CSV has rows with invalid mobile numbers", (True, None)),
        ("invalid rows: 12", (True, 12)),
    ],
)
def test_which_refusals_are_about_invalid_rows(message: str, expected: tuple[bool, int | None]) -> None:
    assert refusal_names_invalid_rows(message) == expected


async def test_a_400_about_something_else_stays_a_plain_rejection(
    ringg: FakeRingg, acts: RinggActivities, csv_path: Any
) -> None:
    ringg.fail("POST campaign/save", httpx.Response(400, json={"detail": "Invalid agent_id"}))
    err = await failure(acts.upload_contacts, upload_input(csv_path, flow="standard"))
    assert err.type == "RinggRejected" and "Invalid agent_id" in err.message


async def test_save_counts_reach_the_upload_result(ringg: FakeRingg, acts: RinggActivities, csv_path: Any) -> None:
    ringg.save_counts = (40, 37, 3)
    result = await run(acts.upload_contacts, upload_input(csv_path, flow="standard", remove_invalid_rows=True))
    assert (result.total_rows, result.contacts, result.invalid_rows) == (40, 37, 3)
    fields_sent = ringg.sent("POST campaign/save")[0].content
    assert b'name="remove_invalid_rows"\r\n\r\ntrue' in fields_sent


async def test_save_with_failed_rows_finds_the_report_in_the_lists_row(
    ringg: FakeRingg, acts: RinggActivities, csv_path: Any
) -> None:
    url = "https://files.ringg.test/invalid.csv"
    ringg.save_counts = (40, 37, 3)
    original = ringg._upload

    def upload_then_report(path: str, request: httpx.Request) -> httpx.Response:
        response = original(path, request)
        ringg.campaigns[-1]["invalid_entries_file"] = url
        return response

    ringg._upload = upload_then_report  # type: ignore[method-assign]  # the list's row carries the report URL
    result = await run(acts.upload_contacts, upload_input(csv_path, flow="standard", remove_invalid_rows=True))
    assert result.invalid_rows == 3 and result.invalid_rows_url == url
    assert posts(ringg) == ["POST campaign/save"]


async def test_save_report_lookup_failing_does_not_fail_the_upload(
    ringg: FakeRingg, acts: RinggActivities, csv_path: Any
) -> None:
    ringg.save_counts = (40, 37, 3)
    ringg.fail("GET campaign/all", ok({"campaigns": []}), httpx.Response(500, json={"detail": "boom"}))
    result = await run(acts.upload_contacts, upload_input(csv_path, flow="standard", remove_invalid_rows=True))
    assert result.invalid_rows == 3 and result.invalid_rows_url is None and not result.reused_existing
    assert posts(ringg) == ["POST campaign/save"]


# --- launch: has_ongoing_calls ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"), [(True, True), ("false", False), (1, True), ("", None), ("sometimes", None)]
)
async def test_start_reports_has_ongoing_calls_tolerantly(
    ringg: FakeRingg, acts: RinggActivities, value: Any, expected: bool | None
) -> None:
    ringg.add_campaign(LIST_ID, "whatever [x]", "draft")
    ringg.fail(
        "POST campaign/start",
        httpx.Response(200, json={"status": "campaign registered successfully!", "has_ongoing_calls": value}),
    )
    result = await run(acts.launch_campaign, launch_input("standard", from_numbers=["n-1"]))
    assert result.has_ongoing_calls is expected and not result.already_launched


# --- count_not_called ------------------------------------------------------------------------------------------


class CancelledHistory:
    """`calling/history?status=cancelled`: `attempted` of the cancelled calls were dialled before the stop."""

    def __init__(self, cancelled: int, attempted: set[int], *, with_total: bool = True) -> None:
        self.rows = [
            {
                "id": f"c-{i}",
                "status": "cancelled",
                "call_attempt_time": "2030-10-18T09:00:05+00:00" if i in attempted else None,
                "call_duration": 0.0,
                "retry_count": 0,
            }
            for i in range(cancelled)
        ]
        self.with_total = with_total
        self.offsets: list[int] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        assert params["status"] == "cancelled" and params["bulk_list_id"] == LIST_ID
        limit, offset = int(params["limit"]), int(params["offset"])
        self.offsets.append(offset)
        body: dict[str, Any] = {"calls": self.rows[offset : offset + limit], "limit": limit, "offset": offset}
        if self.with_total:
            body["total"] = len(self.rows)
        return httpx.Response(200, json=body)


@pytest_asyncio.fixture
async def history() -> AsyncIterator[CancelledHistory]:
    yield CancelledHistory(250, attempted={3, 150, 249})


def not_called_input() -> NotCalledInput:
    return NotCalledInput(list_id=LIST_ID, since=datetime(2030, 10, 18, tzinfo=UTC))


@pytest.mark.parametrize("with_total", [True, False])
async def test_count_not_called_counts_cancelled_calls_never_attempted(with_total: bool) -> None:
    fake = CancelledHistory(250, attempted={3, 150, 249}, with_total=with_total)
    async with make_http_client(BASE, SecretStr(KEY), transport=httpx.MockTransport(fake)) as http:
        result = await run(RinggActivities(RinggClient(http)).count_not_called, not_called_input())
    assert (result.not_called, result.cancelled) == (247, 250)
    assert fake.offsets == [0, 100, 200]


async def test_count_not_called_resumes_from_its_heartbeat(history: CancelledHistory) -> None:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, heartbeat_details=[{"not_called": 99, "cancelled": 100, "requests": 1}])
    async with make_http_client(BASE, SecretStr(KEY), transport=httpx.MockTransport(history)) as http:
        result = await env.run(RinggActivities(RinggClient(http)).count_not_called, not_called_input())
    assert history.offsets == [100, 200]
    assert (result.not_called, result.cancelled, result.requests) == (247, 250, 3)
    assert json.loads(json.dumps(result.model_dump())) == result.model_dump()


# --- snapshot_campaign: the scheduled probe ------------------------------------------------------------------------


def probe_input() -> SnapshotInput:
    return SnapshotInput(list_id=LIST_ID, idempotency_tag=TAG, since=datetime.now(UTC), scheduled_probe=True)


async def test_a_scheduled_campaign_costs_one_request_a_poll(ringg: FakeRingg, acts: RinggActivities) -> None:
    ringg.add_campaign(LIST_ID, TAGGED_NAME, "scheduled")
    ringg.calls_by_status = {"registered": 40}

    snap = await run(acts.snapshot_campaign, probe_input())

    assert (snap.ringg_status, snap.counts_read, snap.requests, snap.finished) == ("scheduled", False, 1, False)
    assert ringg.routes() == ["GET campaign/all"], "history was read although Ringg still waits for the start time"


async def test_a_probe_that_finds_the_campaign_started_reads_the_counts(
    ringg: FakeRingg, acts: RinggActivities
) -> None:
    ringg.add_campaign(LIST_ID, TAGGED_NAME, "ongoing")
    ringg.calls_by_status = {"registered": 30, "ongoing": 10}

    snap = await run(acts.snapshot_campaign, probe_input())

    assert snap.counts_read and snap.ringg_status == "ongoing"
    assert snap.calls_by_status == {"registered": 30, "ongoing": 10}
    assert ringg.sent("GET calling/history"), "the counts were not read"
