"""The HTTP API as a real `python -m api` process over the session dev server, the simulator and a worker, driven
with `curl`: start and repeat, multipart upload, auth, bad input, opt-outs, cancel and schedules."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.worker import Worker

from devtools import devstack
from devtools.sample_csv import DEFAULT_MAP, FIRST, LAST, phone_for, write_sample_csv
from domain.idempotency import campaign_slug, workflow_id_for
from ringg_sim.testing import RunningSimulator, SimAdmin, running_simulator
from tests.api_helpers import RunningApi, curl, start_api
from tests.stack_helpers import uploads_named, worker_for

pytestmark = pytest.mark.integration

SIM_KEY = "sim-api-key-4e0c"
TOKEN = "api-int-token-0d7f3b5a9c"
NUMBER_ID = "3b1f5c2e-8a41-4d0b-9c7e-1a2b3c4d5e01"
CONTACT_NAMES = [f"{first} {last}" for first in FIRST for last in LAST]
POLLING = {"upload_initial_s": 0.3, "monitor_initial_s": 0.5, "monitor_max_s": 1}


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with running_simulator(api_key=SIM_KEY, time_scale=0.005) as running:
        yield running


@pytest_asyncio.fixture(scope="module")
async def worker(stack_client: Client, sim: RunningSimulator) -> AsyncIterator[Worker]:
    async with worker_for(stack_client, sim, prefix="api") as running:
        yield running


@pytest.fixture(scope="module")
def api(
    dev_server: devstack.Proc, worker: Worker, sim: RunningSimulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningApi]:
    data_dir = tmp_path_factory.mktemp("api")
    aged_out = data_dir / "uploads" / "contacts" / "aged-out.csv"
    aged_out.parent.mkdir(parents=True)
    aged_out.write_bytes(b"Mobile Number\n+919876543210\n")
    os.utime(aged_out, (time.time() - 31 * 86_400, time.time() - 31 * 86_400))
    # The workspace's key, as compose gives it: a start's caller numbers are checked against Ringg before a 201.
    ringg = {"RINGG_API_KEY": sim.api_key, "RINGG_BASE_URL": sim.base_url}
    running = start_api(
        data_dir, address=dev_server.extra["address"], task_queue=worker.task_queue, token=TOKEN, env=ringg
    )
    yield running
    devstack.stop(running.proc)


@pytest.fixture
def window(sim: RunningSimulator) -> dict[str, Any]:
    """The window and call_config of a campaign open now on the simulator's clock."""
    with SimAdmin(sim) as admin:
        return admin.window()


def request_body(csv_uri: str | None, window: dict[str, Any], **extra: Any) -> dict[str, Any]:
    body = {
        "campaign_name": f"API {uuid.uuid4().hex[:6]}",
        "agent_id": "agent-api",
        "variables_map": DEFAULT_MAP,
        "from_numbers": [NUMBER_ID],
        "polling": POLLING,
        **window,
        **extra,
    }
    return body | ({"csv_uri": csv_uri} if csv_uri else {})


