"""RinggActivities against a fake Ringg: Ringg's errors mapped to Temporal retry semantics, and logs that carry no
API key, phone number or contact name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import structlog
from structlog.testing import capture_logs

from activities.ringg.activities import RinggActivities
from contract.ringg_steps import ListRef, SnapshotInput, TerminateInput
from tests.ringg_activity_helpers import (
    KEY,
    LIST_ID,
    NAMES,
    PHONES,
    TAG,
    FakeRingg,
    failure,
    launch_input,
    posts,
    ref,
    run,
    upload_input,
)
from tests.ringg_activity_helpers import acts as acts  # fixtures: pytest finds them by these names
from tests.ringg_activity_helpers import csv_path as csv_path
from tests.ringg_activity_helpers import ringg as ringg

# --- error mapping -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "kind", "retryable", "delay", "fragment"),
    [
        (
            httpx.Response(401, json={"detail": f"Invalid API key {KEY}"}),
            "RinggAuthError",
            False,
            None,
            "RINGG_API_KEY",
        ),
        (httpx.Response(403, json={"detail": "Forbidden"}), "RinggAuthError", False, None, "RINGG_API_KEY"),
        (
            httpx.Response(402, json={"detail": "Insufficient credits in workspace"}),
            "InsufficientBalance",
            False,
            None,
            "Insufficient credits in workspace",
        ),
        (
            httpx.Response(
                422,
                json={"detail": [{"loc": ["body", "agent_id"], "msg": "field required", "input": {"x": PHONES[0]}}]},
            ),
            "RinggRejected",
            False,
            None,
            "body.agent_id: field required",
        ),
        (
            httpx.Response(404, json={"detail": "Bulk list not found"}),
            "RinggRejected",
            False,
            None,
            "Bulk list not found",
        ),
        (
            httpx.Response(429, json={"detail": "Too many requests"}, headers={"Retry-After": "7"}),
            "RinggRateLimited",
            True,
            timedelta(seconds=7),
            "after 7s",
        ),
        (httpx.Response(429, json={"detail": "Too many requests"}), "RinggRateLimited", True, None, "backoff"),
        (httpx.Response(500, text="Internal Server Error"), "RinggServerError", True, None, "500"),
        (httpx.Response(503, json={"message": "upstream unavailable"}), "RinggServerError", True, None, "503"),
        (httpx.ConnectError("[Errno 111] Connection refused"), "RinggUnavailable", True, None, "ConnectError"),
        (
            httpx.RemoteProtocolError("Server disconnected without sending a response."),
            "RinggUnavailable",
            True,
            None,
            "RemoteProtocolError",
        ),
    ],
    ids=["401", "403", "402", "422", "404", "429-retry-after", "429", "500", "503", "connect", "protocol"],
)
async def test_ringg_errors_map_to_retry_semantics(
    ringg: FakeRingg,
    acts: RinggActivities,
    reply: httpx.Response | Exception,
    kind: str,
    retryable: bool,
    delay: timedelta | None,
    fragment: str,
) -> None:
    ringg.fail(f"POST campaign/check-balance/{LIST_ID}", reply)

    err = await failure(acts.check_balance, ref())

    assert err.type == kind
    assert err.non_retryable is not retryable
    assert err.next_retry_delay == delay
    assert fragment in err.message
    assert "checking the balance" in err.message
    assert PHONES[0] not in err.message


@pytest.mark.parametrize("code", [401, 403])
async def test_auth_errors_from_any_activity_name_the_key_setting(
    ringg: FakeRingg, acts: RinggActivities, csv_path: Path, code: int
) -> None:
    ringg.fail("GET campaign/all", *[httpx.Response(code, json={"detail": f"bad key {KEY}"}) for _ in range(2)])
    ringg.fail("PATCH campaign/terminate", httpx.Response(code, json={"detail": f"bad key {KEY}"}))

    errors = [
        await failure(acts.upload_contacts, upload_input(csv_path)),
        await failure(acts.launch_campaign, launch_input(from_numbers=["num-1"])),
        await failure(acts.terminate_campaign, TerminateInput(list_id=LIST_ID)),
    ]

    for err in errors:
        assert err.type == "RinggAuthError" and err.non_retryable
        assert "RINGG_API_KEY" in err.message and KEY not in err.message
    assert posts(ringg) == ["PATCH campaign/terminate"]
    assert all(r.headers["X-API-KEY"] == KEY for r in ringg.requests)


# --- logs ----------------------------------------------------------------------------------------------------


async def test_logs_carry_no_key_phone_number_or_contact_name(
    ringg: FakeRingg, acts: RinggActivities, csv_path: Path
) -> None:
    ringg.upload_statuses["bulk-new-1"] = {"status": "failed", "message": f"bad row: {NAMES[0]} {PHONES[0]}"}
    ringg.calls_by_status = {"completed": 2, "retry": 1}
    ringg.history_has_total = False
    status_ref = ListRef(list_id="bulk-new-1", idempotency_tag=TAG)

    with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
        upload = await run(acts.upload_contacts, upload_input(csv_path))
        await run(acts.upload_contacts, upload_input(csv_path, flow="standard"))
        await failure(acts.get_upload_status, status_ref)
        await run(acts.check_balance, status_ref)
        await run(acts.launch_campaign, launch_input(list_id=upload.list_id, from_numbers=[PHONES[1]]))
        await run(
            acts.snapshot_campaign, SnapshotInput(list_id=upload.list_id, idempotency_tag=TAG, since=datetime.now(UTC))
        )
        await run(acts.terminate_campaign, TerminateInput(list_id=upload.list_id))
        ringg.fail("PATCH campaign/terminate", httpx.Response(401, json={"detail": f"bad key {KEY} for {PHONES[0]}"}))
        await failure(acts.terminate_campaign, TerminateInput(list_id=upload.list_id))

    events = {entry["event"] for entry in logs}
    assert {"contacts_uploaded", "upload_reused_existing_list", "campaign_launched", "ringg_request"} <= events
    rendered = repr(logs)
    forbidden = [KEY, *PHONES, *(p.removeprefix("+91") for p in PHONES), *NAMES]
    assert [text for text in forbidden if text in rendered] == []
