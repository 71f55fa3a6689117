"""Helpers of the simulator's strictness matrix (tests/test_sim_strict_*.py): raw HTTP uploads and launches with
windows built on the simulator's clock, waits on its state, and a loopback receiver for campaign callbacks."""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from ringg_sim.testing import WINDOW_FORMAT, RunningSimulator, SimAdmin

AGENT = "agent-strict"
NUMBER_ID = "3b1f5c2e-8a41-4d0b-9c7e-1a2b3c4d5e01"
VARS = {"mobile_number": "Mobile Number", "callee_name": "Name"}


def contacts_csv(n: int, *, bad: int = 0, start: int = 0) -> str:
    rows = ["Mobile Number,Name"] + [f"+9198{start + i:08d},Person {start + i}" for i in range(n)]
    rows += [f"12{i},Broken {i}" for i in range(bad)]
    return "\n".join(rows) + "\n"


def local(epoch: float, tz: str = "Asia/Kolkata") -> str:
    """'DD/MM/YYYY, HH:MM' of a simulated instant in `tz` (seconds dropped)."""
    return datetime.fromtimestamp(epoch, ZoneInfo(tz)).strftime(WINDOW_FORMAT)


def parse_sim(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


class Strict:
    """The API (X-API-KEY) and admin clients of one simulator."""

    def __init__(self, sim: RunningSimulator) -> None:
        self.api = httpx.Client(base_url=sim.base_url, headers={"X-API-KEY": sim.api_key}, timeout=30)
        self.admin = SimAdmin(sim)

    def close(self) -> None:
        self.api.close()
        self.admin.close()

    def form(self, window: dict[str, Any], **fields: Any) -> dict[str, str]:
        """A complete multipart form (every documented field) with the window's fields; `fields` override, and
        a field set to None is left out."""
        data: dict[str, Any] = {
            "agent_id": AGENT,
            "campaign_name": "strict",
            "country_code": "+91",
            "variables_map": json.dumps(VARS),
            **window,
            "call_config": json.dumps(window["call_config"]),
            **fields,
        }
        return {k: v for k, v in data.items() if v is not None}

    def upload_csv(self, csv_text: str, window: dict[str, Any], **fields: Any) -> httpx.Response:
        files = {"file": ("c.csv", csv_text, "text/csv")}
        return self.api.post("/campaign/upload-csv", data=self.form(window, **fields), files=files)

    def save(self, csv_text: str, window: dict[str, Any], **fields: Any) -> httpx.Response:
        files = {"file": ("c.csv", csv_text, "text/csv")}
        return self.api.post("/campaign/save", data=self.form(window, **fields), files=files)

    def uploaded(self, csv_text: str, window: dict[str, Any], **fields: Any) -> str:
        """An upload-csv list whose processing has completed."""
        resp = self.upload_csv(csv_text, window, **fields)
        assert resp.status_code == 200, resp.text
        bulk = str(resp.json()["bulk_list_id"])
        wait_for(lambda: self.api.get(f"/campaign/upload-status/{bulk}").json()["status"] == "completed")
        return bulk

    def launch_body(self, bulk: str, window: dict[str, Any], **fields: Any) -> dict[str, Any]:
        body = {"bulk_list_id": bulk, "agent_id": AGENT, "from_numbers": [NUMBER_ID], "country_code": "+91"}
        body |= window | fields
        return {k: v for k, v in body.items() if v is not None}

    def launch(self, bulk: str, window: dict[str, Any], **fields: Any) -> httpx.Response:
        return self.api.post("/campaign/make-call-async", json=self.launch_body(bulk, window, **fields))

    def launched(self, csv_text: str, window: dict[str, Any], **fields: Any) -> str:
        bulk = self.uploaded(csv_text, window)
        resp = self.launch(bulk, window, **fields)
        assert resp.status_code == 200, resp.text
        return bulk

    def status(self, list_id: str) -> str:
        return str(self.admin.campaign(list_id)["campaign_status"])

    def finished(self, list_id: str, timeout_s: float = 30) -> list[dict[str, Any]]:
        """Waits for the campaign to complete; returns the ground truth of its calls."""
        wait_for(lambda: self.status(list_id) == "completed", timeout_s)
        return self.admin.campaign_calls(list_id)

    def history(self, list_id: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        while True:
            params: dict[str, str | int] = {"bulk_list_id": list_id, "limit": 100, "offset": len(rows)}
            params |= {"start_date": "2000-01-01T00:00:00+00:00", "end_date": "2100-01-01T00:00:00+00:00"}
            page = self.api.get("/calling/history", params=params).json()
            rows += page["calls"]
            if len(rows) >= page["total"] or not page["calls"]:
                return rows


def wait_for(check: Callable[[], bool], timeout_s: float = 30, every_s: float = 0.05) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(every_s)
    raise AssertionError(f"not reached within {timeout_s} s")


@contextlib.contextmanager
def strict_client(sim: RunningSimulator) -> Iterator[Strict]:
    s = Strict(sim)
    try:
        s.admin.reset()
        yield s
    finally:
        s.close()


class CallbackReceiver:
    """A loopback endpoint recording each POST; answers `first_status` to the first one, then 200."""

    def __init__(self, first_status: int = 200) -> None:
        self.posts: list[dict[str, Any]] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                receiver.posts.append(body)
                self.send_response(first_status if len(receiver.posts) == 1 else 200)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/ringg/campaign-callback"

    def __enter__(self) -> CallbackReceiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
