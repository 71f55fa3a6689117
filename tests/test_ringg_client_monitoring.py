"""RinggClient against httpx.MockTransport: monitoring (campaign list and search, call history, terminate), with
the response variants seen in the docs and the dashboard."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx

from ringg import HistoryQuery, TerminateRequest
from tests.ringg_client_helpers import LIST_ID, Recorder, ok, ringg


def campaign_row(i: int, name: str, **extra: Any) -> dict[str, Any]:
    return {"id": f"cmp-{i}", "name": name, "campaign_status": "ongoing", "agent_id": "agt-1"} | extra


async def test_list_campaigns_fixture_shape() -> None:
    row = campaign_row(
        1,
        "Overdue accounts - Mumbai",
        campaign_status="INSUFFICIENT_BALANCE",
        created_at="2026-11-20T10:00:00Z",
        total_calls=318,
        total_contacts=540,
        invalidated_rows_count=4,
        invalid_entries_file="https://files.example/invalid.csv",
        csv_file_name="overdue_mumbai.csv",
        additional_balance_required="4500",
    )
    rec = Recorder(ok({"campaigns": [row], "pagination": {"total": 9, "limit": 50, "offset": 0}}))
    async with ringg(rec) as client:
        page = await client.list_campaigns(limit=50, offset=0, search="Overdue")
    assert (rec.last.method, rec.last.url.path) == ("GET", "/ca/api/v0/campaign/all")
    assert dict(rec.last.url.params) == {"limit": "50", "offset": "0", "search": "Overdue"}
    assert (page.total, page.limit, page.offset) == (9, 50, 0)
    (campaign,) = page.campaigns
    assert campaign.id == "cmp-1" and campaign.name == "Overdue accounts - Mumbai"
    assert campaign.campaign_status == "insufficient_balance"
    assert (campaign.total_calls, campaign.total_contacts, campaign.invalidated_rows_count) == (318, 540, 4)
    assert campaign.invalidated_rows_csv_url == "https://files.example/invalid.csv"
    assert campaign.additional_balance_required == 4500.0
    assert campaign.created_at == "2026-11-20T10:00:00Z"
    assert campaign.model_extra == {"csv_file_name": "overdue_mumbai.csv"}


async def test_list_campaigns_alternative_keys() -> None:
    rows = [{"campaign_id": LIST_ID, "campaign_name": "X", "status": "Scheduled"}]
    rec = Recorder(ok({"data": rows, "total": 1}))
    async with ringg(rec) as client:
        page = await client.list_campaigns()
    assert dict(rec.last.url.params) == {"limit": "50", "offset": "0"}
    assert page.total == 1
    assert (page.campaigns[0].id, page.campaigns[0].name, page.campaigns[0].campaign_status) == (
        LIST_ID,
        "X",
        "scheduled",
    )


async def test_find_campaigns_pages_and_filters_locally() -> None:
    # The server ignores `search`: five campaigns, two of which match.
    names = ["cmp-A run-1", "other", "cmp-A run-2", "misc", "another"]
    seen: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        seen.append(params)
        offset, limit = int(params["offset"]), int(params["limit"])
        rows = [campaign_row(i, names[i]) for i in range(offset, min(offset + limit, len(names)))]
        return ok({"campaigns": rows, "pagination": {"total": len(names), "limit": limit, "offset": offset}})

    async with ringg(handler) as client:
        found = await client.find_campaigns("cmp-A", page_size=2)
    assert [c.id for c in found] == ["cmp-0", "cmp-2"]
    assert [(p["offset"], p["search"]) for p in seen] == [("0", "cmp-A"), ("2", "cmp-A"), ("4", "cmp-A")]


async def test_find_campaigns_stops_on_short_page_without_total() -> None:
    rec = Recorder(
        ok({"campaigns": [campaign_row(0, "x1"), campaign_row(1, "x2")]}),
        ok({"campaigns": [campaign_row(2, "x3")]}),
    )
    async with ringg(rec) as client:
        found = await client.find_campaigns("x", page_size=2)
    assert [c.name for c in found] == ["x1", "x2", "x3"]
    assert len(rec.requests) == 2


async def test_find_campaigns_respects_max_pages_and_ignored_offset() -> None:
    calls = 0

    def same_page(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return ok({"campaigns": [campaign_row(calls * 10 + i, f"x{i}") for i in range(2)]})

    async with ringg(same_page) as client:
        found = await client.find_campaigns("x", page_size=2, max_pages=3)
    assert (calls, len(found)) == (3, 6)

    # A server that ignores offset repeats page one: stop instead of looping to max_pages.
    page_one = {"campaigns": [campaign_row(i, f"x{i}") for i in range(2)]}
    rec = Recorder(*(ok(page_one) for _ in range(50)))
    async with ringg(rec) as client:
        found = await client.find_campaigns("x", page_size=2, max_pages=50)
    assert len(rec.requests) == 2 and [c.id for c in found] == ["cmp-0", "cmp-1"]


HISTORY_ROW = {
    "id": "34a29572-9e09-453d-bcb8-90cdbb157c79",
    "to_number": "+918882876897",
    "name": "abhishek",
    "status": "completed",
    "transcript": '[{"bot": "Hi there!"}, {"user": "hello"}]',
    "audio_recording": "https://media.example/rec.mp3",
    "created_at": "2025-11-24T11:37:43.678043+00:00",
    "agent": {"id": "5d7cdc09", "agent_name": "test after prod"},
    "call_duration": 7.98,
    "call_attempt_time": "2025-11-24T11:37:48.549486+00:00",
    "call_cost": 0.2,
    "call_type": "outbound",
    "from_numbers": ["+912269976804"],
    "voicemail_detected": False,
}


async def test_call_history_request_and_docs_example() -> None:
    rec = Recorder(ok({"calls": [HISTORY_ROW], "limit": 10, "offset": 0, "count": 1, "total": 1}))
    query = HistoryQuery(
        bulk_list_id=LIST_ID,
        start_date=datetime(2026, 11, 23, tzinfo=UTC),
        end_date=datetime(2026, 11, 30, 23, 59, tzinfo=UTC),
        status="completed",
    )
    async with ringg(rec) as client:
        page = await client.call_history(query)
    req = rec.last
    assert (req.method, req.url.path) == ("GET", "/ca/api/v0/calling/history")
    assert dict(req.url.params) == {
        "start_date": "2026-11-23T00:00:00+00:00",
        "end_date": "2026-11-30T23:59:00+00:00",
        "limit": "100",
        "offset": "0",
        "bulk_list_id": LIST_ID,
        "status": "completed",
    }
    assert b"start_date=2026-11-23T00%3A00%3A00%2B00%3A00" in req.url.query
    assert b"download" not in req.url.query
    assert (page.limit, page.offset, page.count, page.total) == (10, 0, 1, 1)
    (call,) = page.calls
    assert call.id == HISTORY_ROW["id"]
    assert call.transcript == [{"bot": "Hi there!"}, {"user": "hello"}]
    assert (call.status, call.call_duration, call.call_cost) == ("completed", 7.98, 0.2)
    assert call.to_number == "+918882876897" and call.name == "abhishek"
    assert call.audio_recording == "https://media.example/rec.mp3"
    for text in (repr(call), str(call), repr(page)):
        assert "+918882876897" not in text and "abhishek" not in text and "Hi there" not in text
        assert "+912269976804" not in text  # extras are left out of repr too


async def test_call_history_row_variants() -> None:
    rows = [
        # Dashboard v2 names (call_id, callee_name, call_status, ...) and a list transcript.
        {
            "call_id": "c1",
            "callee_name": "Asha",
            "call_status": "RETRY",
            "call_sub_status": "NO_ANSWER",
            "recording_url": "https://media.example/c1.mp3",
            "transcript": [{"bot": "hi"}, "stray"],
            "bulk_list_id": LIST_ID,
            "retry_count": "1",
            "next_attempt_time": "2026-11-23T10:30:00+05:30",
        },
        {"id": "c2", "transcript": "not json at all", "status": "failed", "call_duration": ""},
        {"id": "c3", "transcript": "", "sub_status": "ACCEPTED"},
    ]
    rec = Recorder(ok({"calls": rows, "limit": 3, "offset": 3, "count": 3, "total": 9}))
    query = HistoryQuery(
        start_date=datetime(2026, 11, 23, tzinfo=UTC), end_date=datetime(2026, 11, 24, tzinfo=UTC), offset=3
    )
    async with ringg(rec) as client:
        page = await client.call_history(query)
    assert rec.last.url.params["offset"] == "3" and "bulk_list_id" not in rec.last.url.params
    c1, c2, c3 = page.calls
    assert (c1.id, c1.name, c1.status, c1.sub_status) == ("c1", "Asha", "retry", "NO_ANSWER")
    assert c1.audio_recording == "https://media.example/c1.mp3"
    assert c1.transcript == [{"bot": "hi"}, {"raw": "stray"}]
    assert (c1.bulk_list_id, c1.retry_count, c1.next_attempt_time) == (
        LIST_ID,
        1,
        "2026-11-23T10:30:00+05:30",
    )
    assert c2.transcript == [{"raw": "not json at all"}] and c2.call_duration is None
    assert c3.transcript is None and c3.sub_status == "ACCEPTED"
    assert (page.offset, page.total) == (3, 9)


async def test_terminate_json_body() -> None:
    rec = Recorder(ok({"message": "Calls terminated successfully!"}))
    async with ringg(rec) as client:
        result = await client.terminate(TerminateRequest(campaign_id=LIST_ID, mobile_numbers=["+919800000001"]))
    assert (rec.last.method, rec.last.url.path) == ("PATCH", "/ca/api/v0/campaign/terminate")
    assert json.loads(rec.last.content) == {"campaign_id": LIST_ID, "mobile_numbers": ["+919800000001"]}
    assert result.message == "Calls terminated successfully!"


async def test_empty_success_body_parses_optional_only_models() -> None:
    async with ringg(Recorder(httpx.Response(204))) as client:
        result = await client.terminate(TerminateRequest(call_ids=["c1"]))
    assert result.message is None
