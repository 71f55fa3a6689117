"""RinggActivities against a fake Ringg (httpx MockTransport) when the large flow is unavailable: a 403 to
upload-csv read as "not enabled" whatever its body, RINGG_LARGE_FLOW=off/on, a key already in chunks; then the
chunk activities: launch_chunk (the chunk's file, reconciled save and launch), snapshot_chunks, terminate_chunks."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from pydantic import SecretStr
from temporalio.testing import ActivityEnvironment

from activities.ringg.activities import RinggActivities
from contract.chunk_steps import ChunkInput, ChunkSnapshotInput, TerminateChunksInput
from contract.chunks import ChunkList
from contract.errors import CAMPAIGN_IN_CHUNKS, LARGE_FLOW_NOT_ENABLED, LARGE_FLOW_OFF, RINGG_AUTH, RINGG_REJECTED
from domain.chunks import chunk_campaign_name, chunk_family_tag, chunk_tag
from ringg import RinggClient, make_http_client
from tests.ringg_activity_helpers import (
    BASE,
    IDEMPOTENCY_KEY,
    KEY,
    TAGGED_NAME,
    FakeRingg,
    failure,
    launch_input,
    multipart,
    posts,
    run,
    upload_input,
)
from tests.ringg_activity_helpers import acts as acts  # fixtures: pytest finds them by these names
from tests.ringg_activity_helpers import csv_path as csv_path
from tests.ringg_activity_helpers import ringg as ringg

NOT_ENABLED = "Large campaign access is not enabled for this workspace"


@pytest_asyncio.fixture
async def acts_mode(ringg: FakeRingg, request: pytest.FixtureRequest) -> AsyncIterator[RinggActivities]:
    async with make_http_client(BASE, SecretStr(KEY), transport=httpx.MockTransport(ringg)) as http:
        yield RinggActivities(RinggClient(http), large_flow=request.param, confirm_within_s=0.3, confirm_every_s=0.05)


# --- the large flow refused ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "said"),
    [
        (httpx.Response(403, json={"detail": NOT_ENABLED}), NOT_ENABLED),
        (httpx.Response(403, json={"error": {"message": NOT_ENABLED}}), NOT_ENABLED),
        (httpx.Response(403, json={"status": "error", "message": "beta not enabled"}), "beta not enabled"),
        (httpx.Response(403, text="Forbidden"), "Forbidden"),
        (httpx.Response(403, json={"detail": "no beta for +919876543210"}), "no beta for <redacted>"),
    ],
)
async def test_a_403_to_upload_csv_means_the_large_flow_is_not_enabled(
    ringg: FakeRingg, acts: RinggActivities, csv_path: Path, reply: httpx.Response, said: str
) -> None:
    ringg.fail("POST campaign/upload-csv", reply)

    err = await failure(acts.upload_contacts, upload_input(csv_path))

    assert err.type == LARGE_FLOW_NOT_ENABLED and err.non_retryable
    assert f"POST campaign/upload-csv -> 403: {said}" in err.message
    assert "large-campaign (beta) access is not enabled for this workspace; nothing was uploaded" in err.message
    assert "+919876543210" not in err.message
    assert posts(ringg) == ["POST campaign/upload-csv"]


async def test_a_403_to_the_standard_save_is_still_an_api_key_problem(
    ringg: FakeRingg, acts: RinggActivities, csv_path: Path
) -> None:
    ringg.fail("POST campaign/save", httpx.Response(403, json={"detail": "forbidden"}))

    err = await failure(acts.upload_contacts, upload_input(csv_path, flow="standard"))

    assert err.type == RINGG_AUTH and "RINGG_API_KEY" in err.message


@pytest.mark.parametrize("acts_mode", ["off"], indirect=True)
async def test_large_flow_off_sends_nothing_to_upload_csv(
    ringg: FakeRingg, acts_mode: RinggActivities, csv_path: Path
) -> None:
    err = await failure(acts_mode.upload_contacts, upload_input(csv_path))

    assert err.type == LARGE_FLOW_OFF and err.non_retryable and "RINGG_LARGE_FLOW=off" in err.message
    assert posts(ringg) == []


@pytest.mark.parametrize("acts_mode", ["off"], indirect=True)
async def test_large_flow_off_still_adopts_the_keys_list_already_uploaded_whole(
    ringg: FakeRingg, acts_mode: RinggActivities, csv_path: Path
) -> None:
    ringg.add_campaign("bulk-existing", TAGGED_NAME, "scheduled")

    result = await run(acts_mode.upload_contacts, upload_input(csv_path))

    assert result.reused_existing and result.list_id == "bulk-existing" and posts(ringg) == []


@pytest.mark.parametrize("acts_mode", ["on"], indirect=True)
async def test_large_flow_on_makes_a_403_a_failure_that_names_the_setting(
    ringg: FakeRingg, acts_mode: RinggActivities, csv_path: Path
) -> None:
    ringg.fail("POST campaign/upload-csv", httpx.Response(403, json={"detail": NOT_ENABLED}))

    err = await failure(acts_mode.upload_contacts, upload_input(csv_path))

    assert err.type == RINGG_REJECTED and err.non_retryable
    assert "RINGG_LARGE_FLOW=on" in err.message and "RINGG_LARGE_FLOW=auto" in err.message


async def test_a_key_whose_first_chunk_is_on_ringg_is_not_uploaded_whole(
    ringg: FakeRingg, acts: RinggActivities, csv_path: Path
) -> None:
    probe = chunk_tag(IDEMPOTENCY_KEY, 1)
    ringg.add_campaign("chunk-1", chunk_campaign_name("Diwali offers", IDEMPOTENCY_KEY, 1, 3), "scheduled")

    err = await failure(acts.upload_contacts, upload_input(csv_path, chunk_probe_tag=probe))

    assert err.type == CAMPAIGN_IN_CHUNKS and err.non_retryable and probe in err.message
    assert posts(ringg) == []


# --- launch_chunk --------------------------------------------------------------------------------------------

ROWS = [
    ("Asha Verma", "98765 43210"),
    ("bad", "12-AB"),  # unusable: dropped
    ("Rahul Mehta", "+91 98123 45678"),
    ("again", "9876543210"),  # a duplicate of row 2: dropped
    ("Meera Iyer", "09800000003"),
    ("Ravi Das", "919800000004"),
    ("Kavya Nair", "+919800000005"),
]
VALID = ["+919876543210", "+919812345678", "+919800000003", "+919800000004", "+919800000005"]


@pytest.fixture
def contacts(tmp_path: Path) -> Path:
    path = tmp_path / "contacts.csv"
    path.write_text("Name,Mobile Number,City\n" + "".join(f"{n},{p},Pune\n" for n, p in ROWS), encoding="utf-8")
    return path


def chunk_input(path: Path, number: int, skip: int, rows: int, total: int = 2, **launch: Any) -> ChunkInput:
    name = chunk_campaign_name("Diwali offers", IDEMPOTENCY_KEY, number, total)
    tag = chunk_tag(IDEMPOTENCY_KEY, number)
    return ChunkInput(
        number=number,
        total=total,
        skip_rows=skip,
        rows=rows,
        upload=upload_input(
            path, flow="standard", ringg_campaign_name=name, idempotency_tag=tag, expected_rows=len(VALID)
        ),
        launch=launch_input(flow="standard", list_id="", from_numbers=["num-1"], **launch),
    )


def sent_numbers(request: httpx.Request) -> list[str]:
    _, files = multipart(request)
    rows = list(csv.reader(io.StringIO(files["file"].decode())))
    assert rows[0] == ["Name", "Mobile Number", "City"]
    return [row[1] for row in rows[1:]]


@pytest.mark.parametrize(("number", "skip", "rows"), [(1, 0, 3), (2, 3, 2)])
async def test_launch_chunk_saves_the_chunks_checked_rows_then_starts_them(
    ringg: FakeRingg, acts: RinggActivities, contacts: Path, number: int, skip: int, rows: int
) -> None:
    result = await run(acts.launch_chunk, chunk_input(contacts, number, skip, rows))

    assert posts(ringg) == ["POST campaign/save", "POST campaign/start"]
    (save,) = ringg.sent("POST campaign/save")
    assert sent_numbers(save) == VALID[skip : skip + rows]
    assert multipart(save)[0]["campaign_name"] == chunk_campaign_name("Diwali offers", IDEMPOTENCY_KEY, number, 2)
    assert result.list_id == "bulk-new-1" and not result.reused_existing and not result.already_launched
    assert ringg.status_of("bulk-new-1") == "scheduled"


async def test_every_valid_row_is_in_exactly_one_chunk(ringg: FakeRingg, acts: RinggActivities, contacts: Path) -> None:
    for number, skip, rows in ((1, 0, 2), (2, 2, 2), (3, 4, 1)):
        await run(acts.launch_chunk, chunk_input(contacts, number, skip, rows, total=3))
    saves = ringg.sent("POST campaign/save")
    assert [n for save in saves for n in sent_numbers(save)] == VALID


async def test_launch_chunk_of_a_chunk_already_launched_sends_nothing(
    ringg: FakeRingg, acts: RinggActivities, contacts: Path
) -> None:
    ringg.add_campaign("chunk-2", chunk_campaign_name("Diwali offers", IDEMPOTENCY_KEY, 2, 2), "ongoing")

    result = await run(acts.launch_chunk, chunk_input(contacts, 2, 3, 2))

    assert result.list_id == "chunk-2" and result.reused_existing and result.already_launched
    assert posts(ringg) == []


async def test_launch_chunk_of_a_chunk_saved_but_not_launched_only_launches_it(
    ringg: FakeRingg, acts: RinggActivities, contacts: Path
) -> None:
    ringg.add_campaign("chunk-2", chunk_campaign_name("Diwali offers", IDEMPOTENCY_KEY, 2, 2), "draft")
    ringg.add_campaign("chunk-1", chunk_campaign_name("Diwali offers", IDEMPOTENCY_KEY, 1, 2), "ongoing")

    result = await run(acts.launch_chunk, chunk_input(contacts, 2, 3, 2))

    assert result.list_id == "chunk-2" and result.reused_existing and not result.already_launched
    assert posts(ringg) == ["POST campaign/start"] and ringg.status_of("chunk-2") == "scheduled"
    assert json.loads(ringg.sent("POST campaign/start")[0].read())["list_id"] == "chunk-2"


async def test_a_retry_after_a_dead_attempt_adopts_its_save_and_launches_once(ringg: FakeRingg, contacts: Path) -> None:
    """The dead attempt's save landed; the retry watches for its launch (none), then launches once."""
    ringg.add_campaign("chunk-2", chunk_campaign_name("Diwali offers", IDEMPOTENCY_KEY, 2, 2), "draft")
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, attempt=2, heartbeat_details=[], heartbeat_timeout=timedelta(seconds=30))
    async with make_http_client(BASE, SecretStr(KEY), transport=httpx.MockTransport(ringg)) as http:
        acts = RinggActivities(RinggClient(http), confirm_within_s=0.3, confirm_every_s=0.05)
        result = await run(acts.launch_chunk, chunk_input(contacts, 2, 3, 2), env)
    assert result.list_id == "chunk-2" and posts(ringg) == ["POST campaign/start"]
    assert len(ringg.sent("GET campaign/all")) > 3, "the launch's confirm window was skipped"


