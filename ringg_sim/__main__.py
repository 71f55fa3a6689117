"""CLI: python -m ringg_sim --port N [options]. Prints one readiness line, exits 0 on SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence

import uvicorn

from ringg_sim.app import create_app
from ringg_sim.config import SimConfig
from ringg_sim.faults import install_log_filter, parse_fault_spec


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m ringg_sim", description="Ringg AI API simulator")
    p.add_argument("--port", type=int, required=True, help="TCP port (0 = pick a free one)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--api-key", default="sim-dev-key")
    p.add_argument("--time-scale", type=float, default=1.0, help="wall seconds per simulated second")
    p.add_argument("--credits", type=float, default=1_000_000)
    p.add_argument("--credits-per-call", type=float, default=1.0)
    p.add_argument("--upload-vocabulary", choices=["documented", "verifying", "fixture"], default="documented")
    p.add_argument("--balance-shape", choices=["A", "B"], default="A")
    p.add_argument("--call-rate", type=float, default=2.0, help="calls started per simulated second")
    p.add_argument("--retry-delay", type=float, default=30.0, help="simulated seconds before a retry")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dnc-every", type=int, default=0, help="Ringg rejects every Nth uploaded row (do-not-call)")
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
        seed=args.seed,
        dnc_every=args.dnc_every,
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
