"""Simulator scale figures: a large-flow campaign's wall time, and history paging on a 1,000,000-call campaign
(`python -m bench.sim_scale --help`)."""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

import httpx

from ringg_sim.testing import SimAdmin, running_simulator

AGENT = "830f767a-397e-4b39-82ff-235cd344e2f9"
FROM_NUMBER = "3b1f5c2e-8a41-4d0b-9c7e-1a2b3c4d5e01"
VARS = json.dumps({"mobile_number": "Mobile Number", "callee_name": "Name", "policy_id": "Policy ID"})


def make_csv(rows: int) -> bytes:
    lines = ["Mobile Number,Name,Policy ID"]
    lines += [f"+9190{i:08d},Person {i},POL-{i}" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def form(name: str, window: dict[str, Any]) -> dict[str, str]:
    """The upload's fields, with a window open now on the simulator's clock (SimAdmin.window())."""
    return {
        "agent_id": AGENT,
        "campaign_name": name,
        "country_code": "+91",
        "variables_map": VARS,
        "campaign_start_time": window["campaign_start_time"],
        "campaign_end_time": window["campaign_end_time"],
        "call_config": json.dumps(window["call_config"]),
    }


def campaign_status(client: httpx.Client, name: str) -> str:
    rows = client.get("/campaign/all", params={"search": name}).json()["campaigns"]
    return str(rows[0]["campaign_status"])


def run_campaign(time_scale: float, rows: int) -> None:
    with running_simulator(time_scale=time_scale) as sim:
        client = httpx.Client(base_url=sim.base_url, headers={"X-API-KEY": sim.api_key}, timeout=60)
        t_upload = time.monotonic()
        files = {"file": ("c.csv", make_csv(rows), "text/csv")}
        with SimAdmin(sim) as admin:
            window = admin.window()
        bulk = client.post("/campaign/upload-csv", data=form("bench6k", window), files=files).json()["bulk_list_id"]
        while client.get(f"/campaign/upload-status/{bulk}").json()["status"] not in ("completed", "failed"):
            time.sleep(0.05)
        t_ready = time.monotonic()
        assert client.post(f"/campaign/check-balance/{bulk}").json()["status"] == "draft"
        body = {"bulk_list_id": bulk, "agent_id": AGENT, "from_numbers": [FROM_NUMBER], "country_code": "+91", **window}
        assert client.post("/campaign/make-call-async", json=body).status_code == 200
        t_launch = time.monotonic()
        while campaign_status(client, "bench6k") != "completed":
            time.sleep(0.1)
        t_done = time.monotonic()
        print(f"[{rows} rows @ time_scale {time_scale}]")
        print(f"  upload -> processed : {t_ready - t_upload:6.2f} s")
        print(f"  launch -> completed : {t_done - t_launch:6.2f} s")
        print(f"  upload -> completed : {t_done - t_upload:6.2f} s")


def timed(client: httpx.Client, params: dict[str, Any], repeat: int = 5) -> tuple[float, int]:
    samples = []
    total = 0
    for _ in range(repeat):
        t = time.perf_counter()
        resp = client.get("/calling/history", params=params)
        samples.append(time.perf_counter() - t)
        resp.raise_for_status()
        total = int(resp.json()["total"])
    return statistics.median(samples) * 1000, total


def run_big(rows: int) -> None:
    # time_scale 0.001: 1M calls at 2 calls/simulated-s spread over ~500 s wall, so the campaign is mid-flight
    with running_simulator(time_scale=0.001) as sim:
        client = httpx.Client(base_url=sim.base_url, headers={"X-API-KEY": sim.api_key}, timeout=300)
        rss0 = rss_mb(sim.pid)
        data = make_csv(rows)
        t = time.monotonic()
        files = {"file": ("big.csv", data, "text/csv")}
        with SimAdmin(sim) as admin:
            window = admin.window(hours_after=30 * 24)
        resp = client.post("/campaign/save", data=form("bench1m", window), files=files)
        resp.raise_for_status()
        list_id = resp.json()["list_id"]
        t_save = time.monotonic() - t
        rss1 = rss_mb(sim.pid)
        body = {"agent_id": AGENT, "list_id": list_id, "from_numbers": [FROM_NUMBER]}
        t = time.monotonic()
        client.post("/campaign/start", json=body).raise_for_status()
        t_start = time.monotonic() - t
        time.sleep(3)
        rss2 = rss_mb(sim.pid)
        print(f"[{rows:,}-call campaign]")
        print(f"  CSV {len(data) / 1e6:.0f} MB; /campaign/save {t_save:.2f} s; /campaign/start {t_start:.2f} s")
        print(f"  simulator RSS: idle {rss0:.0f} MB, after upload {rss1:.0f} MB, after launch {rss2:.0f} MB")
        dates = {"start_date": "2000-01-01T00:00:00+00:00", "end_date": "2100-01-01T00:00:00+00:00"}
        cases: list[tuple[str, dict[str, Any]]] = [
            ("page 1 (limit 100)", {}),
            ("offset 500,000", {"offset": 500_000}),
            ("offset 999,900", {"offset": 999_900}),
            ("status=completed offset 0", {"status": "completed"}),
            ("status=registered offset 500,000", {"status": "registered", "offset": 500_000}),
            ("status=ongoing", {"status": "ongoing"}),
        ]
        for label, extra in cases:
            params = {"bulk_list_id": list_id, "limit": 100, **dates, **extra}
            ms, total = timed(client, params)
            print(f"  history {label:34s}: {ms:7.1f} ms (total={total:,})")
        t = time.perf_counter()
        client.get("/campaign/all").raise_for_status()
        print(f"  campaign/all                              : {(time.perf_counter() - t) * 1000:7.1f} ms")
        t = time.perf_counter()
        client.patch("/campaign/terminate", json={"campaign_id": list_id}).raise_for_status()
        print(f"  terminate whole campaign                  : {(time.perf_counter() - t) * 1000:7.1f} ms")
        ms, total = timed(client, {"bulk_list_id": list_id, "limit": 100, "status": "cancelled", **dates})
        print(f"  history status=cancelled                  : {ms:7.1f} ms (total={total:,})")


def main() -> None:
    p = argparse.ArgumentParser(
        prog="python -m bench.sim_scale",
        description="Simulator scale figures: latency of /calling/history pages on a big campaign, plus its upload "
        "time and the simulator's RSS; then the wall time of a large-flow campaign (upload -> ready -> launch -> "
        "completed) at a time scale.",
    )
    p.add_argument("--time-scale", type=float, default=0.01, help="the campaign's simulator time scale (default 0.01)")
    p.add_argument("--rows", type=int, default=6000, help="rows of the campaign (default 6000)")
    p.add_argument("--big-rows", type=int, default=1_000_000, help="calls of the big campaign (default 1,000,000)")
    p.add_argument("--skip-big", action="store_true", help="skip the history paging figures")
    p.add_argument("--skip-campaign", action="store_true", help="skip the campaign's wall time")
    args = p.parse_args()
    if not args.skip_big:
        run_big(args.big_rows)
    if not args.skip_campaign:
        run_campaign(args.time_scale, args.rows)


if __name__ == "__main__":
    main()
