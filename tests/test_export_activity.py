"""export_calls in an ActivityEnvironment over a real RinggClient and an in-test `calling/history`
(httpx.MockTransport): paging, resuming, CSV-injection safety, results locations, no contact data leaked."""

from __future__ import annotations

import csv
import dataclasses
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from pydantic import SecretStr
from structlog.testing import capture_logs
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.export.calls import ExportActivities
from activities.export.rows import COLUMNS
from contract.export import ExportFormat, ExportInput, ExportResult
from ringg import RinggClient, make_http_client

BASE = "https://ringg.test/ca/api/v0"
LIST_ID = "bulk-7a1f"
STATUSES = ("completed", "failed", "completed", "error", "cancelled")


def call(i: int, **overrides: Any) -> dict[str, Any]:
    status = STATUSES[i % len(STATUSES)]
    row: dict[str, Any] = {
        "id": f"call-{i:05d}",
        "to_number": f"+9198{i:08d}",
        "name": f"Contact {i}",
        "status": status,
        "sub_status": "ACCEPTED" if status == "completed" else "NOT_ABLE_TO_CALL",
        "call_duration": 12.5 if status == "completed" else 0.0,
        "call_cost": 0.2 if status == "completed" else 0.0,
        "call_attempt_time": None if status == "cancelled" else "2030-10-18T09:00:05+00:00",
        "retry_count": 1 if status == "failed" else 0,
        "transcript": "[]",
    }
    return {**row, **overrides}


class History:
    """`GET calling/history` over a fixed list of calls; `fail_at` answers 503 once at that offset."""

    def __init__(self, calls: list[dict[str, Any]], *, with_total: bool = True) -> None:
        self.calls = calls
        self.with_total = with_total
        self.fail_at: int | None = None
        self.offsets: list[int] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path.endswith("/calling/history")
        params = request.url.params
        assert params["bulk_list_id"] == LIST_ID and "download" not in params
        limit, offset = int(params["limit"]), int(params["offset"])
        self.offsets.append(offset)
        if offset == self.fail_at:
            self.fail_at = None
            return httpx.Response(503, json={"detail": "upstream busy"})
        page = self.calls[offset : offset + limit]
        body: dict[str, Any] = {"calls": page, "limit": limit, "offset": offset, "count": len(page)}
        if self.with_total:
            body["total"] = len(self.calls)
        return httpx.Response(200, json=body)


@pytest_asyncio.fixture
async def history() -> History:
    return History([call(i) for i in range(250)])


@pytest_asyncio.fixture
async def acts(history: History) -> AsyncIterator[ExportActivities]:
    async with make_http_client(BASE, SecretStr("sk-unit"), transport=httpx.MockTransport(history)) as http:
        yield ExportActivities(RinggClient(http))


def export_input(out: Path | str, formats: list[ExportFormat] | None = None, page_size: int = 100) -> ExportInput:
    now = datetime(2030, 10, 18, tzinfo=UTC)
    return ExportInput(
        list_id=LIST_ID,
        out_uri=str(out),
        formats=formats or ["csv", "jsonl"],
        since=now - timedelta(days=1),
        until=now + timedelta(days=1),
        page_size=page_size,
    )


def attempt_env(attempt: int = 1, details: list[Any] | None = None) -> tuple[ActivityEnvironment, list[Any]]:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, attempt=attempt, heartbeat_details=details or [])
    beats: list[Any] = []
    env.on_heartbeat = lambda *d: beats.extend(d)
    return env, beats


def csv_rows(path: str) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


async def test_pages_through_history_and_streams_every_call_to_csv_and_jsonl(
    acts: ExportActivities, history: History, tmp_path: Path
) -> None:
    env, beats = attempt_env()
    result = await env.run(acts.export_calls, export_input(tmp_path / "out"))

    assert history.offsets == [0, 100, 200]
    assert result.rows == 250 and result.pages == 3 and result.resumed_at_offset == 0
    rows = csv_rows(result.files["csv"])
    assert list(rows[0]) == list(COLUMNS)
    assert [r["call_id"] for r in rows] == [c["id"] for c in history.calls]
    assert rows[0] == {
        "call_id": "call-00000",
        "number": "+919800000000",
        "name": "Contact 0",
        "status": "completed",
        "sub_status": "ACCEPTED",
        "attempts": "1",
        "duration_s": "12.5",
        "cost": "0.2",
        "attempted_at": "2030-10-18T09:00:05+00:00",
        "outcome": "called",
    }
    assert rows[1]["attempts"] == "2" and rows[4]["attempts"] == "0"  # failed after a retry; never dialled
    # A failed call was called; a cancelled one never dialled was not (window closed or campaign stopped).
    assert (rows[1]["outcome"], rows[3]["outcome"], rows[4]["outcome"]) == ("called", "called", "not_called")
    lines = Path(result.files["jsonl"]).read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["call_id"] for line in lines] == [r["call_id"] for r in rows]
    assert [b["offset"] for b in beats] == [100, 200, 250]

    summary = result.summary
    assert summary.total_calls == 250 and summary.by_status == {
        "completed": 100,
        "failed": 50,
        "error": 50,
        "cancelled": 50,
    }
    assert summary.by_sub_status["failed"] == {"NOT_ABLE_TO_CALL": 50}
    assert summary.not_called == 50
    assert (summary.total_cost, summary.total_duration_s, summary.avg_duration_s) == (20.0, 1250.0, 12.5)
    report = json.loads(Path(result.summary_file).read_text())
    assert report["total_calls"] == 250 and report["files"] == result.files
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        f"calls-{LIST_ID}.csv",
        f"calls-{LIST_ID}.jsonl",
        f"summary-{LIST_ID}.json",
    ], "staging files were left behind"