async def test_launch_chunk_refuses_a_csv_changed_since_preflight(
    ringg: FakeRingg, acts: RinggActivities, contacts: Path
) -> None:
    inp = chunk_input(contacts, 1, 0, 3)
    contacts.write_text(contacts.read_text() + "New,+919800000099,Goa\n", encoding="utf-8")

    err = await failure(acts.launch_chunk, inp)

    assert err.type == "CsvChanged" and posts(ringg) == []


async def test_launch_chunk_with_fewer_valid_rows_than_planned_saves_nothing(
    ringg: FakeRingg, acts: RinggActivities, contacts: Path
) -> None:
    err = await failure(acts.launch_chunk, chunk_input(contacts, 2, 3, 5))

    assert err.type == "CsvChanged" and "gave 2 valid rows" in err.message and posts(ringg) == []


# --- snapshot_chunks, terminate_chunks -----------------------------------------------------------------------


async def test_snapshot_chunks_counts_each_list_and_reads_their_statuses_in_one_search(
    ringg: FakeRingg, acts: RinggActivities
) -> None:
    ringg.calls_by_status = {"completed": 3}
    ringg.add_campaign("chunk-1", chunk_campaign_name("Diwali offers", IDEMPOTENCY_KEY, 1, 2), "completed")
    ringg.add_campaign("chunk-2", chunk_campaign_name("Diwali offers", IDEMPOTENCY_KEY, 2, 2), "ongoing")
    inp = ChunkSnapshotInput(
        lists=[ChunkList(number=1, list_id="chunk-1", contacts=3), ChunkList(number=2, list_id="chunk-2", contacts=9)],
        family_tag=chunk_family_tag(IDEMPOTENCY_KEY),
        since=datetime.now(UTC),
    )

    snap = await run(acts.snapshot_chunks, inp)

    assert [(s.list_id, s.ringg_status, s.finished) for s in snap.lists] == [
        ("chunk-1", "completed", True),
        ("chunk-2", "ongoing", False),
    ]
    assert all(s.calls_by_status == {"completed": 3} for s in snap.lists)
    history = [r.url.params["bulk_list_id"] for r in ringg.sent("GET calling/history")]
    assert {"chunk-1", "chunk-2"} == set(history) and len(ringg.sent("GET campaign/all")) == 1
    assert snap.requests == len(history) + 1


async def test_terminate_chunks_terminates_known_lists_and_any_chunk_still_launched(
    ringg: FakeRingg, acts: RinggActivities
) -> None:
    for n, status in ((1, "completed"), (2, "ongoing"), (3, "scheduled"), (4, "draft")):
        ringg.add_campaign(f"chunk-{n}", chunk_campaign_name("Diwali offers", IDEMPOTENCY_KEY, n, 4), status)

    result = await run(
        acts.terminate_chunks,
        TerminateChunksInput(family_tag=chunk_family_tag(IDEMPOTENCY_KEY), list_ids=["chunk-1", "chunk-2"]),
    )

    assert result.terminated == ["chunk-1", "chunk-2", "chunk-3"]
    sent = [json.loads(r.read())["campaign_id"] for r in ringg.sent("PATCH campaign/terminate")]
    assert sent == ["chunk-1", "chunk-2", "chunk-3"]
