"""Property test over the API's served OpenAPI document: schemathesis requests for every operation to a running
`python -m api` get no 5xx, and every answer matches the document (status codes, headers, bodies)."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devtools import devstack
from ledger.records import CampaignEntry, ContactEntry, SuppressionEntry
from ledger.store import Ledger
from ringg_sim.testing import open_window
from tests.api_helpers import RunningApi, start_api

pytestmark = pytest.mark.integration

TOKEN = "api-fuzz-token-8a1d6e2c"
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "missing_required_header",
        "allow_header_conformance",
        "ignored_auth",
    ]
)
# Known resources, used for half of the path parameters (the other half is generated): a failed campaign (also in
# the API's contact ledger) and a paused schedule, so that generated requests reach the code past the lookup.
CONFIG = """
[dictionaries.refs]
values = ["campaign-fuzz-done", "fuzz-done"]

[dictionaries.schedules]
values = ["fuzz-schedule"]

[dictionaries.numbers]
values = ["+919876500001"]

[parameters]
"path.ref" = { dictionary = "refs", probability = 0.5 }
"path.schedule_id" = { dictionary = "schedules", probability = 0.5 }
"path.number" = { dictionary = "numbers", probability = 0.5 }
"""


def _schemathesis() -> str:
    found = Path(sys.executable).parent / "schemathesis"
    path = str(found) if found.exists() else shutil.which("schemathesis")
    if not path:
        pytest.fail("schemathesis is not installed: it is in the dev extra (pip install -e '.[dev]')")
    return path


def _seed(api: RunningApi, tmp: Path) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    template = {"campaign_name": "fuzz", "agent_id": "a", "csv_uri": str(tmp / "none.csv"), "from_numbers": ["n"]}
    window = open_window(time.time())  # Ringg is unreachable here: the real clock will do
    template["call_config"] = window["call_config"]
    request = {**template, **window}
    with httpx.Client(base_url=api.base_url, headers=auth, timeout=30) as http:
        started = http.post("/v1/campaigns", json=request, headers={"Idempotency-Key": "fuzz-done"})
        assert started.status_code == 201, started.text
        schedule = {"schedule_id": "fuzz-schedule", "template": template, "window": {"hours": 8}, "at": ["09:00"]}
        created = http.post("/v1/schedules", json={**schedule, "paused": True})
        assert created.status_code == 201, created.text
        for _ in range(100):  # pre-flight fails: the CSV does not exist
            if http.get("/v1/campaigns/fuzz-done").json()["status"] == "failed":
                return
            time.sleep(0.1)
    raise AssertionError("the seed campaign did not fail at pre-flight")


async def _seed_ledger(url: str) -> None:
    """The API's own ledger (the generated suppressions stay out of the session's): the seed campaign's contacts
    and one listed number."""
    ledger = Ledger.open(url)
    try:
        await ledger.ready()
        await ledger.open_campaign(CampaignEntry("fuzz-done", "fuzz", "campaign-fuzz-done"))
        await ledger.add_contacts("fuzz-done", [ContactEntry(f"+91987650{i:04d}", i + 2, f"c{i}") for i in range(5)])
        await ledger.add_suppressions([SuppressionEntry("+919876500001", "fuzz", "test")])
    finally:
        await ledger.close()


@pytest.fixture(scope="module")
def fuzz_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApi]:
    """The API on its own dev server and worker, with Ringg unreachable (a closed loopback port): campaigns the
    generated requests start fail at pre-flight (their CSVs do not exist), and they stay out of the session
    server's histories (which the history scan reads)."""
    data_dir = tmp_path_factory.mktemp("api-fuzz")
    server = devstack.start_dev_server(data_dir, ui=False)
    address, task_queue = server.extra["address"], f"api-fuzz-{uuid.uuid4()}"
    worker_env = {
        "RINGG_API_KEY": "fuzz-unused",
        "RINGG_BASE_URL": "http://127.0.0.1:1/ca/api/v0",  # refused: nothing reaches Ringg
        "TEMPORAL_ADDRESS": address,
        "RINGG_TASK_QUEUE": task_queue,
    }
    worker = devstack.start_worker(data_dir, env=worker_env)
    ledger_url = f"sqlite+aiosqlite:///{data_dir / 'api-ledger.sqlite3'}"
    asyncio.run(_seed_ledger(ledger_url))
    try:
        api = start_api(
            data_dir, address=address, task_queue=task_queue, token=TOKEN, env={"CAMPAIGN_LEDGER_URL": ledger_url}
        )
        try:
            _seed(api, data_dir)
            yield api
        finally:
            devstack.stop(api.proc)
    finally:
        devstack.stop(worker)
        devstack.stop(server)


def test_generated_requests_get_no_5xx_and_documented_answers(fuzz_api: RunningApi, tmp_path: Path) -> None:
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    # Schema examples, boundary and negative cases and random fuzzing, with a valid bearer token. schemathesis runs
    # as its CLI: its pytest loader for a live server (`from_fixture`) does not work with pytest 9.
    args = ["--config-file", str(config), "--no-color", "run", f"{fuzz_api.base_url}/openapi.json"]
    args += ["--header", f"Authorization: Bearer {TOKEN}", "--checks", CHECKS]
    args += ["--phases", "examples,coverage,fuzzing", "--max-examples", "15", "--workers", "1"]
    args += ["--request-timeout", "30", "--suppress-health-check", "all"]
    done = subprocess.run(
        [_schemathesis(), *args], capture_output=True, text=True, timeout=300, check=False, cwd=tmp_path
    )
    report = done.stdout + done.stderr
    (tmp_path / "schemathesis.out").write_text(report)
    assert done.returncode == 0, report[-12000:]
    assert "20 selected / 20 total" in report and " 0 passed" not in report, report[-4000:]
    log = fuzz_api.proc.log_path.read_text()
    assert '" 500' not in log and "request_failed" not in log, "no unexpected error in the API's log"
