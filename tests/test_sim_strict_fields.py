"""The simulator is as strict as Ringg's docs about what a request must hold: each documented required field, the
call_config schema, the documented 400s and remove_invalid_rows (docs/simulator.md lists the rule behind each)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from ringg_sim.testing import RunningSimulator, running_simulator
from tests.sim_strict_helpers import AGENT, NUMBER_ID, Strict, contacts_csv, strict_client

pytestmark = pytest.mark.integration

POOL = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
UPLOAD_FIELDS = (
    "agent_id",
    "campaign_name",
    "country_code",
    "variables_map",
    "campaign_start_time",
    "campaign_end_time",
    "call_config",
)


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with running_simulator(api_key="sim-strict-fields-5e1d", time_scale=0.001) as running:
        yield running


@pytest.fixture
def s(sim: RunningSimulator) -> Iterator[Strict]:
    with strict_client(sim) as client:
        yield client


def _missing(resp: Any, field: str) -> bool:
    detail = resp.json()["detail"]
    return resp.status_code == 422 and isinstance(detail, list) and any(e["loc"][-1] == field for e in detail)


@pytest.mark.parametrize("field", UPLOAD_FIELDS)
def test_upload_csv_and_save_refuse_a_missing_required_field(s: Strict, field: str) -> None:
    window = s.admin.window()
    for post in (s.upload_csv, s.save):
        for value in (None, ""):
            resp = post(contacts_csv(3), window, **{field: value})
            assert _missing(resp, field), (post.__name__, value, resp.text)
    assert s.admin.stats()["uploads"] == [], "a refused upload must create no list"


@pytest.mark.parametrize("field", ["country_code", "campaign_start_time", "campaign_end_time", "call_config"])
def test_make_call_async_refuses_a_missing_required_field(s: Strict, field: str) -> None:
    """D-async's schema marks them required: a large list uploaded without them cannot be launched either."""
    window = s.admin.window()
    bulk = s.uploaded(contacts_csv(3), window)
    body = s.launch_body(bulk, window)
    for broken in ({k: v for k, v in body.items() if k != field}, {**body, field: None}):
        resp = s.api.post("/campaign/make-call-async", json=broken)
        assert _missing(resp, field), resp.text
    assert s.admin.stats()["launches"] == {}
    assert s.launch(bulk, window).status_code == 200


@pytest.mark.parametrize(
    ("where", "change"),
    [
        ("timezone", {"call_time": {"timezone": "Mars/Olympus"}}),
        ("call_start_time", {"call_time": {"call_start_time": "9am", "timezone": "Asia/Kolkata"}}),
        ("call_end_time", {"call_time": {"call_start_time": "09:00", "call_end_time": "09:00"}}),
        ("scheduled_at", {"call_time": {"scheduled_at": "tomorrow morning"}}),
        ("retry_count", {"call_retry_config": {"retry_count": -1}}),
        ("retry_count", {"call_retry_config": {"retry_count": "2"}}),
        ("retry_busy", {"call_retry_config": {"retry_busy": -5}}),
        ("retry_failed", {"call_retry_config": {"retry_failed": "thirty"}}),
        ("call_time", {"call_time": "09:00-18:00"}),
    ],
)
def test_a_malformed_call_config_is_a_422_naming_the_field(s: Strict, where: str, change: dict[str, Any]) -> None:
    window = s.admin.window()
    bad = {**window, "call_config": {**window["call_config"], **change}}
    bulk = s.uploaded(contacts_csv(2), window)
    for resp in (s.upload_csv(contacts_csv(2), bad), s.save(contacts_csv(2), bad), s.launch(bulk, bad)):
        assert resp.status_code == 422, resp.text
        assert any(where in str(e["loc"][-1]) for e in resp.json()["detail"]), resp.text


def test_a_malformed_window_is_a_422(s: Strict) -> None:
    window = s.admin.window()
    start, end = window["campaign_start_time"], window["campaign_end_time"]
    for bad, field in (
        ({**window, "campaign_start_time": "2026-10-18 09:00"}, "campaign_start_time"),
        ({**window, "campaign_end_time": "18/10/2026"}, "campaign_end_time"),
        ({**window, "campaign_start_time": end, "campaign_end_time": start}, "campaign_end_time"),
    ):
        for resp in (s.upload_csv(contacts_csv(2), bad), s.save(contacts_csv(2), bad)):
            assert resp.status_code == 422 and resp.json()["detail"][0]["loc"][-1] == field, resp.text
    resp = s.upload_csv(contacts_csv(2), window, call_config="[1, 2]")
    assert resp.status_code == 422 and resp.json()["detail"][0]["loc"][-1] == "call_config"
    assert s.admin.stats()["uploads"] == []


