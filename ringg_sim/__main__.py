"""CLI: python -m ringg_sim --port N [options]. Prints one readiness line, exits 0 on SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import textwrap
from collections.abc import Sequence
from typing import get_args

import uvicorn

from ringg_sim.app import create_app
from ringg_sim.config import EndpointName, SimConfig
from ringg_sim.faults import install_log_filter, parse_fault_spec
from ringg_sim.state import REQUEST_LOG_MAX

DESCRIPTION = """\
Ringg AI API simulator: Ringg's campaign API at http://HOST:PORT/ca/api/v0 (X-API-KEY) and an admin API at /_sim
(no key). Prints `ringg-sim listening on http://HOST:PORT/ca/api/v0` once ready; exits 0 on SIGTERM/SIGINT."""

_ENDPOINTS = textwrap.fill(
    ", ".join(get_args(EndpointName)), width=112, initial_indent="  endpoints: ", subsequent_indent=" " * 13
)
EPILOG = f"""\
time:
  The simulated clock starts at the wall clock's reading and runs 1/--time-scale times faster; campaign windows,
  daily call times, scheduled_at and retry waits are read on it (GET /_sim/clock shows it). The workspace starts
  --call-rate calls per simulated second, shared by every launch that is dialling (a launch's
  concurrency_percentage takes that share; the others split the rest), from launch + schedule_delay (5 s), only
  inside the launch's window and daily call time. A call lasts 30-120 s (completed), rings 15-40 s per attempt
  when not picked up, and waits call_retry_config's minutes (--retry-delay when not given) between attempts.
  A 6,000-row campaign alone spans ~3,000 simulated seconds plus its retries: --time-scale 0.01 ~ 30 s of wall
  time before the retries. Rules and their sources: docs/simulator.md.

faults (--fault ENDPOINT:KIND[:TIMES[:PARAM]]; TIMES requests, default 1, -1 = forever):
{_ENDPOINTS}
  rate_limit        429; PARAM is the Retry-After seconds (no header without it)
  http_error        PARAM is the status (default 500)
  delay             reads the whole request, waits PARAM seconds (default 1), then handles it normally:
                    a request whose client gave up meanwhile is still committed
  commit_then_drop  the side effect is done, then the connection is cut after the response headers: a client
                    over HTTP sees httpx.RemoteProtocolError (in-process via ASGITransport,
                    ringg_sim.faults.SimulatedDisconnect)

request log:
  Every API request is recorded (endpoint name, method, status or null when the connection was dropped,
  t_received/t_done in the simulator's monotonic seconds, fault kind), the last {REQUEST_LOG_MAX:,} only.
  GET /_sim/requests[?endpoint=NAME] returns them oldest first; POST /_sim/reset clears them.

In tests, use ringg_sim.testing (running_simulator, SimAdmin) or create_app(SimConfig(...), clock=...)."""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m ringg_sim",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--port", type=int, required=True, help="TCP port (0 = pick a free one)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind")
    p.add_argument("--api-key", default="sim-dev-key", help="the X-API-KEY the API accepts")
    p.add_argument("--time-scale", type=float, default=1.0, help="wall seconds per simulated second")
    p.add_argument("--credits", type=float, default=1_000_000, help="the workspace's credits at start")
    p.add_argument("--credits-per-call", type=float, default=1.0)
    p.add_argument(
        "--upload-vocabulary",
        choices=["documented", "verifying", "fixture"],
        default="documented",
        help="upload statuses: uploaded/processing/completed, verifying/ready, or in_db/draft",
    )
    p.add_argument(
        "--balance-shape",
        choices=["A", "B"],
        default="A",
        help="check-balance answers {status, message} (A) or {sufficient_balance, ...} (B)",
    )
    p.add_argument(
        "--call-rate", type=float, default=2.0, help="the workspace's calls started per simulated second (shared)"
    )
    p.add_argument(
        "--retry-delay",
        type=float,
        default=1800.0,
        help="simulated seconds before a retry when call_retry_config gives no minutes (default 30 min)",
    )
    p.add_argument(
        "--active-status",
        choices=["ongoing", "running"],
        default="ongoing",
        help="the campaign status while calling",
    )
    p.add_argument(
        "--api-concurrency-pct", type=float, default=0.0, help="share of the capacity kept for API calls (0-99)"
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the calls' outcomes and durations")
    p.add_argument("--dnc-every", type=int, default=0, help="Ringg rejects every Nth uploaded row (do-not-call)")
    p.add_argument(
        "--large-flow",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="whether the workspace has the beta large-campaign flow; --no-large-flow: its endpoints answer 403",
    )
    p.add_argument("--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"])
    p.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="ENDPOINT:KIND[:TIMES[:PARAM]]",
        help="inject a fault at startup (repeatable)",
    )
    return p


def config_from_args(argv: Sequence[str] | None = None) -> SimConfig:
    args = build_parser().parse_args(argv)
    return SimConfig(
        host=args.host,
        port=args.port,
        api_key=args.api_key,
        time_scale=args.time_scale,
        credits=args.credits,
        credits_per_call=args.credits_per_call,
        upload_vocabulary=args.upload_vocabulary,
        balance_shape=args.balance_shape,
        call_rate=args.call_rate,
        retry_delay_s=args.retry_delay,
        active_status=args.active_status,
        api_concurrency_pct=args.api_concurrency_pct,
        seed=args.seed,
        dnc_every=args.dnc_every,
        large_flow_enabled=args.large_flow,
        log_level=args.log_level,
        faults=[parse_fault_spec(s) for s in args.fault],
    )


_stop: dict[str, object] = {"requested": False, "server": None}


def _on_signal(signum: int, frame: object) -> None:
    # Active only outside uvicorn's own signal capture (startup window, and after shutdown, when uvicorn
    # re-raises the captured signal): request a stop and otherwise swallow it, so we exit with status 0.
    _stop["requested"] = True
    server = _stop["server"]
    if isinstance(server, uvicorn.Server):
        server.should_exit = True


async def serve(config: SimConfig) -> int:
    verbose = config.log_level in ("info", "debug")
    uv_config = uvicorn.Config(
        create_app(config),
        host=config.host,
        port=config.port,
        log_level=config.log_level,
        access_log=verbose,
        timeout_graceful_shutdown=3,
        lifespan="off",
    )
    server = uvicorn.Server(uv_config)
    _stop["server"] = server
    server.should_exit = bool(_stop["requested"])
    install_log_filter()
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            await task
            return 0 if _stop["requested"] else 1
        await asyncio.sleep(0.01)
    port = config.port
    for srv in server.servers:
        for sock in srv.sockets:
            port = sock.getsockname()[1]
    print(f"ringg-sim listening on http://{config.host}:{port}/ca/api/v0", flush=True)
    await task
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    config = config_from_args(argv)
    logging.basicConfig(level=config.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _on_signal)
    return asyncio.run(serve(config))


if __name__ == "__main__":
    sys.exit(main())
