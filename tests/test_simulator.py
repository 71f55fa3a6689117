"""Tests for the Ringg API simulator (ringg_sim): in-process via ASGITransport with a fake clock, plus a real
subprocess over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json
import math
import os
import random
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from ringg_sim import SimConfig, create_app
from ringg_sim.__main__ import config_from_args
from ringg_sim.app import get_state
from ringg_sim.dialer import Dial, Dialer
from ringg_sim.faults import SimulatedDisconnect, parse_fault_spec
from ringg_sim.gate import Gate
from ringg_sim.lifecycle import STATUS_NAMES, Launch, make_traits
from ringg_sim.plan import build_plan
from ringg_sim.state import SimState
from ringg_sim.testing import SimAdmin, open_window, running_simulator, start_simulator, stop_simulator

KEY = "test-key"
AGENT = "830f767a-397e-4b39-82ff-235cd344e2f9"
NUM_ID = "3b1f5c2e-8a41-4d0b-9c7e-1a2b3c4d5e01"
POOL = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
VARS = {"mobile_number": "Mobile Number", "callee_name": "Name"}


class FakeClock:
    def __init__(self, t: float = 1_760_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


def make_csv(n: int, bad: int = 0, start: int = 0) -> str:
    rows = ["Mobile Number,Name,City"]
    rows += [f"+9198{start + i:08d},Person {start + i},Pune" for i in range(n)]
    rows += [f"12{i},Broken {i},Nowhere" for i in range(bad)]
    return "\n".join(rows) + "\n"


@dataclass
class Sim:
    api: httpx.AsyncClient
    admin: httpx.AsyncClient
    clock: FakeClock
    state: SimState
    window: dict[str, Any]  # open for the whole test; retries wait 30 simulated seconds

    def window_form(self) -> dict[str, str]:
        return {**self.window, "call_config": json.dumps(self.window["call_config"])}

    async def upload(self, text: str, name: str = "Camp", **fields: str) -> httpx.Response:
        data = {
            "agent_id": AGENT,
            "campaign_name": name,
            "country_code": "+91",
            "variables_map": json.dumps(VARS),
            **self.window_form(),
            **fields,
        }
        return await self.api.post("/campaign/upload-csv", data=data, files={"file": ("c.csv", text, "text/csv")})

    async def uploaded(self, n: int, name: str = "Camp", bad: int = 0) -> str:
        resp = await self.upload(make_csv(n, bad), name)
        assert resp.status_code == 200, resp.text
        self.clock.advance(60)  # well past processing at time_scale 0.01
        return str(resp.json()["bulk_list_id"])

    async def save(self, text: str, name: str = "Std", **fields: str) -> httpx.Response:
        data = {
            "agent_id": AGENT,
            "campaign_name": name,
            "country_code": "+91",
            "variables_map": json.dumps(VARS),
            **self.window_form(),
            **fields,
        }
        return await self.api.post("/campaign/save", data=data, files={"file": ("s.csv", text, "text/csv")})

    async def launch(self, bulk_id: str, **body: Any) -> httpx.Response:
        payload = {
            "bulk_list_id": bulk_id,
            "agent_id": AGENT,
            "from_numbers": [NUM_ID],
            "country_code": "+91",
            **self.window,
            **body,
        }
        return await self.api.post("/campaign/make-call-async", json=payload)

    async def truth(self, list_id: str) -> list[dict[str, Any]]:
        resp = await self.admin.get(f"/campaigns/{list_id}/calls")
        assert resp.status_code == 200
        return list(resp.json())

    async def campaign(self, list_id: str) -> dict[str, Any]:
        rows = (await self.api.get("/campaign/all", params={"limit": 100})).json()["campaigns"]
        return next(r for r in rows if r["id"] == list_id)

    async def history(self, **params: Any) -> dict[str, Any]:
        resp = await self.api.get("/calling/history", params=params)
        assert resp.status_code == 200, resp.text
        return dict(resp.json())


@contextlib.asynccontextmanager
async def sim_env(**config: Any) -> AsyncIterator[Sim]:
    clock = FakeClock()
    app = create_app(SimConfig(api_key=KEY, time_scale=0.01, **config), clock=clock)
    transport = httpx.ASGITransport(app=app)
    state = get_state(app)
    window = open_window(state.now(), daily=None, retry_minutes=0.5)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://test/ca/api/v0", headers={"X-API-KEY": KEY}) as api,
        httpx.AsyncClient(transport=transport, base_url="http://test/_sim") as admin,
    ):
        yield Sim(api, admin, clock, state, window)


WIDE = {"start_date": "2000-01-01T00:00:00+00:00", "end_date": "2100-01-01T00:00:00+00:00"}


# --- auth & basics ------------------------------------------------------------------------------------
async def test_auth_required() -> None:
    async with sim_env() as s:
        resp = await s.api.get("/workspace", headers={"X-API-KEY": "wrong"})
        assert resp.status_code == 401 and resp.json() == {"detail": "Invalid or missing API key"}
        s.api.headers.pop("X-API-KEY")
        resp = await s.api.get("/workspace")
        assert resp.status_code == 401 and resp.json() == {"detail": "Invalid or missing API key"}
        assert (await s.api.get("/calling/history")).status_code == 401
        assert (await s.admin.get("/health")).json() == {"status": "ok"}
        stats = (await s.admin.get("/stats")).json()
        assert stats["requests"] == {"workspace": 2, "history": 1}


async def test_workspace_and_numbers() -> None:
    async with sim_env(credits=500) as s:
        info = (await s.api.get("/workspace")).json()["workspace_info"]
        assert info["credits"] == 500 and info["locked_credits"] == 0 and info["api_key"] == KEY
        nums = (await s.api.get("/workspace/numbers")).json()["workspace_numbers"]
        assert len(nums) == 5
        assert sum(n["is_spam"] for n in nums) == 1
        assert [n["number_pool_id"] for n in nums if n["number_pool_id"]] == [POOL]
        assert (
            len((await s.api.get("/workspace/numbers", params={"limit": 2, "offset": 1})).json()["workspace_numbers"])
            == 2
        )
        assert (await s.api.get("/workspace/numbers", params={"limit": 101})).status_code == 422


# --- upload vocabularies -----------------------------------------------------------------------------
async def test_documented_vocabulary() -> None:
    async with sim_env(upload_vocabulary="documented") as s:
        resp = await s.upload(make_csv(3000, bad=2), remove_invalid_rows="true")
        first = resp.json()
        assert first["status"] == "uploaded" and first["total_callees"] == 0
        assert first["invalidated_rows_csv_url"] is None
        bulk = first["bulk_list_id"]
        s.clock.advance(0.02)
        mid = (await s.api.get(f"/campaign/upload-status/{bulk}")).json()
        assert mid["status"] == "processing" and mid["total_rows"] == 3002
        s.clock.advance(1)
        done = (await s.api.get(f"/campaign/upload-status/{bulk}")).json()
        assert done["status"] == "completed"
        assert done["total_callees"] == 3000 and done["invalidated_rows_count"] == 2
        assert done["invalidated_rows_csv_url"].startswith("http://test/_sim/files/")


async def test_verifying_vocabulary() -> None:
    async with sim_env(upload_vocabulary="verifying") as s:
        bulk = (await s.upload(make_csv(10))).json()
        assert bulk["status"] == "verifying"
        status = (await s.api.get(f"/campaign/upload-status/{bulk['bulk_list_id']}")).json()
        assert status["status"] == "verifying"
        s.clock.advance(1)
        status = (await s.api.get(f"/campaign/upload-status/{bulk['bulk_list_id']}")).json()
        assert status["status"] == "ready" and status["total_callees"] == 10


async def test_fixture_vocabulary() -> None:
    async with sim_env(upload_vocabulary="fixture") as s:
        first = (await s.upload(make_csv(9, bad=1), name="Fixture", remove_invalid_rows="true")).json()
        assert first["message"] == "CSV uploaded" and first["status"] == "in_db"
        assert first["total_rows"] == 10 and first["campaign_name"] == "Fixture"
        bulk = first["bulk_list_id"]
        assert (await s.api.get(f"/campaign/upload-status/{bulk}")).json()["status"] == "in_db"
        s.clock.advance(1)
        done = (await s.api.get(f"/campaign/upload-status/{bulk}")).json()
        assert done["status"] == "draft" and done["campaign_id"] == bulk and "bulk_list_id" not in done
        assert done["total_contacts"] == 9 and done["invalidated_rows_count"] == 1
        assert done["invalid_entries_file"].endswith(f"/_sim/files/{bulk}/invalid_rows.csv")


async def test_invalid_rows_csv_served() -> None:
    async with sim_env() as s:
        text = make_csv(4) + "+91 98765-43210,Spaced,Goa\nabc,Letters,Goa\n,Empty,Goa\n0098765432101,Intl,Goa\n"
        bulk = (await s.upload(text, remove_invalid_rows="true")).json()["bulk_list_id"]
        s.clock.advance(1)
        status = (await s.api.get(f"/campaign/upload-status/{bulk}")).json()
        assert status["total_callees"] == 6 and status["invalidated_rows_count"] == 2
        resp = await s.admin.get(status["invalidated_rows_csv_url"].replace("http://test/_sim", ""))
        assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(resp.text)))
        assert rows[0] == ["row_number", "reason", "Mobile Number", "Name", "City"]
        assert [r[0] for r in rows[1:]] == ["6", "7"] and rows[1][3] == "Letters"
        assert "missing" in rows[2][1]


async def test_missing_mobile_column_and_empty_files() -> None:
    async with sim_env() as s:
        bad_header = "Phone,Name\n+919876543210,A\n"
        resp = await s.save(bad_header)
        assert resp.status_code == 400 and "Mobile Number" in resp.json()["detail"]
        for text, needle in (
            (bad_header, "Mobile Number"),
            ("", "empty"),
            ("Mobile Number,Name\n", "no data"),
        ):
            bulk = (await s.upload(text)).json()["bulk_list_id"]
            s.clock.advance(1)
            status = (await s.api.get(f"/campaign/upload-status/{bulk}")).json()
            assert status["status"] == "failed" and needle in status["message"]
            assert (await s.campaign(bulk))["campaign_status"] == "failed"
            assert (await s.api.post(f"/campaign/check-balance/{bulk}")).status_code == 400
        resp = await s.upload(make_csv(2), variables_map="{not json")
        assert resp.status_code == 422 and isinstance(resp.json()["detail"], list)
        assert (await s.api.post("/campaign/upload-csv", data={"agent_id": AGENT})).status_code == 422


# --- balance & credits -------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", ["A", "B"])
async def test_check_balance_shapes(shape: str) -> None:
    async with sim_env(balance_shape=shape, credits=100) as s:
        resp = await s.upload(make_csv(80))
        bulk = resp.json()["bulk_list_id"]
        early = await s.api.post(f"/campaign/check-balance/{bulk}")
        assert early.status_code == 400 and "message" in early.json()
        s.clock.advance(1)
        ok = (await s.api.post(f"/campaign/check-balance/{bulk}")).json()
        if shape == "A":
            assert ok["status"] == "draft" and ok["bulk_list_id"] == bulk and ok["message"]
        else:
            assert ok == {
                "bulk_list_id": bulk,
                "required_credits": 80,
                "available_credits": 100,
                "sufficient_balance": True,
            }
        assert (await s.campaign(bulk))["campaign_status"] == "draft"
        assert (await s.admin.post("/credits", json={"credits": 50})).status_code == 200
        low = (await s.api.post(f"/campaign/check-balance/{bulk}")).json()
        if shape == "A":
            assert low["status"] == "insufficient_balance"
        else:
            assert low["sufficient_balance"] is False and low["available_credits"] == 50
        row = await s.campaign(bulk)
        assert row["campaign_status"] == "insufficient_balance" and row["additional_balance_required"] == "30"


async def test_insufficient_credits_402() -> None:
    async with sim_env(credits=10) as s:
        bulk = await s.uploaded(20)
        resp = await s.launch(bulk)
        assert resp.status_code == 402 and "Insufficient credits" in resp.json()["error"]["message"]
        list_id = (await s.save(make_csv(20))).json()["list_id"]
        resp = await s.api.post(
            "/campaign/start", json={"agent_id": AGENT, "list_id": list_id, "from_numbers": [NUM_ID]}
        )
        assert resp.status_code == 402
        assert (await s.admin.get("/stats")).json()["launches"] == {}


# --- make-call-async ---------------------------------------------------------------------------------
async def test_make_call_async_validation() -> None:
    async with sim_env() as s:
        bulk = (await s.upload(make_csv(5))).json()["bulk_list_id"]
        both = await s.launch(bulk, number_pool_id=POOL)
        assert both.status_code == 422 and isinstance(both.json()["detail"], list)
        neither = await s.api.post("/campaign/make-call-async", json={"bulk_list_id": bulk, "agent_id": AGENT})
        assert neither.status_code == 422
        for pct in (-1, 101):
            assert (await s.launch(bulk, concurrency_percentage=pct)).status_code == 422
        assert (await s.launch(bulk)).status_code == 400  # not processed yet
        s.clock.advance(1)
        assert (await s.launch("nope")).status_code == 404
        assert (await s.launch(bulk, from_numbers=["unknown-id"])).status_code == 400
        assert (await s.launch(bulk, agent_id="other-agent")).status_code == 400
        resp = await s.api.post(
            "/campaign/make-call-async",
            json={"bulk_list_id": bulk, "agent_id": AGENT, "number_pool_id": POOL, "country_code": "+91", **s.window},
        )
        assert resp.json() == {
            "message": "Campaign calls scheduled",
            "bulk_list_id": bulk,
            "status": "scheduled",
        }


async def test_repeated_make_call_async_duplicates_calls() -> None:
    async with sim_env() as s:
        bulk = await s.uploaded(12)
        assert (await s.launch(bulk)).status_code == 200
        s.clock.advance(0.5)
        assert (await s.launch(bulk)).status_code == 200
        stats = (await s.admin.get("/stats")).json()
        assert stats["launches"] == {bulk: 2} and stats["credits"] == 1_000_000 - 24
        truth = await s.truth(bulk)
        assert len(truth) == 24 and len({c["call_id"] for c in truth}) == 24
        assert Counter(c["to_number"] for c in truth) == Counter({n: 2 for n in {c["to_number"] for c in truth}})
        hist = await s.history(bulk_list_id=bulk, limit=100, **WIDE)
        assert hist["total"] == 24 and (await s.campaign(bulk))["total_calls"] == 24


# --- standard flow -----------------------------------------------------------------------------------
async def test_standard_flow_save_and_start() -> None:
    async with sim_env() as s:
        resp = await s.save(make_csv(30, bad=1), remove_invalid_rows="true")
        body = resp.json()
        assert resp.status_code == 200 and body["message"] == "Contacts imported successfully!"
        assert (body["total_rows"], body["successful_rows"], body["failed_rows"]) == (31, 30, 1)
        assert len(body["custom_args_values"]) <= 5
        assert body["custom_args_values"][0] == {"callee_name": "Person 0", "mobile_number": "+919800000000"}
        list_id = body["list_id"]
        start = {"agent_id": AGENT, "list_id": list_id, "from_numbers": [NUM_ID]}
        resp = await s.api.post("/campaign/start", json=start)
        assert resp.json() == {"status": "campaign registered successfully!", "has_ongoing_calls": False}
        again = await s.api.post("/campaign/start", json=start)
        assert again.status_code == 400 and again.json()["detail"] == "campaign already started"
        v2 = {"agent_id": AGENT, "list_id": list_id, "number_pool_id": POOL}
        assert (await s.api.post("/campaign/v2/start", json=v2)).status_code == 400
        other = (await s.save(make_csv(3))).json()["list_id"]
        bad_pool = {**v2, "list_id": other, "number_pool_id": "nope"}
        assert (await s.api.post("/campaign/v2/start", json=bad_pool)).status_code == 400
        assert (await s.api.post("/campaign/v2/start", json={**v2, "list_id": other})).status_code == 200
        assert (await s.api.post("/campaign/v2/start", json={**v2, "list_id": "missing"})).status_code == 400
        missing = {"agent_id": AGENT, "list_id": "missing", "from_numbers": [NUM_ID]}
        assert (await s.api.post("/campaign/start", json=missing)).status_code == 404
        assert (await s.admin.get("/stats")).json()["launches"] == {list_id: 1, other: 1}


# --- lifecycle ---------------------------------------------------------------------------------------
async def test_campaign_status_progression() -> None:
    async with sim_env() as s:
        bulk = await s.uploaded(40)
        assert (await s.campaign(bulk))["campaign_status"] == "draft"
        await s.launch(bulk)
        seen = [(await s.campaign(bulk))["campaign_status"]]
        for _ in range(200):
            s.clock.advance(0.05)
            status = (await s.campaign(bulk))["campaign_status"]
            if status != seen[-1]:
                seen.append(status)
            if status == "completed":
                break
        assert seen == ["scheduled", "ongoing", "completed"]
        truth = await s.truth(bulk)
        assert {c["status"] for c in truth} <= {"completed", "failed", "error"}
        done = [c for c in truth if c["status"] == "completed"]
        assert all(c["duration"] > 0 and c["cost"] == 1 for c in done)
        hist = await s.history(bulk_list_id=bulk, limit=100, **WIDE)
        assert all(isinstance(c["transcript"], str) for c in hist["calls"])
        assert json.loads(next(c for c in hist["calls"] if c["status"] == "completed")["transcript"])[0]["bot"]


T0 = 1_760_000_000.0


def make_launch(n: int, *, retries: int, seed: int = 7, list_id: str = "list-x") -> tuple[Launch, Dialer]:
    """A launch alone on its dialer: a window open for years, no daily call time, 30 s retry waits."""
    waits = dict.fromkeys(("retry_busy", "retry_not_picked", "retry_failed"), 0.5)
    config = {"call_time": {"timezone": "UTC"}, "call_retry_config": {"retry_count": retries, **waits}}
    plan = build_plan(config, "01/01/2020, 00:00", "01/01/2035, 00:00")
    dial = Dial(n=n, gate=Gate(plan, T0 + 5, []), concurrency_pct=0)
    dialer = Dialer(T0)
    dialer.add(dial)
    ln = Launch(
        seq=1, list_id=list_id, agent_id="a", t0=T0, wall_t0=T0, plan=plan, dial=dial,
        traits=make_traits(seed, list_id, n), invalid_subs={}, retry_default_s=1800.0, from_numbers=("+1",),
        cpc=1.0, seed=seed,
    )  # fmt: skip
    return ln, dialer


def at(ln: Launch, dialer: Dialer, now: float, rate: float) -> float:
    dialer.advance(now, rate, lambda dial, when: ln.expire(when))
    return now


def test_outcome_mix_and_determinism() -> None:
    traits = make_traits(7, "list-x", 20_000)
    assert traits == make_traits(7, "list-x", 20_000) and traits != make_traits(8, "list-x", 20_000)
    ln, dialer = make_launch(20_000, retries=1)
    end = at(ln, dialer, T0 + 1e6, 2.0)
    final = Counter(STATUS_NAMES[ln.view(i, end).status] for i in range(ln.n))
    assert 0.76 < final["completed"] / ln.n < 0.84  # ~70% direct + ~10% after one retry
    assert 0.12 < final["failed"] / ln.n < 0.18 and 0.03 < final["error"] / ln.n < 0.07
    retried_ok = sum(1 for i in range(ln.n) if ln.view(i, end).status == 3 and ln.view(i, end).attempts == 2)
    assert 0.08 < retried_ok / ln.n < 0.12
    assert ln.started(T0 + 5) == 1 and ln.dial.start_time(10) == T0 + 5 + 10 / 2.0


def test_the_dialler_finishes_when_the_last_call_is_due_below_the_clocks_float_resolution() -> None:
    """Regression: progress a hair short of the last call at 50 calls/s leaves less time to go than one float step
    of an epoch instant (2.4e-7 s): the dialler looped forever and every request answered 500."""
    begin = 1796390138.6092863
    now = math.nextafter(begin + 4 / 50.0, 0)  # one float step before the last call is due
    waits = dict.fromkeys(("retry_busy", "retry_not_picked", "retry_failed"), 0.5)
    plan = build_plan({"call_retry_config": waits}, "01/01/2020, 00:00", "01/01/2035, 00:00")
    dial = Dial(n=5, gate=Gate(plan, begin, []), concurrency_pct=0)
    dialer = Dialer(begin)
    dialer.add(dial)
    dialer.advance(now, 50.0, lambda d, when: None)
    assert dial.progress < 4 and not dial.over
    dialer.advance(now + 1e-3, 50.0, lambda d, when: None)
    assert dial.over and dial.started(now + 1e-3) == 5


def test_select_matches_brute_force() -> None:
    rng = random.Random(3)
    ln, dialer = make_launch(3000, retries=2, seed=1, list_id="l")
    for step, offset in enumerate((50.0, 300.0, 600.0, 1000.0, 1200.0, 4900.0)):
        now = at(ln, dialer, T0 + offset, 3.0)
        if step == 2:
            ln.cancel_pending(now, [i for i in range(ln.n) if i % 7 == 0])
        if step == 4:
            ln.cancel_pending(now)
        codes = [ln.view(i, now).status for i in range(ln.n)]
        counts = ln.counts(now)
        assert counts == [codes.count(c) for c in range(7)]
        for status in range(7):
            expected = [i for i, c in enumerate(codes) if c == status]
            offset_ = rng.randrange(0, max(1, len(expected)))
            total, page = ln.select(status, now, offset_, 50)
            assert total == len(expected) and page == expected[offset_ : offset_ + 50]


# --- history -----------------------------------------------------------------------------------------
async def test_history_filters_pagination_dates() -> None:
    async with sim_env() as s:
        first = await s.uploaded(30, name="One")
        second = await s.uploaded(25, name="Two")
        await s.launch(first)
        s.clock.advance(0.001)
        await s.launch(second)
        s.clock.advance(0.3)
        everything = await s.history(limit=100)  # default window: today (UTC) per the fake clock
        assert everything["total"] == 55 and everything["count"] == 55
        order = [c["id"] for c in everything["calls"]]
        assert order == [c["id"] for c in sorted(everything["calls"], key=lambda c: (c["created_at"], c["id"]))]
        assert {c["bulk_list_id"] for c in everything["calls"][:30]} == {first}
        paged: list[str] = []
        for offset in range(0, 55, 10):
            page = await s.history(bulk_list_id=None, limit=10, offset=offset)
            assert page["limit"] == 10 and page["offset"] == offset and page["count"] == len(page["calls"])
            paged += [c["id"] for c in page["calls"]]
        assert paged == order
        only_second = await s.history(bulk_list_id=second, limit=100)
        assert only_second["total"] == 25 and {c["bulk_list_id"] for c in only_second["calls"]} == {second}
        truth = await s.truth(first) + await s.truth(second)
        by_status = Counter(c["status"] for c in truth)
        for status, n in by_status.items():
            hist = await s.history(status=status, limit=100)
            assert hist["total"] == n and {c["status"] for c in hist["calls"]} == {status}
        retry_rows = [c for c in everything["calls"] if c["status"] == "retry"]
        assert all(c["next_attempt_time"] and c["sub_status"] == "RETRY_SCHEDULED" for c in retry_rows)
        assert (await s.history(agent_id="someone-else"))["total"] == 0
        assert (await s.history(agent_id=AGENT, limit=1))["total"] == 55
        later = {"start_date": "2100-01-01T00:00:00+05:30", "end_date": "2100-01-02T00:00:00+05:30"}
        assert (await s.history(**later))["total"] == 0
        assert (await s.history(**WIDE))["total"] == 55
        for bad in ({"limit": 101}, {"limit": 0}, {"offset": -1}, {"start_date": "yesterday"}):
            assert (await s.api.get("/calling/history", params=bad)).status_code == 422
        row = everything["calls"][0]
        expected_keys = {
            "id",
            "to_number",
            "name",
            "status",
            "sub_status",
            "transcript",
            "created_at",
            "agent",
        }
        expected_keys |= {"call_duration", "call_cost", "from_numbers", "bulk_list_id", "retry_count"}
        assert expected_keys | {"next_attempt_time", "call_attempt_time", "voicemail_detected"} <= set(row)


async def test_campaign_all_search_and_pagination() -> None:
    async with sim_env() as s:
        for name in ("Renewal Mumbai", "renewal pune", "Overdue Delhi"):
            await s.upload(make_csv(2), name=name)
            s.clock.advance(1)
        body = (await s.api.get("/campaign/all", params={"search": "RENEWAL"})).json()
        assert [c["name"] for c in body["campaigns"]] == ["renewal pune", "Renewal Mumbai"]
        assert body["pagination"] == {"total": 2, "limit": 10, "offset": 0}
        page = (await s.api.get("/campaign/all", params={"limit": 1, "offset": 1})).json()
        assert [c["name"] for c in page["campaigns"]] == ["renewal pune"] and page["pagination"]["total"] == 3
        row = page["campaigns"][0]
        assert row["total_contacts"] == 2 and row["invalidated_rows_count"] == 0 and row["total_calls"] == 0


# --- terminate ---------------------------------------------------------------------------------------
async def test_terminate_only_pending_calls() -> None:
    async with sim_env() as s:
        bulk = await s.uploaded(120)
        await s.launch(bulk)
        before: list[dict[str, Any]] = []
        for _ in range(400):
            s.clock.advance(0.01)
            before = await s.truth(bulk)
            statuses = {c["status"] for c in before}
            if {"retry", "registered", "ongoing", "completed"} <= statuses:
                break
        assert {"retry", "registered", "ongoing"} <= {c["status"] for c in before}
        resp = await s.api.patch("/campaign/terminate", json={"campaign_id": bulk})
        assert resp.json() == {"message": "Calls terminated successfully!"}
        after = {c["call_id"]: c for c in await s.truth(bulk)}
        for call in before:
            now = after[call["call_id"]]
            if call["status"] in ("registered", "retry"):
                assert (now["status"], now["sub_status"]) == ("cancelled", "USER_TERMINATED")
            else:
                assert now["status"] == call["status"]
        assert (await s.campaign(bulk))["campaign_status"] == "terminated"
        s.clock.advance(10)
        final = await s.truth(bulk)
        assert not {c["status"] for c in final} & {"registered", "retry", "ongoing"}
        term = (await s.admin.get("/stats")).json()["terminations"][0]
        assert term["campaign_id"] == bulk
        assert term["cancelled"] == sum(c["status"] in ("registered", "retry") for c in before)


async def test_terminate_modes_and_validation() -> None:
    async with sim_env() as s:
        a, b = await s.uploaded(20, name="A"), await s.uploaded(20, name="B")
        await s.launch(a)
        await s.launch(b)
        truth_a = await s.truth(a)
        nums = [truth_a[0]["to_number"], truth_a[1]["to_number"]]
        await s.api.patch("/campaign/terminate", json={"campaign_id": a, "mobile_numbers": nums})
        assert [c["status"] for c in (await s.truth(a))[:3]] == ["cancelled", "cancelled", "registered"]
        assert (await s.campaign(a))["campaign_status"] == "scheduled"
        ids = [c["call_id"] for c in (await s.truth(b))[:3]] + ["not-a-call-id"]
        await s.api.patch("/campaign/terminate", json={"call_ids": ids})
        assert Counter(c["status"] for c in await s.truth(b))["cancelled"] == 3
        third = truth_a[5]["to_number"]
        await s.api.patch("/campaign/terminate/campaign-numbers", json={"campaign_id": a, "mobile_numbers": [third]})
        assert (await s.truth(a))[5]["status"] == "cancelled"
        await s.api.patch("/campaign/terminate", json={"agent_id": AGENT})
        assert {c["status"] for c in await s.truth(b)} == {"cancelled"}
        assert (await s.api.patch("/campaign/terminate", json={})).status_code == 422
        too_many = {"mobile_numbers": [f"+91980000{i:04d}" for i in range(101)]}
        assert (await s.api.patch("/campaign/terminate", json=too_many)).status_code == 422
        assert (await s.api.patch("/campaign/terminate", json={"call_ids": ["x"] * 101})).status_code == 422
        missing = await s.api.patch("/campaign/terminate", json={"campaign_id": "nope"})
        assert missing.status_code == 404 and missing.json() == {"error": "Campaign not found"}


# --- faults (in-process) -----------------------------------------------------------------------------
async def test_faults_in_process() -> None:
    async with sim_env() as s:
        await s.admin.post("/faults", json={"endpoint": "workspace", "kind": "rate_limit", "times": 2})
        await s.admin.post("/faults", json={"endpoint": "history", "kind": "http_error", "status": 503})
        await s.admin.post("/faults", json={"endpoint": "campaign_all", "kind": "delay", "delay_s": 0.01})
        assert len((await s.admin.get("/faults")).json()) == 3
        for _ in range(2):
            resp = await s.api.get("/workspace")
            assert resp.status_code == 429 and "retry-after" not in resp.headers
        assert (await s.api.get("/workspace")).status_code == 200
        resp = await s.api.get("/calling/history")
        assert resp.status_code == 503 and resp.json() == {"detail": "simulated server error"}
        assert (await s.api.get("/campaign/all")).status_code == 200
        assert (await s.admin.get("/faults")).json() == []
        assert (await s.admin.post("/faults", json={"endpoint": "bogus", "kind": "delay"})).status_code == 422
        await s.admin.post("/faults", json={"endpoint": "workspace", "kind": "rate_limit", "times": -1})
        await s.admin.delete("/faults")
        assert (await s.api.get("/workspace")).status_code == 200


async def test_rate_limit_rps_answers_429_over_the_limit_and_admits_again_a_second_later() -> None:
    async with sim_env() as s:
        resp = await s.admin.post("/config", json={"rate_limit_rps": 3, "rate_limit_retry_after_s": 0.5})
        assert resp.status_code == 200
        statuses = [(await s.api.get("/workspace")).status_code for _ in range(5)]
        assert statuses == [200, 200, 200, 429, 429]
        refused = await s.api.get("/workspace")
        assert refused.headers["retry-after"] == "0.5"
        await asyncio.sleep(1.05)  # the in-process app reads the monotonic clock: let the window pass
        assert (await s.api.get("/workspace")).status_code == 200
        await s.admin.post("/config", json={"rate_limit_rps": 0})
        assert {(await s.api.get("/workspace")).status_code for _ in range(10)} == {200}
        log = (await s.admin.get("/requests")).json()
        assert [r["fault"] for r in log[:7]] == [None, None, None, "rate_limit", "rate_limit", "rate_limit", None]


async def test_commit_then_drop_in_process() -> None:
    async with sim_env() as s:
        bulk = await s.uploaded(5)
        await s.admin.post("/faults", json={"endpoint": "make_call_async", "kind": "commit_then_drop"})
        with pytest.raises(SimulatedDisconnect):  # over real HTTP this is httpx.RemoteProtocolError
            await s.launch(bulk)
        assert (await s.admin.get("/stats")).json()["launches"] == {bulk: 1}
        assert (await s.launch(bulk)).status_code == 200  # fault consumed; a retry launches again
        assert len(await s.truth(bulk)) == 10


async def test_request_log_records_every_api_request_after_fault_handling() -> None:
    async with sim_env() as s:
        bulk = await s.uploaded(3)
        await s.admin.post("/faults", json={"endpoint": "workspace", "kind": "rate_limit", "retry_after": 2})
        await s.admin.post("/faults", json={"endpoint": "history", "kind": "http_error", "status": 503})
        await s.admin.post("/faults", json={"endpoint": "campaign_all", "kind": "delay", "delay_s": 0.05})
        await s.admin.post("/faults", json={"endpoint": "make_call_async", "kind": "commit_then_drop"})
        assert (await s.api.get("/workspace")).status_code == 429
        assert (await s.api.get("/workspace")).status_code == 200
        assert (await s.api.get("/calling/history")).status_code == 503
        assert (await s.api.get("/campaign/all")).status_code == 200
        with pytest.raises(SimulatedDisconnect):
            await s.launch(bulk)
        assert (await s.api.get("/workspace", headers={"X-API-KEY": "wrong"})).status_code == 401
        assert (await s.api.get("/no/such/route")).status_code == 404
        assert (await s.admin.get("/health")).status_code == 200  # admin routes are not API requests

        log = (await s.admin.get("/requests")).json()
        seen = [(r["endpoint"], r["method"], r["status"], r["fault"]) for r in log]
        assert seen == [
            ("upload_csv", "POST", 200, None),
            ("workspace", "GET", 429, "rate_limit"),
            ("workspace", "GET", 200, None),
            ("history", "GET", 503, "http_error"),
            ("campaign_all", "GET", 200, "delay"),
            ("make_call_async", "POST", None, "commit_then_drop"),  # dropped connection: no status
            ("workspace", "GET", 401, None),
            (None, "GET", 404, None),
        ], f"unexpected request log: {seen}"
        assert all(set(r) == {"endpoint", "method", "status", "t_received", "t_done", "fault"} for r in log)
        assert all(r["t_done"] >= r["t_received"] for r in log)
        assert [r["t_received"] for r in log] == sorted(r["t_received"] for r in log), "not oldest first"
        delayed = log[4]
        assert delayed["t_done"] - delayed["t_received"] >= 0.05, "a delayed request must be logged when done"
        assert abs(log[-1]["t_done"] - time.monotonic()) < 60, "times are monotonic seconds"

        only = (await s.admin.get("/requests", params={"endpoint": "workspace"})).json()
        assert [r["status"] for r in only] == [429, 200, 401]
        assert (await s.admin.get("/requests", params={"endpoint": "terminate"})).json() == []
        assert (await s.admin.get("/requests", params={"endpoint": "bogus"})).status_code == 422

        await s.admin.post("/reset")
        assert (await s.admin.get("/requests")).json() == []


async def test_request_log_is_bounded() -> None:
    async with sim_env() as s:
        log = s.state.request_log
        assert log.maxlen == 10_000
        filler = {"endpoint": "workspace", "method": "GET", "status": 200, "t_received": 0.0, "t_done": 0.0}
        log.extend([{**filler, "fault": None}] * 10_000)  # type: ignore[typeddict-item]
        assert (await s.api.get("/calling/history")).status_code == 200
        assert len(log) == 10_000 and log[-1]["endpoint"] == "history", "the oldest entry must be dropped"
        assert len((await s.admin.get("/requests")).json()) == 10_000


async def test_admin_config_and_reset() -> None:
    async with sim_env() as s:
        assert (await s.admin.post("/config", json={"api_key": "x"})).status_code == 400
        assert (await s.admin.post("/config", json={"time_scale": -1})).status_code == 422
        cfg = (await s.admin.post("/config", json={"balance_shape": "B", "credits": 42})).json()
        assert cfg["balance_shape"] == "B" and (await s.admin.get("/config")).json()["credits"] == 42
        assert (await s.api.get("/workspace")).json()["workspace_info"]["credits"] == 42
        await s.uploaded(3)
        await s.admin.post("/reset")
        stats = (await s.admin.get("/stats")).json()
        assert stats["uploads"] == [] and stats["requests"] == {} and stats["credits"] == 42


def test_cli_parsing() -> None:
    rule = parse_fault_spec("make_call_async:commit_then_drop:2")
    assert (rule.endpoint, rule.kind, rule.times) == ("make_call_async", "commit_then_drop", 2)
    assert parse_fault_spec("history:rate_limit:1:2.5").retry_after == 2.5
    assert parse_fault_spec("save:http_error:3:503").status == 503
    with pytest.raises(ValueError):
        parse_fault_spec("save:commit_then_drop:1:5")
    cfg = config_from_args(["--port", "0", "--time-scale", "0.5", "--fault", "history:delay:1:0.2"])
    assert cfg.time_scale == 0.5 and cfg.faults[0].delay_s == 0.2


# --- real subprocess over HTTP -----------------------------------------------------------------------
def test_subprocess_faults_and_lifecycle(tmp_path: Path) -> None:
    fault = ["--fault", "workspace:rate_limit:1:3"]
    with running_simulator(time_scale=0.002, extra_args=fault, log_path=tmp_path / "sim.log") as sim:
        headers = {"X-API-KEY": sim.api_key}
        with (
            httpx.Client(base_url=sim.base_url, headers=headers, timeout=10) as client,
            SimAdmin(sim) as admin,
        ):
            limited = client.get("/workspace")
            assert limited.status_code == 429 and limited.headers["retry-after"] == "3"
            assert client.get("/workspace").status_code == 200
            window = admin.window()
            data = {
                "agent_id": AGENT,
                "campaign_name": "Sub",
                "country_code": "IN",
                "variables_map": json.dumps(VARS),
                **window,
                "call_config": json.dumps(window["call_config"]),
            }
            up = client.post("/campaign/upload-csv", data=data, files={"file": ("a.csv", make_csv(10), "text/csv")})
            bulk = up.json()["bulk_list_id"]
            for _ in range(100):
                if client.get(f"/campaign/upload-status/{bulk}").json()["status"] == "completed":
                    break
            admin.add_fault("make_call_async", "commit_then_drop")
            body = {"bulk_list_id": bulk, "agent_id": AGENT, "from_numbers": [NUM_ID], "country_code": "IN", **window}
            with pytest.raises(httpx.RemoteProtocolError):
                client.post("/campaign/make-call-async", json=body)
            stats = admin.stats()
            assert stats["launches"] == {bulk: 1} and stats["requests"]["make_call_async"] == 1
            assert stats["campaigns"][bulk] in ("scheduled", "ongoing")
            assert len(admin.campaign_calls(bulk)) == 10
            for _ in range(400):
                if admin.stats()["campaigns"][bulk] == "completed":
                    break
                time.sleep(0.05)
            assert admin.stats()["campaigns"][bulk] == "completed"
            admin.set_credits(5)
            assert client.get("/workspace").json()["workspace_info"]["credits"] == 5
            admin.reset()
            assert admin.stats()["uploads"] == []
    assert sim.process.returncode == 0, sim.log_tail()
    assert "Traceback" not in sim.log_tail(200)


def test_subprocess_request_log_and_delay_commits_after_client_gave_up() -> None:
    """Over real HTTP: SimAdmin.requests(), and a delayed POST is still committed after its client timed out
    (the delay fault reads the whole request first, like a slow server)."""
    with (
        running_simulator(time_scale=0.002) as sim,
        SimAdmin(sim) as admin,
        httpx.Client(base_url=sim.base_url, headers={"X-API-KEY": sim.api_key}, timeout=10) as client,
    ):
        window = admin.window()
        data = {
            "agent_id": AGENT,
            "campaign_name": "Slow",
            "country_code": "+91",
            "variables_map": json.dumps(VARS),
            **window,
            "call_config": json.dumps(window["call_config"]),
        }
        admin.add_fault("upload_csv", "delay", delay_s=0.6)
        with pytest.raises(httpx.ReadTimeout):
            client.post(
                "/campaign/upload-csv",
                data=data,
                files={"file": ("a.csv", make_csv(4), "text/csv")},
                timeout=httpx.Timeout(0.2),
            )
        deadline = time.monotonic() + 10
        while not admin.requests("upload_csv") and time.monotonic() < deadline:
            time.sleep(0.05)
        [record] = admin.requests("upload_csv")
        assert record["status"] == 200 and record["fault"] == "delay" and record["method"] == "POST"
        assert record["t_done"] - record["t_received"] >= 0.6
        assert [u["campaign_name"] for u in admin.stats()["uploads"]] == ["Slow"], "the delayed upload committed"
        assert client.get("/campaign/all").status_code == 200
        assert [r["endpoint"] for r in admin.requests()] == ["upload_csv", "campaign_all"]
        admin.reset()
        assert admin.requests() == []
    assert sim.process.returncode == 0, sim.log_tail()


def test_subprocess_sigint_exits_cleanly() -> None:
    sim = start_simulator(extra_args=["--log-level", "info"])
    try:
        assert httpx.get(f"{sim.admin_url}/health", timeout=5).json() == {"status": "ok"}
        os.kill(sim.pid, signal.SIGINT)
        assert sim.process.wait(timeout=10) == 0
        assert "Finished server process" in sim.log_tail()
    finally:
        stop_simulator(sim)
        sim.log_path.unlink(missing_ok=True)