async def get(api: RunningApi, path: str, params: dict[str, str] | None = None) -> httpx.Response:
    async with httpx.AsyncClient(base_url=api.base_url, headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        return await http.get(path, params=params, timeout=30)


async def until(
    api: RunningApi, path: str, done: Any, *, params: dict[str, str] | None = None, timeout_s: float = 60.0
) -> dict[str, Any]:
    """GETs `path` until `done(body)`; returns that body."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        body: dict[str, Any] = (await get(api, path, params)).json()
        if done(body):
            return body
        assert asyncio.get_running_loop().time() < deadline, f"{path} never got there: {body}"
        await asyncio.sleep(0.3)


async def test_what_the_worker_would_refuse_is_a_422_never_a_201(
    api: RunningApi, sim: RunningSimulator, tmp_path: Path, window: dict[str, Any]
) -> None:
    """Each of these failed in the worker after a 201 before: now one 422 lists them all and nothing starts."""
    csv_path = str(write_sample_csv(tmp_path / "contacts.csv", 5))
    past = {"campaign_start_time": "01/01/2020, 09:00", "campaign_end_time": "01/01/2020, 18:00"}
    body = request_body(csv_path, window, **past, from_numbers=["+15550000000"], flow="standard")
    body.pop("call_config")  # a standard flow without its call_config
    outside = request_body("/etc/hostname", window)
    url = f"{api.base_url}/v1/campaigns"
    with SimAdmin(sim) as admin:
        before = admin.stats()["requests"].get("save", 0) + admin.stats()["requests"].get("upload_csv", 0)
        answer = await curl("POST", url, token=TOKEN, json_body=body)
        refused = await curl("POST", url, token=TOKEN, json_body=outside)
        after = admin.stats()["requests"].get("save", 0) + admin.stats()["requests"].get("upload_csv", 0)
    assert answer.status == 422, answer.body
    problems = answer.body["problems"]
    for expected in ("already past", "call_config is required", "not numbers of this Ringg workspace"):
        assert any(expected in p for p in problems), (expected, problems)
    assert refused.status == 422 and "outside the folders" in refused.body["problems"][0], refused.body
    assert after == before, "nothing was uploaded"


async def test_curl_start_completes_and_a_repeat_is_the_same_campaign(
    api: RunningApi, sim: RunningSimulator, tmp_path: Path, window: dict[str, Any]
) -> None:
    body = request_body(str(write_sample_csv(tmp_path / "contacts.csv", 40)), window)
    key = f"api-{uuid.uuid4().hex[:12]}"
    url = f"{api.base_url}/v1/campaigns"
    first = await curl("POST", url, token=TOKEN, headers={"Idempotency-Key": key}, json_body=body)
    assert first.status == 201, first.body
    assert first.body["state"] == "started" and first.body["idempotency_key"] == key
    workflow_id = workflow_id_for(key, body["campaign_name"])  # campaign-api-<hex>-<key>: its name leads
    assert workflow_id.startswith(f"campaign-{campaign_slug(body['campaign_name'])}-") and workflow_id.endswith(key)
    assert first.headers["location"] == f"/v1/campaigns/{workflow_id}" == first.body["location"]

    done = await until(api, first.headers["location"], lambda b: b["status"] != "running")
    assert done["status"] == "completed" and done["result"]["status"] == "completed", done["failure"]
    list_id = done["result"]["list_id"]
    assert done["list_id"] == list_id and done["result"]["total_calls"] == 40

    again = await curl("POST", url, token=TOKEN, headers={"Idempotency-Key": key}, json_body=body)
    assert again.status == 200 and again.body["state"] == "completed", again.body
    assert (
        again.body["workflow_id"] == first.body["workflow_id"]
        and again.headers["location"] == first.headers["location"]
    )
    with SimAdmin(sim) as admin:
        uploads = uploads_named(admin, body["campaign_name"])
        assert [u["list_id"] for u in uploads] == [list_id]
        assert admin.stats()["launches"].get(list_id) == 1
    for ref in (key, list_id):  # the same campaign by idempotency key and by list id
        assert (await get(api, f"/v1/campaigns/{ref}")).json()["workflow_id"] == workflow_id
    listed = await until(
        api,
        "/v1/campaigns",
        lambda b: [c["workflow_id"] for c in b["campaigns"]] == [workflow_id],
        params={"name": body["campaign_name"].lower(), "status": "completed"},
        timeout_s=15,
    )
    assert listed["campaigns"][0]["stage"] == "completed"


async def test_multipart_upload_is_stored_once_and_runs(
    api: RunningApi, tmp_path: Path, window: dict[str, Any]
) -> None:
    csv = write_sample_csv(tmp_path / "contacts.csv", 30, seed=11).read_bytes()
    request = request_body(None, window)
    form = {
        "request": (None, json.dumps(request).encode(), "application/json"),
        "file": ("contacts.csv", csv, "text/csv"),
    }
    first = await curl("POST", f"{api.base_url}/v1/campaigns", token=TOKEN, form=form)
    assert first.status == 201, first.body
    stored = api.upload_dir / "contacts" / f"{hashlib.sha256(csv).hexdigest()}.csv"
    assert first.body["csv_uri"] == str(stored) and stored.read_bytes() == csv
    again = await curl("POST", f"{api.base_url}/v1/campaigns", token=TOKEN, form=form)  # no key: derived from bytes
    assert again.status == 200 and again.body["workflow_id"] == first.body["workflow_id"], again.body
    assert again.body["csv_uri"] == str(stored) and not list(stored.parent.glob(".incoming-*"))
    done = await until(api, first.body["location"], lambda b: b["status"] != "running")
    assert done["status"] == "completed" and done["result"]["total_calls"] == 30, done


async def test_auth_bad_input_and_unknown_campaigns(api: RunningApi, tmp_path: Path, window: dict[str, Any]) -> None:
    url = f"{api.base_url}/v1/campaigns"
    missing = await curl("GET", url)
    assert missing.status == 401 and missing.headers["www-authenticate"].startswith("Bearer"), missing
    wrong = await curl("GET", url, token="not-the-token-at-all")
    assert wrong.status == 401 and 'error="invalid_token"' in wrong.headers["www-authenticate"]
    assert (await curl("GET", f"{api.base_url}/healthz")).status == 200

    bad = request_body(
        str(tmp_path / "none.csv"), window, number_pool_id="pool-1", concurrency_percentage=150, colour="red"
    )
    # The unknown field and the rules' two problems in one answer (they used to come in two rounds).
    problems = await curl("POST", url, token=TOKEN, json_body=bad)
    assert problems.status == 422 and problems.body["error"].startswith("the campaign was not started")
    assert problems.body["problems"][0] == "colour: Extra inputs are not permitted"
    assert len(problems.body["problems"]) == 3, problems.body

    unknown = await curl("GET", f"{url}/no-such-campaign", token=TOKEN)
    assert unknown.status == 404 and "no campaign found for 'no-such-campaign'" in unknown.body["error"]
    assert (await curl("POST", f"{url}/no-such-campaign/cancel", token=TOKEN)).status == 404
    assert (await curl("GET", f"{url}/bad%22ref", token=TOKEN)).status == 422


async def test_stop_numbers_then_cancel(
    api: RunningApi, sim: RunningSimulator, tmp_path: Path, window: dict[str, Any]
) -> None:
    body = request_body(str(write_sample_csv(tmp_path / "contacts.csv", 300)), window)
    url = f"{api.base_url}/v1/campaigns"
    with SimAdmin(sim) as admin:
        admin.configure(call_rate=0.5)
        try:
            started = await curl("POST", url, token=TOKEN, json_body=body)
            assert started.status == 201, started.body
            location = started.body["location"]
            await until(api, location, lambda b: (b.get("progress") or {}).get("stage") == "monitoring")
            optouts = "\n".join(phone_for(i) for i in range(290, 300)).encode() + b"\n"
            form = {"file": ("optouts.csv", optouts, "text/csv")}
            stopped = await curl("POST", f"{api.base_url}{location}/stop-numbers", token=TOKEN, form=form)
            assert stopped.status == 200 and (stopped.body["numbers"], stopped.body["batches"]) == (10, 1), stopped
            assert stopped.body["numbers_uri"].startswith(str(api.upload_dir / "stop-numbers"))

            cancel = await curl("POST", f"{api.base_url}{location}/cancel", token=TOKEN)
            assert cancel.status == 202 and cancel.body["state"] == "cancel_requested", cancel.body
            done = await until(api, location, lambda b: b["status"] != "running")
            assert done["status"] == "cancelled" and done["failure"], done
            assert any(t["cancelled"] > 0 for t in admin.stats()["terminations"])
            again = await curl("POST", f"{api.base_url}{location}/cancel", token=TOKEN)
            assert again.status == 409 and "cancelled, not running" in again.body["error"]
        finally:
            admin.configure(call_rate=2.0)


async def test_schedules(api: RunningApi, stack_client: Client, tmp_path: Path, window: dict[str, Any]) -> None:
    schedule_id = f"api-{uuid.uuid4().hex[:8]}"
    template = request_body(str(write_sample_csv(tmp_path / "contacts.csv", 20)), window)
    for field in ("campaign_start_time", "campaign_end_time"):  # each fire sets its own window
        del template[field]
    definition = {"schedule_id": schedule_id, "template": template, "window": {"hours": 8}, "at": ["09:00"]}
    url = f"{api.base_url}/v1/schedules"
    created = await curl("POST", url, token=TOKEN, json_body={**definition, "paused": True})
    assert created.status == 201 and created.body["state"] == "created", created.body
    same = await curl("POST", url, token=TOKEN, json_body={**definition, "paused": True})
    assert same.status == 200 and same.body["state"] == "exists"
    other = await curl("POST", url, token=TOKEN, json_body={**definition, "at": ["10:00"]})
    assert other.status == 409, other.body
    bad = await curl("POST", url, token=TOKEN, json_body={**definition, "schedule_id": "x2", "cron": "61 * * * *"})
    assert bad.status == 422 and bad.body["problems"], bad.body

    described = (await get(api, f"/v1/schedules/{schedule_id}")).json()
    assert described["paused"] is True and described["template"]["campaign_name"] == template["campaign_name"]
    await until(api, "/v1/schedules", lambda b: schedule_id in [s["schedule_id"] for s in b["schedules"]], timeout_s=15)
    assert (await curl("POST", f"{url}/{schedule_id}/unpause", token=TOKEN)).status == 204
    fired = await curl("POST", f"{url}/{schedule_id}/trigger", token=TOKEN)
    assert fired.status == 200 and fired.body["state"] == "fired", fired.body
    slug = campaign_slug(template["campaign_name"])
    assert fired.body["campaign_workflow_id"].startswith(f"campaign-{slug}-sched-{schedule_id}-"), fired.body
    await stack_client.get_workflow_handle(fired.body["fire_workflow_id"]).cancel()  # no need to run it
    assert (await curl("POST", f"{url}/{schedule_id}/pause", token=TOKEN, json_body={"note": "test"})).status == 204
    assert (await curl("DELETE", f"{url}/{schedule_id}", token=TOKEN)).status == 204
    assert (await curl("GET", f"{url}/{schedule_id}", token=TOKEN)).status == 404


async def test_uploads_past_the_retention_are_pruned_by_the_api(api: RunningApi) -> None:
    aged_out = api.upload_dir / "contacts" / "aged-out.csv"
    for _ in range(50):
        if not aged_out.exists():
            break
        await asyncio.sleep(0.1)
    assert not aged_out.exists(), "a 31-day-old upload outlived CAMPAIGN_FILE_RETENTION_DAYS (30)"


def test_the_api_log_holds_no_token_and_no_contact(api: RunningApi) -> None:
    log = api.proc.log_path.read_text()
    assert "campaign_start" in log and "POST /v1/campaigns" in log
    assert TOKEN not in log and "Bearer" not in log
    assert not [i for i in range(1, 301) if phone_for(i).lstrip("+") in log]
    assert not [name for name in CONTACT_NAMES if name in log]