def test_v2_start_answers_400_where_the_docs_say_400(s: Strict) -> None:
    """D-startv2 "400: Invalid agent_id, list_id, or number_pool_id; campaign already started"; D-start keeps its
    documented 404 for an unknown list."""
    window = s.admin.window()
    list_id = s.save(contacts_csv(3), window).json()["list_id"]
    start = {"agent_id": AGENT, "list_id": list_id, "number_pool_id": POOL}
    for body, needle in (
        ({**start, "list_id": "no-such-list"}, "list_id"),
        ({**start, "agent_id": "someone-else"}, "agent_id"),
        ({**start, "number_pool_id": "no-such-pool"}, "number_pool_id"),
    ):
        resp = s.api.post("/campaign/v2/start", json=body)
        assert resp.status_code == 400 and needle in resp.json()["detail"], resp.text
    assert s.api.post("/campaign/v2/start", json=start).status_code == 200
    again = s.api.post("/campaign/v2/start", json=start)
    assert again.status_code == 400 and again.json()["detail"] == "campaign already started"
    old = s.api.post("/campaign/start", json={"agent_id": AGENT, "list_id": "nope", "from_numbers": [NUMBER_ID]})
    assert old.status_code == 404
    assert s.admin.stats()["launches"] == {list_id: 1}


def test_save_with_invalid_rows_fails_the_whole_upload_unless_remove_invalid_rows(s: Strict) -> None:
    """D-save: "Set remove_invalid_rows=true to automatically skip problematic contacts instead of failing the
    entire upload"."""
    window = s.admin.window()
    refused = s.save(contacts_csv(10, bad=3), window)
    assert refused.status_code == 400
    message = refused.json()["detail"]
    assert "3 of 13 rows are invalid" in message and "remove_invalid_rows=true" in message
    assert s.admin.stats()["uploads"] == [], "no list may be created"
    saved = s.save(contacts_csv(10, bad=3), window, remove_invalid_rows="true")
    assert saved.status_code == 200
    body = saved.json()
    assert (body["total_rows"], body["successful_rows"], body["failed_rows"]) == (13, 10, 3)
    assert s.admin.campaign(body["list_id"])["list_rows"] == 10


def test_upload_csv_keeps_ringg_invalidated_rows_unless_removed_and_dials_them_to_failure(s: Strict) -> None:
    """D-upstatus: "If the response shows invalid rows, fix and re-upload the CSV unless your workflow
    intentionally removes invalid rows": kept, they are in the list, dialled, and fail."""
    s.admin.configure(dnc_every=5)
    try:
        window = s.admin.window()
        kept = s.launched(contacts_csv(9, bad=1), window)
        removed = s.uploaded(contacts_csv(9, bad=1), window, remove_invalid_rows="true")
    finally:
        s.admin.configure(dnc_every=0)
    status = s.api.get(f"/campaign/upload-status/{kept}").json()
    assert status["status"] == "completed" and status["invalidated_rows_count"] == 2  # row 5 (DNC) and "120"
    assert status["invalidated_rows_csv_url"].endswith(f"/_sim/files/{kept}/invalid_rows.csv")
    assert status["total_callees"] == 10
    assert s.admin.campaign(removed)["list_rows"] == 8
    truth = s.finished(kept)
    bad = [c for c in truth if c["sub_status"] in ("INVALID_NUMBER", "DND_SKIPPED")]
    assert Counter(c["sub_status"] for c in bad) == {"INVALID_NUMBER": 1, "DND_SKIPPED": 1}
    assert all(c["status"] == "failed" and c["attempts"] == 1 and c["cost"] == 0 for c in bad)
    rows = {r["id"]: r for r in s.history(kept)}
    assert {rows[c["call_id"]]["to_number"] for c in bad} == {"120", "+919800000004"}
    assert all(rows[c["call_id"]]["has_call_attempts"] for c in bad)


def test_pool_and_numbers_and_callback_fields_are_accepted_as_documented(s: Strict) -> None:
    window = s.admin.window()
    bulk = s.uploaded(contacts_csv(2), window)
    both = s.launch(bulk, window, number_pool_id=POOL)
    assert both.status_code == 422  # D-async: "Sending both or neither results in a 422"
    body = s.launch_body(bulk, window, from_numbers=None, number_pool_id=POOL, concurrency_percentage=25)
    body |= {"callback_url": "http://127.0.0.1:9/cb", "email_completion_user_ids": ["u-1"]}
    resp = s.api.post("/campaign/make-call-async", json=body)
    assert resp.status_code == 200 and resp.json()["status"] == "scheduled"
    [launch] = s.admin.campaign(bulk)["launches"]
    assert launch["concurrency_percentage"] == 25 and launch["email_completion_user_ids"] == ["u-1"]
    assert json.loads(json.dumps(launch["window"]))["timezone"] == "Asia/Kolkata"