async def test_a_retried_attempt_resumes_from_the_heartbeated_page_cursor(
    acts: ExportActivities, history: History, tmp_path: Path
) -> None:
    clean = await attempt_env()[0].run(acts.export_calls, export_input(tmp_path / "clean"))
    expected = {fmt: Path(path).read_bytes() for fmt, path in clean.files.items()}

    history.offsets.clear()
    history.fail_at = 200
    first, beats = attempt_env(1)
    with pytest.raises(ApplicationError) as failed:
        await first.run(acts.export_calls, export_input(tmp_path / "out"))
    assert not failed.value.non_retryable and history.offsets == [0, 100, 200]
    staged = sorted((tmp_path / "out").glob(".*.part"))
    assert len(staged) == 2, "the failed attempt's staging files are kept for the retry"
    for path in staged:  # the dying attempt was half-way through writing another page
        with path.open("a", encoding="utf-8") as f:
            f.write("call-99999,+919899999999,half a ro")

    history.offsets.clear()
    second, _ = attempt_env(2, [beats[-1]])
    result = await second.run(acts.export_calls, export_input(tmp_path / "out"))

    assert history.offsets == [200], "the retry re-read pages the first attempt had already written"
    assert result.resumed_at_offset == 200 and result.rows == 250 and result.pages == 3
    assert {fmt: Path(path).read_bytes() for fmt, path in result.files.items()} == expected
    assert result.summary == clean.summary


async def test_a_retry_on_another_worker_without_the_staging_files_starts_over(
    acts: ExportActivities, history: History, tmp_path: Path
) -> None:
    history.fail_at = 100
    first, beats = attempt_env(1)
    with pytest.raises(ApplicationError):
        await first.run(acts.export_calls, export_input(tmp_path / "out"))
    for path in (tmp_path / "out").glob(".*.part"):
        path.unlink()

    history.offsets.clear()
    result = await attempt_env(2, [beats[-1]])[0].run(acts.export_calls, export_input(tmp_path / "out"))
    assert history.offsets == [0, 100, 200] and result.resumed_at_offset == 0 and result.rows == 250
    assert len(csv_rows(result.files["csv"])) == 250


async def test_rows_repeated_across_a_page_boundary_are_written_once(tmp_path: Path) -> None:
    calls = [call(i) for i in range(5)]
    # A call was added at the front between two requests: the second page starts with the first page's last row.
    pages = {0: calls[0:3], 3: calls[2:5], 6: []}

    def handler(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        return httpx.Response(200, json={"calls": pages[offset], "limit": 3, "offset": offset})

    async with make_http_client(BASE, SecretStr("sk-unit"), transport=httpx.MockTransport(handler)) as http:
        result = await ActivityEnvironment().run(
            ExportActivities(RinggClient(http)).export_calls, export_input(tmp_path, ["csv"], page_size=3)
        )
    assert [r["call_id"] for r in csv_rows(result.files["csv"])] == [c["id"] for c in calls]
    assert result.pages == 3, "without a total, paging stops at the first short page"


async def test_outcome_tells_never_dialled_contacts_from_calls_stopped_after_an_attempt(tmp_path: Path) -> None:
    """A call cancelled while waiting for its retry was dialled: "called", not "not_called"; a queued or ongoing
    call is still "pending"."""
    calls = [
        call(4, id="never", call_attempt_time=None, retry_count=0),
        call(4, id="retry-stopped", call_attempt_time="2030-10-18T09:00:05+00:00", retry_count=0),
        call(4, id="queued", status="registered", call_attempt_time=None),
        call(4, id="ringing", status="ongoing", call_attempt_time="2030-10-18T09:00:05+00:00"),
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"calls": calls, "total": len(calls)})

    async with make_http_client(BASE, SecretStr("sk-unit"), transport=httpx.MockTransport(handler)) as http:
        result = await ActivityEnvironment().run(
            ExportActivities(RinggClient(http)).export_calls, export_input(tmp_path, ["csv", "jsonl"])
        )
    rows = csv_rows(result.files["csv"])
    assert {r["call_id"]: r["outcome"] for r in rows} == {
        "never": "not_called",
        "retry-stopped": "called",
        "queued": "pending",
        "ringing": "pending",
    }
    lines = Path(result.files["jsonl"]).read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["outcome"] for line in lines] == [r["outcome"] for r in rows]
    assert result.summary.not_called == 1


