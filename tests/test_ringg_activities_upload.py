"""RinggActivities against a fake Ringg: upload_contacts (reconcile-first: one POST per tagged list, even after a
lost response) and get_upload_status (pending, ready with counts, failed with a redacted reason)."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio.exceptions import ApplicationErrorCategory
from temporalio.testing import ActivityEnvironment

from activities.ringg.activities import RinggActivities
from tests.ringg_activity_helpers import (
    AGENT,
    CSV_TEXT,
    LIST_ID,
    OTHER_TAGGED_NAME,
    SCHEDULE,
    TAG,
    TAGGED_NAME,
    FakeRingg,
    failure,
    multipart,
    posts,
    ref,
    run,
    run_with_retry,
    upload_input,
)
from tests.ringg_activity_helpers import acts as acts  # fixtures: pytest finds them by these names
from tests.ringg_activity_helpers import csv_path as csv_path
from tests.ringg_activity_helpers import ringg as ringg

# --- upload_contacts -----------------------------------------------------------------------------------------


async def test_large_upload_posts_upload_csv_once_with_the_tagged_name(
    ringg: FakeRingg, acts: RinggActivities, csv_path: Path
) -> None:
    result = await run(acts.upload_contacts, upload_input(csv_path))

    assert result.list_id == "bulk-new-1" and not result.reused_existing
    assert result.ringg_status == "uploaded"
    assert posts(ringg) == ["POST campaign/upload-csv"]
    (lookup,) = ringg.sent("GET campaign/all")
    assert lookup.url.params["search"] == TAG
    fields, files = multipart(ringg.sent("POST campaign/upload-csv")[0])
    assert fields["campaign_name"] == TAGGED_NAME and fields["campaign_name"].endswith(f"[{TAG}]")
    assert fields["agent_id"] == AGENT and fields["country_code"] == "+91"
    assert json.loads(fields["variables_map"]) == {"mobile_number": "Mobile Number", "callee_name": "Name"}
    assert json.loads(fields["call_config"]) == {"call_time": {"timezone": "Asia/Kolkata"}}
    assert fields["campaign_start_time"] == "18/10/2026, 09:00"
    assert files["file"] == csv_path.read_bytes()


async def test_standard_upload_posts_campaign_save(ringg: FakeRingg, acts: RinggActivities, csv_path: Path) -> None:
    result = await run(acts.upload_contacts, upload_input(csv_path, flow="standard"))

    assert posts(ringg) == ["POST campaign/save"]
    assert result.list_id == "bulk-new-1" and result.ringg_status == "draft" and not result.reused_existing
    assert (result.contacts, result.invalid_rows) == (2, 1)
    fields, _ = multipart(ringg.sent("POST campaign/save")[0])
    assert fields["campaign_name"] == TAGGED_NAME
    assert fields["campaign_end_time"] == SCHEDULE["campaign_end_time"]


@pytest.mark.parametrize("flow", ["large", "standard"])
async def test_an_upload_without_the_window_is_refused_before_sending(
    ringg: FakeRingg, acts: RinggActivities, csv_path: Path, flow: str
) -> None:
    """upload-csv and save require the window and call_config (D-upcsv's and D-save's field tables)."""
    err = await failure(acts.upload_contacts, upload_input(csv_path, flow=flow, call_config={}))

    assert err.non_retryable and err.type == "InvalidCampaignRequest" and "call_config" in str(err)
    assert posts(ringg) == []


@pytest.mark.parametrize("flow", ["large", "standard"])
async def test_upload_reuses_a_list_already_created_under_the_same_tag(
    ringg: FakeRingg, acts: RinggActivities, csv_path: Path, flow: str
) -> None:
    url = "https://files.ringg.test/invalid.csv"
    ringg.add_campaign("bulk-other", OTHER_TAGGED_NAME, "draft")
    ringg.add_campaign(
        "bulk-existing",
        TAGGED_NAME,
        "draft",
        total_contacts=2,
        invalidated_rows_count=1,
        invalid_entries_file=url,
    )

    result = await run(acts.upload_contacts, upload_input(csv_path, flow=flow))

    assert result.list_id == "bulk-existing" and result.reused_existing
    assert (result.ringg_status, result.contacts, result.invalid_rows, result.invalid_rows_url) == ("draft", 2, 1, url)
    assert posts(ringg) == []


async def test_upload_reuses_the_oldest_tagged_list(ringg: FakeRingg, acts: RinggActivities, csv_path: Path) -> None:
    ringg.add_campaign("bulk-first", TAGGED_NAME, "verifying")
    ringg.add_campaign("bulk-second", TAGGED_NAME, "draft")
    ringg.campaigns.reverse()  # listing order must not matter

    result = await run(acts.upload_contacts, upload_input(csv_path))

    assert result.list_id == "bulk-first" and result.reused_existing
    assert posts(ringg) == []


async def test_upload_after_a_lost_response_reuses_the_committed_list(
    ringg: FakeRingg, acts: RinggActivities, csv_path: Path
) -> None:
    ringg.lose_response.add("POST campaign/upload-csv")

    result = await run_with_retry(acts.upload_contacts, upload_input(csv_path))

    assert result.reused_existing and result.list_id == "bulk-new-1"
    assert posts(ringg) == ["POST campaign/upload-csv"]


async def test_upload_ignores_a_failed_list_with_the_same_tag(
    ringg: FakeRingg, acts: RinggActivities, csv_path: Path
) -> None:
    ringg.add_campaign("bulk-failed", TAGGED_NAME, "failed")

    result = await run(acts.upload_contacts, upload_input(csv_path))

    assert result.list_id == "bulk-new-1" and not result.reused_existing
    assert posts(ringg) == ["POST campaign/upload-csv"]


async def test_upload_refuses_a_csv_that_changed_since_preflight(
    ringg: FakeRingg, acts: RinggActivities, csv_path: Path
) -> None:
    inp = upload_input(csv_path)
    csv_path.write_text(CSV_TEXT + "Meera Iyer,+919800000003,Chennai\n", encoding="utf-8")

    err = await failure(acts.upload_contacts, inp)

    assert err.type == "CsvChanged" and err.non_retryable
    assert "nothing was uploaded" in err.message
    assert posts(ringg) == []


async def test_upload_of_a_missing_file_is_invalid_csv(ringg: FakeRingg, acts: RinggActivities, tmp_path: Path) -> None:
    inp = upload_input(tmp_path / "missing.csv")

    err = await failure(acts.upload_contacts, inp)

    assert err.type == "InvalidCsv" and err.non_retryable
    assert "missing.csv" in err.message and "not found" in err.message
    assert posts(ringg) == []


async def test_upload_heartbeats_when_the_activity_has_a_heartbeat_timeout(
    ringg: FakeRingg, acts: RinggActivities, csv_path: Path
) -> None:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, heartbeat_timeout=timedelta(seconds=30))
    beats: list[tuple[Any, ...]] = []
    env.on_heartbeat = lambda *details: beats.append(details)

    result = await run(acts.upload_contacts, upload_input(csv_path), env)

    assert result.list_id == "bulk-new-1"
    assert beats


# --- get_upload_status ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["uploaded", "processing", "verifying", "in_db"])
async def test_upload_status_pending_is_a_benign_retryable_error(
    ringg: FakeRingg, acts: RinggActivities, status: str
) -> None:
    ringg.upload_statuses[LIST_ID] = {"bulk_list_id": LIST_ID, "status": status, "total_rows": 2}

    err = await failure(acts.get_upload_status, ref())

    assert err.type == "UploadPending" and not err.non_retryable
    assert err.category is ApplicationErrorCategory.BENIGN
    assert status in err.message


@pytest.mark.parametrize(
    ("body", "contacts", "invalid_rows", "invalid_url"),
    [
        (
            {
                "bulk_list_id": LIST_ID,
                "status": "completed",
                "total_callees": 120,
                "invalidated_rows_count": 3,
                "invalidated_rows_csv_url": "https://files.ringg.test/a.csv",
            },
            120,
            3,
            "https://files.ringg.test/a.csv",
        ),
        (
            {
                "campaign_id": LIST_ID,
                "status": "draft",
                "total_contacts": "118",
                "invalidated_rows_count": "5",
                "invalid_entries_file": "https://files.ringg.test/b.csv",
            },
            118,
            5,
            "https://files.ringg.test/b.csv",
        ),
        ({"bulk_list_id": LIST_ID, "status": "Ready", "total_callees": 7}, 7, 0, None),
    ],
    ids=["completed", "draft", "ready"],
)
async def test_upload_status_ready_returns_counts(
    ringg: FakeRingg,
    acts: RinggActivities,
    body: dict[str, Any],
    contacts: int,
    invalid_rows: int,
    invalid_url: str | None,
) -> None:
    ringg.upload_statuses[LIST_ID] = body

    result = await run(acts.get_upload_status, ref())

    assert result.status == body["status"]
    assert (result.contacts, result.invalid_rows, result.invalid_rows_url) == (contacts, invalid_rows, invalid_url)
    assert ringg.routes() == [f"GET campaign/upload-status/{LIST_ID}"]


@pytest.mark.parametrize(
    "body",
    [
        {"status": "failed", "message": "Row 2: invalid mobile number +91 98765 43210"},
        {"status": "error", "error": {"message": "Row 2: invalid mobile number 9876543210"}},
    ],
    ids=["failed", "error"],
)
async def test_upload_status_failed_is_non_retryable_with_redacted_reason(
    ringg: FakeRingg, acts: RinggActivities, body: dict[str, Any]
) -> None:
    ringg.upload_statuses[LIST_ID] = {"bulk_list_id": LIST_ID, **body}

    err = await failure(acts.get_upload_status, ref())

    assert err.type == "UploadFailed" and err.non_retryable
    assert "Row 2: invalid mobile number <redacted>" in err.message
    assert LIST_ID in err.message
    assert "98765" not in err.message and "43210" not in err.message
