"""Where contacts may come from, on the real stack: raw starts of CampaignWorkflow (no starter in front) pointing at a
secret file, /etc/passwd, a symlink out of the allowed folder, loopback and private addresses and a redirect to
loopback are refused before any upload, and the secret is in no error, history or log line; the gzip bomb, the
over-long line and the million-column header stop at their limits; the HTTP API answers 422 and starts nothing."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import structlog
from pydantic import SecretStr
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.app import create_app
from api.settings import ApiSettings
from contract.errors import CSV_LIMIT_EXCEEDED, CSV_SOURCE_REFUSED
from domain.csv_limits import CsvLimits
from domain.csv_sources import CsvSources
from domain.idempotency import workflow_id_for
from ringg_sim.testing import RunningSimulator, SimAdmin, running_simulator
from tests.csv_source_helpers import SECRET, SECRET_CSV, Route, Served, http_server
from tests.stack_helpers import readable, uploads_named, worker_for

pytestmark = pytest.mark.integration

SIM_KEY = "sim-sources-key-2c9d"
TOKEN = "sources-test-token-81f3d0aa"
NUMBER_ID = "3b1f5c2e-8a41-4d0b-9c7e-1a2b3c4d5e01"
MAP = {"mobile_number": "Mobile Number", "callee_name": "Name"}


@dataclass
class Files:
    allowed: Path
    outside: Path
    served: Served


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with running_simulator(api_key=SIM_KEY, time_scale=0.005) as running:
        yield running


@pytest.fixture
def files(tmp_path: Path) -> Iterator[Files]:
    allowed, outside = tmp_path / "allowed", tmp_path / "outside"
    allowed.mkdir()
    outside.mkdir()
    (outside / "api_key").write_text(SECRET_CSV)
    (allowed / "contacts.csv").symlink_to(outside / "api_key")
    with http_server() as served:
        served.routes["/secret.csv"] = Route(body=SECRET_CSV.encode())
        served.redirect("/to-loopback.csv", served.url("/secret.csv"))
        yield Files(allowed, outside, served)


class LogTrap(logging.Handler):
    """Every stdlib log record (Temporal's own loggers included), formatted with its traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def logs() -> Iterator[list[str]]:
    trap = LogTrap()
    root = logging.getLogger()
    root.addHandler(trap)
    with structlog.testing.capture_logs() as events:
        yield trap.lines
        trap.lines.extend(str(event) for event in events)
    root.removeHandler(trap)


def raw_request(csv_uri: str, name: str) -> dict[str, Any]:
    return {
        "campaign_name": name,
        "agent_id": "agent-sources",
        "csv_uri": csv_uri,
        "variables_map": MAP,
        "from_numbers": [NUMBER_ID],
        "campaign_start_time": "18/10/2030, 09:00",
        "campaign_end_time": "18/10/2030, 18:00",
        "call_config": {"call_time": {"call_start_time": "09:00", "call_end_time": "18:00"}},
    }


async def refused_run(client: Client, task_queue: str, request: dict[str, Any]) -> tuple[ApplicationError, str]:
    """A raw start (as `temporal workflow start` does it): the failure and the readable history."""
    handle = await client.start_workflow("CampaignWorkflow", request, id=f"src-{uuid.uuid4()}", task_queue=task_queue)
    with pytest.raises(WorkflowFailureError) as info:
        await handle.result()
    cause = info.value.cause
    assert isinstance(cause, ApplicationError), cause
    return cause, readable((await handle.fetch_history()).to_json())


@pytest_asyncio.fixture
async def strict(stack_client: Client, sim: RunningSimulator, files: Files) -> AsyncIterator[str]:
    """A worker allowing the `allowed` folder and the hosts localhost and 127.0.0.1, public addresses only."""
    sources = CsvSources(dirs=(files.allowed,), url_hosts=frozenset({"localhost", "127.0.0.1"}))
    async with worker_for(stack_client, sim, prefix="src-strict", csv_sources=sources) as worker:
        yield worker.task_queue


@pytest_asyncio.fixture
async def lenient(stack_client: Client, sim: RunningSimulator, files: Files) -> AsyncIterator[str]:
    """Private addresses allowed, host localhost only, and small limits: 1 MB, lines of 4,096 characters."""
    limits = CsvLimits(max_bytes=1 << 20, max_line_chars=4096)
    sources = CsvSources(dirs=(files.allowed,), url_hosts=frozenset({"localhost"}), allow_private=True, limits=limits)
    async with worker_for(stack_client, sim, prefix="src-lenient", csv_sources=sources) as worker:
        yield worker.task_queue


async def test_raw_starts_from_forbidden_sources_are_refused_without_leaking(
    stack_client: Client, sim: RunningSimulator, files: Files, strict: str, lenient: str, logs: list[str]
) -> None:
    served = files.served
    cases = {
        "secret file": (strict, str(files.outside / "api_key"), "outside the folders"),
        "/etc/passwd": (strict, "/etc/passwd", "outside the folders"),
        "symlink escape": (strict, str(files.allowed / "contacts.csv"), "symlinks followed"),
        "loopback URL": (strict, served.url("/secret.csv"), "resolves to 127.0.0.1, a loopback address"),
        "private-address URL": (strict, served.url("/secret.csv", host="localhost"), "a loopback address"),
        "redirect to loopback": (lenient, served.url("/to-loopback.csv", host="localhost"), "redirected to"),
    }
    names = {kind: f"Sources {kind} {uuid.uuid4().hex[:6]}" for kind in cases}
    outcomes = await asyncio.gather(
        *(refused_run(stack_client, queue, raw_request(uri, names[kind])) for kind, (queue, uri, _) in cases.items())
    )
    for (kind, (_, _, expected)), (error, history) in zip(cases.items(), outcomes, strict=True):
        assert error.type == CSV_SOURCE_REFUSED and error.non_retryable, (kind, error)
        assert expected in error.message and "CAMPAIGN_CSV_" in error.message, (kind, error.message)
        assert SECRET not in error.message and SECRET not in history, kind
        assert "sk-live" not in history and "Its columns" not in history, kind
    assert served.requests == ["/to-loopback.csv"], "the refused addresses were never asked"
    assert not any(SECRET in line or "sk-live" in line for line in logs)
    with SimAdmin(sim) as admin:
        assert not any(uploads_named(admin, name) for name in names.values())


async def test_the_gzip_bomb_and_the_over_long_line_stop_at_their_limits(
    stack_client: Client, files: Files, lenient: str
) -> None:
    files.served.gzip_bomb("/bomb.csv", decoded_bytes=64 << 20)
    (files.allowed / "long.csv").write_text("Mobile Number,Name\n+919876543210," + "x" * 50_000 + "\n")
    cases = {
        files.served.url("/bomb.csv", host="localhost"): "larger than 1 MB (CAMPAIGN_CSV_MAX_MB)",
        str(files.allowed / "long.csv"): "row 2 is longer than 4,096 characters (CAMPAIGN_CSV_MAX_LINE_CHARS)",
    }
    outcomes = await asyncio.gather(
        *(refused_run(stack_client, lenient, raw_request(uri, f"Limits {uuid.uuid4().hex[:6]}")) for uri in cases)
    )
    for expected, (error, history) in zip(cases.values(), outcomes, strict=True):
        assert error.type == CSV_LIMIT_EXCEEDED and error.non_retryable and expected in error.message, error.message
        assert "xxxx" not in history


async def test_a_million_column_header_is_refused_with_no_name_in_history(
    stack_client: Client, sim: RunningSimulator, files: Files
) -> None:
    header = ",".join(["Mobile Number", "Name", *(f"h{i}" for i in range(999_999))])
    (files.allowed / "wide.csv").write_text(header + "\n+919876543210,Asha" + "," * 999_999 + "\n")
    sources = CsvSources(dirs=(files.allowed,), limits=CsvLimits(max_line_chars=16 << 20))
    async with worker_for(stack_client, sim, prefix="src-wide", csv_sources=sources) as worker:
        error, history = await refused_run(
            stack_client, worker.task_queue, raw_request(str(files.allowed / "wide.csv"), "Wide header")
        )
    assert error.type == CSV_LIMIT_EXCEEDED and "the header has 1,000,001 columns" in error.message
    assert "h99" not in history and "h12345" not in history


async def test_the_api_answers_422_and_starts_nothing(stack_client: Client, files: Files, tmp_path: Path) -> None:
    sources = CsvSources(dirs=(files.allowed,), url_hosts=frozenset({"localhost"}))
    settings = ApiSettings(token=SecretStr(TOKEN), upload_dir=tmp_path / "uploads", csv_sources=sources)
    transport = httpx.ASGITransport(app=create_app(settings, stack_client))
    auth = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://api", headers=auth) as api:
        for uri, key in (
            (str(files.outside / "api_key"), f"leak-{uuid.uuid4().hex[:8]}"),
            ("/etc/passwd", f"leak-{uuid.uuid4().hex[:8]}"),
            (str(files.allowed / "contacts.csv"), f"leak-{uuid.uuid4().hex[:8]}"),
            # No Idempotency-Key: the API would fetch the URL to hash it; its address is refused first.
            (files.served.url("/secret.csv", host="localhost"), None),
        ):
            body = raw_request(uri, "API leak")
            response = await api.post("/v1/campaigns", json=body, headers={"Idempotency-Key": key} if key else {})
            assert response.status_code == 422, response.text
            answer = response.json()
            assert "not started" in answer["error"], answer
            assert any("CAMPAIGN_CSV_" in p for p in answer["problems"]), answer
            assert SECRET not in response.text and "sk-live" not in response.text
            if key is not None:
                with pytest.raises(RPCError) as info:
                    await stack_client.get_workflow_handle(workflow_id_for(key, str(body["campaign_name"]))).describe()
                assert info.value.status == RPCStatusCode.NOT_FOUND
        assert files.served.requests == []

        schedule_id = f"leak-{uuid.uuid4().hex[:8]}"
        schedule = {
            "schedule_id": schedule_id,
            "template": {k: v for k, v in raw_request("/etc/{date}.csv", "Nightly").items() if "_time" not in k},
            "cron": "0 9 * * *",
            "window": {"until": "18:00"},
        }
        response = await api.post("/v1/schedules", json=schedule)
        assert response.status_code == 422 and "the template's, for a fire on" in response.text, response.text
        with pytest.raises(RPCError):
            await stack_client.get_schedule_handle(schedule_id).describe()

        # stop-numbers names a campaign that exists (a refused one will do): its numbers_uri is checked too.
        handle = await stack_client.start_workflow(
            "CampaignWorkflow", raw_request("/etc/passwd", "Refused"), id=f"src-{uuid.uuid4()}", task_queue="nobody"
        )
        response = await api.post(f"/v1/campaigns/{handle.id}/stop-numbers", json={"numbers_uri": "/etc/shadow"})
        assert response.status_code == 422 and "numbers_uri is not allowed" in response.text, response.text
        await handle.terminate("test done")
