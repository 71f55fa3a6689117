"""The simulator's "large flow not enabled" workspace: the beta endpoints answer 403 and create nothing, the
standard flow still works; the knob is a CLI flag and a runtime admin setting."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

from ringg_sim import SimConfig, create_app
from ringg_sim.__main__ import config_from_args

KEY = "sim-beta-key"
AGENT = "830f767a-397e-4b39-82ff-235cd344e2f9"
NUM_ID = "3b1f5c2e-8a41-4d0b-9c7e-1a2b3c4d5e01"
CSV = "Mobile Number,Name\n+919800000001,Asha\n+919800000002,Ravi\n"
NOT_ENABLED = {"detail": "Large campaign access is not enabled for this workspace"}
CALL_CONFIG = {"call_time": {"call_start_time": "09:00", "call_end_time": "18:00", "timezone": "Asia/Kolkata"}}
FORM = {
    "agent_id": AGENT,
    "country_code": "+91",
    "variables_map": json.dumps({"mobile_number": "Mobile Number", "callee_name": "Name"}),
    "campaign_start_time": "18/10/2030, 09:00",
    "campaign_end_time": "18/10/2030, 18:00",
    "call_config": json.dumps(CALL_CONFIG),
}


@contextlib.asynccontextmanager
async def clients(**config: Any) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    transport = httpx.ASGITransport(app=create_app(SimConfig(api_key=KEY, time_scale=0.001, **config)))
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://sim/ca/api/v0", headers={"X-API-KEY": KEY}) as api,
        httpx.AsyncClient(transport=transport, base_url="http://sim/_sim") as admin,
    ):
        yield api, admin


async def upload(api: httpx.AsyncClient, route: str, name: str) -> httpx.Response:
    files = {"file": ("c.csv", CSV, "text/csv")}
    return await api.post(f"/campaign/{route}", data={**FORM, "campaign_name": name}, files=files)


async def beta_calls(api: httpx.AsyncClient, list_id: str) -> list[httpx.Response]:
    body = {
        "bulk_list_id": list_id,
        "agent_id": AGENT,
        "from_numbers": [NUM_ID],
        "country_code": "+91",
        "campaign_start_time": FORM["campaign_start_time"],
        "campaign_end_time": FORM["campaign_end_time"],
        "call_config": CALL_CONFIG,
    }
    return [
        await upload(api, "upload-csv", "Refused"),
        await api.get(f"/campaign/upload-status/{list_id}"),
        await api.post(f"/campaign/check-balance/{list_id}"),
        await api.post("/campaign/make-call-async", json=body),
    ]


async def test_beta_endpoints_answer_403_once_the_large_flow_is_turned_off_at_runtime() -> None:
    async with clients() as (api, admin):
        accepted = await upload(api, "upload-csv", "Before")
        assert accepted.status_code == 200, accepted.text
        list_id = accepted.json()["bulk_list_id"]

        changed = await admin.post("/config", json={"large_flow_enabled": False})
        assert changed.status_code == 200 and changed.json()["large_flow_enabled"] is False
        answers = await beta_calls(api, list_id)

        assert [(r.status_code, r.json()) for r in answers] == [(403, NOT_ENABLED)] * 4
        stats = (await admin.get("/stats")).json()
        assert [u["campaign_name"] for u in stats["uploads"]] == ["Before"], "a refused upload created a list"
        assert stats["launches"] == {}


async def test_the_standard_flow_still_works_without_the_large_flow() -> None:
    async with clients(large_flow_enabled=False) as (api, admin):
        saved = await upload(api, "save", "Standard")
        assert saved.status_code == 200, saved.text
        list_id = saved.json()["list_id"]
        started = await api.post(
            "/campaign/start", json={"agent_id": AGENT, "list_id": list_id, "from_numbers": [NUM_ID]}
        )
        assert started.status_code == 200, started.text
        assert (await api.get("/campaign/all")).status_code == 200
        assert (await admin.get("/stats")).json()["launches"] == {list_id: 1}


async def test_a_bad_key_is_still_401_and_turning_the_flow_back_on_restores_it() -> None:
    async with clients(large_flow_enabled=False) as (api, admin):
        resp = await api.post("/campaign/check-balance/x", headers={"X-API-KEY": "wrong"})
        assert resp.status_code == 401, "a bad key must not be reported as a missing beta access"
        await admin.post("/config", json={"large_flow_enabled": True})
        assert (await upload(api, "upload-csv", "After")).status_code == 200


def test_cli_flag() -> None:
    assert config_from_args(["--port", "0"]).large_flow_enabled is True
    assert config_from_args(["--port", "0", "--no-large-flow"]).large_flow_enabled is False
