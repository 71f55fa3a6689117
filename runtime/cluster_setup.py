"""`python -m runtime.cluster_setup`: the compose stack's one-shot job that prepares a self-hosted Temporal cluster
(`--help` says how)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from datetime import timedelta

from temporalio.service import RPCError

from client.cluster import SetupError, SetupReport, setup_cluster
from client.connect import connect_when_ready
from client.payload_keys import PayloadKeyError
from runtime.hard_exit import exit_without_finalizing


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m runtime.cluster_setup",
        description="Prepares a self-hosted Temporal cluster for the campaigns, idempotently: registers the namespace "
        "if it is missing and the campaign search attributes (all Keyword) in it. Connects like every entry point "
        "(TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS, profiles) and waits for a server that is "
        "still starting.",
        epilog="The compose file runs it as the one-shot temporal-setup job. On Temporal Cloud, manage namespaces "
        "and search attributes with tcld or the Cloud UI (docs/operations.md, Deploy).",
    )
    parser.add_argument(
        "--namespace",
        default=os.environ.get("TEMPORAL_NAMESPACE", "").strip() or "default",
        help="namespace to register and prepare (default: TEMPORAL_NAMESPACE, else 'default')",
    )
    parser.add_argument(
        "--retention-days",
        type=int,
        default=30,
        help="how long closed workflows are kept, for a namespace this creates (default 30)",
    )
    parser.add_argument("--timeout-s", type=float, default=180.0, help="how long to wait for the server (default 180)")
    args = parser.parse_args(argv)
    if args.retention_days < 1:
        parser.error("--retention-days must be 1 or more")
    return args


async def run(args: argparse.Namespace) -> SetupReport:
    client = await connect_when_ready(namespace=args.namespace, timeout_s=args.timeout_s)
    return await setup_cluster(client, args.namespace, timedelta(days=args.retention_days), args.timeout_s)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        report = asyncio.run(run(args))
    except (SetupError, RPCError, RuntimeError, PayloadKeyError) as err:
        print(f"temporal setup failed: {err}", file=sys.stderr)
        return 1
    state = "registered" if report.namespace_created else "exists"
    print(f"namespace {report.namespace}: {state}")
    print(f"search attributes added: {', '.join(report.added) or 'none'}")
    print(f"search attributes already registered: {', '.join(report.present) or 'none'}")
    return 0


if __name__ == "__main__":
    exit_without_finalizing(main())
