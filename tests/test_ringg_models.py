"""Ringg models and errors without HTTP: request validation, lenient parsing, PII-free reprs, pickling."""

from __future__ import annotations

import copy
import pickle
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from ringg import (
    CallRecord,
    CampaignForm,
    HistoryQuery,
    MakeCallAsyncRequest,
    RinggNotFound,
    RinggRateLimited,
    RinggTransportError,
    StartRequest,
    TerminateRequest,
    UploadCsvResult,
    UploadState,
    upload_state,
)
from ringg.errors import parse_retry_after

START = datetime(2026, 11, 23, tzinfo=UTC)


def test_campaign_form_rejects_unknown_fields() -> None:
    with pytest.raises(ValidationError):
        CampaignForm.model_validate(
            {"agent_id": "a", "campaign_name": "n", "country_code": "IN", "variables_map": {}, "typo": 1}
        )


WINDOW = {"campaign_start_time": "18/10/2026, 09:00", "campaign_end_time": "18/10/2026, 18:00"}
SCHEDULE = {**WINDOW, "call_config": {"call_time": {"timezone": "Asia/Kolkata"}}}


def test_campaign_form_fields_minimal() -> None:
    fields = CampaignForm(
        agent_id="a", campaign_name="n", country_code="IN", variables_map={}, **SCHEDULE
    ).form_fields()
    assert fields == {
        "agent_id": "a",
        "campaign_name": "n",
        "country_code": "IN",
        "variables_map": "{}",
        **WINDOW,
        "call_config": '{"call_time": {"timezone": "Asia/Kolkata"}}',
        "remove_invalid_rows": "false",
        "transliterate_callee_name": "false",
    }


@pytest.mark.parametrize("missing", ["campaign_start_time", "campaign_end_time", "call_config"])
def test_the_window_and_call_config_are_required_to_upload_and_to_launch(missing: str) -> None:
    """D-save and D-upcsv's field tables, D-async's schema: Ringg answers 422 without them."""
    schedule = {k: v for k, v in SCHEDULE.items() if k != missing}
    with pytest.raises(ValidationError, match=missing):
        CampaignForm(agent_id="a", campaign_name="n", country_code="IN", variables_map={}, **schedule)
    with pytest.raises(ValidationError, match=missing):
        MakeCallAsyncRequest(bulk_list_id="b", agent_id="a", country_code="IN", number_pool_id="p", **schedule)
    with pytest.raises(ValidationError, match="country_code"):
        MakeCallAsyncRequest(bulk_list_id="b", agent_id="a", number_pool_id="p", **SCHEDULE)


def test_terminate_request_needs_a_selector_and_caps_lists() -> None:
    with pytest.raises(ValidationError, match="one of campaign_id"):
        TerminateRequest()
    with pytest.raises(ValidationError):
        TerminateRequest(mobile_numbers=[f"+9198000{i:05d}" for i in range(101)])
    with pytest.raises(ValidationError):
        TerminateRequest(call_ids=[f"c{i}" for i in range(101)])
    req = TerminateRequest(campaign_id="cmp", mobile_numbers=["+919800000001"])
    assert "+919800000001" not in repr(req)
    assert TerminateRequest(agent_id="agt").model_dump(exclude_none=True) == {"agent_id": "agt"}


def test_make_call_async_needs_exactly_one_number_source() -> None:
    base = {"bulk_list_id": "b", "agent_id": "a", "country_code": "IN", **SCHEDULE}
    with pytest.raises(ValidationError, match="exactly one"):
        MakeCallAsyncRequest.model_validate(base)
    with pytest.raises(ValidationError, match="exactly one"):
        MakeCallAsyncRequest.model_validate(base | {"from_numbers": ["n"], "number_pool_id": "p"})
    for bad in (-1, 101):
        with pytest.raises(ValidationError):
            MakeCallAsyncRequest.model_validate(base | {"number_pool_id": "p", "concurrency_percentage": bad})
    assert MakeCallAsyncRequest.model_validate(base | {"number_pool_id": "p", "concurrency_percentage": 0})


def test_start_request_needs_from_numbers() -> None:
    with pytest.raises(ValidationError):
        StartRequest(agent_id="a", list_id="l", from_numbers=[])


def test_history_query_requires_aware_ordered_dates() -> None:
    with pytest.raises(ValidationError):
        HistoryQuery(start_date=datetime(2026, 11, 23), end_date=datetime(2026, 11, 24))
    with pytest.raises(ValidationError, match="before"):
        HistoryQuery(start_date=START, end_date=START - timedelta(days=1))
    query = HistoryQuery.model_validate(
        {"start_date": "2025-09-25T00:00:00+05:30", "end_date": "2025-09-25T23:59:59+05:30"}
    )
    assert query.to_params()["start_date"] == "2025-09-25T00:00:00+05:30"
    assert "download" not in query.to_params()


@pytest.mark.parametrize(
    ("status", "state"),
    [
        *[(s, UploadState.PENDING) for s in ("uploaded", "processing", "verifying", "in_db", "queued", "pending")],
        ("validating", UploadState.PENDING),
        *[(s, UploadState.READY) for s in ("completed", "ready", "draft", "verified", "success", " Ready ")],
        *[(s, UploadState.FAILED) for s in ("failed", "error", "FAILED")],
        *[(s, UploadState.UNKNOWN) for s in ("", None, "insufficient_balance", "scheduled")],
    ],
)
def test_upload_state_mapping(status: str | None, state: UploadState) -> None:
    assert upload_state(status) is state


def test_lenient_counts() -> None:
    result = UploadCsvResult.model_validate({"list_id": 42, "total_rows": "12.0", "invalidated_rows_count": ""})
    assert (result.bulk_list_id, result.total, result.invalidated_rows_count) == ("42", 12, None)
    with pytest.raises(ValidationError):
        UploadCsvResult.model_validate({"bulk_list_id": "b", "total": "12.5"})


def test_call_record_transcript_json_object_and_repr() -> None:
    call = CallRecord.model_validate({"id": "c", "transcript": '{"bot": "hi"}', "to_number": "+15550001"})
    assert call.transcript == [{"bot": "hi"}]
    assert repr(call) == (
        "CallRecord(id='c', status=None, sub_status=None, call_duration=None, call_cost=None,"
        " created_at=None, call_attempt_time=None, bulk_list_id=None, retry_count=None,"
        " next_attempt_time=None)"
    )


def test_errors_survive_pickle_and_copy() -> None:
    errors = [
        RinggNotFound("GET campaign/all", 404, "nope"),
        RinggRateLimited("GET campaign/all", 429, "slow down", 7.0),
        RinggTransportError("GET campaign/all", "ReadTimeout: timed out", maybe_committed=True),
    ]
    for err in errors:
        for clone in (pickle.loads(pickle.dumps(err)), copy.copy(err)):  # noqa: S301
            assert type(clone) is type(err) and str(clone) == str(err)
            assert vars(clone) == vars(err)


def test_error_str_truncates_long_messages() -> None:
    err = RinggNotFound("GET workspace", 404, "y" * 2000)
    assert len(err.server_message) == 500 and err.server_message.endswith("...")


def test_parse_retry_after() -> None:
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert parse_retry_after("0", now) == 0.0
    assert parse_retry_after("2.5", now) == 2.5
    assert parse_retry_after("-3", now) is None
    assert parse_retry_after("nan", now) is None
    assert parse_retry_after("Mon, 23 Nov 2026 12:01:30 GMT", now) == 90.0
    assert parse_retry_after("not a date", now) is None
    assert parse_retry_after(None, now) is None
