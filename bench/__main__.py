"""The one bench: every figure of the product against its anchor measured in the same run, printed as one table
(`python -m bench --help`; `make bench`, `make bench QUICK=1`)."""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench.table import Figure, as_json, print_table, render

# Each module's figures(quick) starts what it needs on 127.0.0.1 and stops it before returning.
MODULES = {
    "preflight": "pre-flight speed and memory against a bare csv.reader pass",
    "trigger": "trigger to the first Ringg request against a bare httpx script",
    "launch_lag": "launch after Ringg's upload processing, at three file sizes, against the old fixed cadence",
    "fleet": "a fleet of small campaigns: requests per call, worker RSS, time to launch, counts",
    "monitor_scale": "monitoring one large campaign: history requests per 1,000 calls against a naive poller",
    "budget": "one Ringg budget across worker processes: the busiest second, and the rate under 429s",
    "ledger_write": "contact-ledger writes on SQLite and PostgreSQL against a bare executemany INSERT",
}


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Runs every figure of the product on this machine (dev server binary, simulator and worker "
        "processes on 127.0.0.1, stopped at the end) and prints one table: figure, this product's value, the anchor "
        "measured in the same run, their ratio, the target and whether it is met. Timings are only comparable "
        "within one run: read the ratios.",
        epilog="Figures: " + "; ".join(f"{name}: {what}" for name, what in MODULES.items()),
    )
    parser.add_argument("--quick", action="store_true", help="Smaller sizes that finish in a few minutes on a laptop.")
    parser.add_argument(
        "--only", default="", help="Comma-separated figure modules to run (default: all of them), e.g. fleet,trigger."
    )
    parser.add_argument("--json", type=Path, help="Also write the rows as JSON to this file.")
    args = parser.parse_args()
    chosen = [m for m in args.only.split(",") if m] or list(MODULES)
    unknown = [m for m in chosen if m not in MODULES]
    if unknown:
        parser.error(f"unknown figure module(s) {', '.join(unknown)}; choose from {', '.join(MODULES)}")
    rows: list[Figure] = []
    failed: list[str] = []
    for name in chosen:
        started = time.monotonic()
        print(f"[bench] {name}: {MODULES[name]} ...", file=sys.stderr, flush=True)
        figures: Callable[[bool], list[Figure]] = importlib.import_module(f"bench.{name}").figures
        try:
            got = figures(args.quick)
        except Exception as exc:  # one broken figure must not hide the others
            failed.append(f"{name}: {type(exc).__name__}: {exc}")
            print(f"[bench] {name} failed: {exc!r}", file=sys.stderr, flush=True)
            continue
        rows.extend(got)
        print(f"[bench] {name} done in {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
        print(render(got) + "\n", file=sys.stderr, flush=True)
    mode = "quick" if args.quick else "full"
    print(f"\nbench ({mode} mode), {len(rows)} figures\n")
    print_table(rows)
    if args.json:
        args.json.write_text(as_json(rows) + "\n")
    if failed:
        print("\nfigures that could not be measured:\n  " + "\n  ".join(failed))
        sys.exit(1)
    if any(f.ok is False for f in rows):
        sys.exit(3)


if __name__ == "__main__":
    main()