async def test_csv_cells_cannot_run_as_formulas_but_e164_numbers_stay_exact(tmp_path: Path) -> None:
    hostile = [
        call(0, name='=HYPERLINK("http://evil.test","x")', to_number="+919876543210"),
        call(1, name="+SUM(A1:A9)", to_number="+1=cmd|' /C calc'!A0"),
        call(2, name="-2+3", to_number="=1+2"),
        call(3, name="@SUM(1)", to_number="+91 98765 43210"),
        call(4, name="\tTabbed", sub_status="=cmd", to_number="-919876543210"),
        call(5, name="\rReturn", status="completed", to_number="+14155550123"),
        call(6, name="Asha D'Souza, Pune", to_number="+919812345678"),
    ]
    history = History(hostile)
    async with make_http_client(BASE, SecretStr("sk-unit"), transport=httpx.MockTransport(history)) as http:
        result = await ActivityEnvironment().run(
            ExportActivities(RinggClient(http)).export_calls, export_input(tmp_path)
        )

    rows = csv_rows(result.files["csv"])
    assert [r["name"] for r in rows] == [
        '\'=HYPERLINK("http://evil.test","x")',
        "'+SUM(A1:A9)",
        "'-2+3",
        "'@SUM(1)",
        "'\tTabbed",
        "'\rReturn",
        "Asha D'Souza, Pune",
    ]
    assert [r["number"] for r in rows] == [
        "+919876543210",  # valid E.164: exactly as Ringg returned it
        "'+1=cmd|' /C calc'!A0",
        "'=1+2",
        "'+91 98765 43210",  # not strict E.164 (spaces): neutralised like any text
        "'-919876543210",
        "+14155550123",
        "+919812345678",
    ]
    assert rows[4]["sub_status"] == "'=cmd"
    for row in rows:
        for column, cell in row.items():
            assert not cell.startswith(("=", "-", "@", "\t", "\r")), (column, cell)
            assert not cell.startswith("+") or column == "number"
    raw = [json.loads(line) for line in Path(result.files["jsonl"]).read_text(encoding="utf-8").splitlines()]
    assert [r["name"] for r in raw] == [c["name"] for c in hostile], "JSONL keeps the values exactly"


async def test_an_unsupported_location_fails_for_good_before_reading_history(
    acts: ExportActivities, history: History
) -> None:
    with pytest.raises(ApplicationError) as info:
        await ActivityEnvironment().run(acts.export_calls, export_input("s3://bucket/exports"))
    assert info.value.type == "ExportLocationUnusable" and info.value.non_retryable
    assert "s3://bucket/exports" in info.value.message and history.offsets == []


async def test_a_file_uri_works_and_a_file_in_the_way_is_a_clear_error(acts: ExportActivities, tmp_path: Path) -> None:
    result = await ActivityEnvironment().run(acts.export_calls, export_input((tmp_path / "by uri").as_uri(), ["csv"]))
    assert Path(result.files["csv"]).parent == tmp_path / "by uri" and list(result.files) == ["csv"]

    (tmp_path / "occupied").write_text("not a directory")
    with pytest.raises(ApplicationError) as info:
        await ActivityEnvironment().run(acts.export_calls, export_input(tmp_path / "occupied"))
    assert info.value.type == "ExportLocationUnusable" and info.value.non_retryable


async def test_a_refused_key_fails_for_good_and_leaves_no_staging_files(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"detail": "invalid api key"})

    async with make_http_client(BASE, SecretStr("sk-unit"), transport=httpx.MockTransport(handler)) as http:
        with pytest.raises(ApplicationError) as info:
            await ActivityEnvironment().run(ExportActivities(RinggClient(http)).export_calls, export_input(tmp_path))
    assert info.value.type == "RinggAuthError" and info.value.non_retryable
    assert list(tmp_path.iterdir()) == []


async def test_no_number_or_name_in_logs_result_or_heartbeats(
    acts: ExportActivities, history: History, tmp_path: Path
) -> None:
    env, beats = attempt_env()
    with capture_logs() as logs:
        result = await env.run(acts.export_calls, export_input(tmp_path))
    assert any(entry["event"] == "calls_exported" for entry in logs)
    recorded = repr(logs) + ExportResult.model_validate(result).model_dump_json() + json.dumps(beats)
    leaked = [c["to_number"] for c in history.calls if c["to_number"] in recorded]
    leaked += [c["to_number"].removeprefix("+") for c in history.calls if c["to_number"].removeprefix("+") in recorded]
    leaked += [c["name"] for c in history.calls if f'"{c["name"]}"' in recorded or f"'{c['name']}'" in recorded]
    assert leaked == []
