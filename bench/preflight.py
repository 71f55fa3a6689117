"""Pre-flight's time and peak RSS on a generated contacts CSV (plain, and every cell quoted) against a bare
`csv.reader` pass over the same file in the same run, and the ledger screening's second read of the CSV."""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.table import Figure, own_peak_rss_mb, print_table

QUICK_ROWS = 200_000
FULL_ROWS = 1_000_000
INVALID_EVERY = 997  # every 997th row has an unusable number (pre-flight's report is written)
MAX_RSS_MB = 150
# Pre-flight's time over a bare csv.reader pass: the quote-free path, and the csv module's path.
MAX_RATIO = {"plain": 1.5, "quoted": 2.0}
PASSES = ("bare", "preflight", "screen")


def _bare(path: Path) -> int:
    with path.open(newline="", encoding="utf-8") as f:
        return sum(1 for _ in csv.reader(f)) - 1


def _preflight() -> Callable[[Path], int]:
    from activities.contacts.preflight import scan_csv
    from devtools.sample_csv import DEFAULT_MAP

    def run(path: Path) -> int:
        counts = scan_csv(path, DEFAULT_MAP, "+91", path.with_suffix(".report.csv")).counts
        assert counts.unusable_rows == counts.data_rows // INVALID_EVERY, counts
        return counts.data_rows

    return run


def _screen() -> Callable[[Path], int]:
    """The ledger screening's reading of the CSV (its hash check, then every valid contact in batches), without
    the ledger's writes: what a second read of the file costs."""
    from activities.contacts.source import file_sha256
    from activities.ledger.contacts_file import contact_batches
    from devtools.sample_csv import DEFAULT_MAP
    from domain.csv_limits import CsvLimits
    from domain.phones import PhoneNormalizer

    def run(path: Path) -> int:
        file_sha256(path)
        batches = contact_batches(path, DEFAULT_MAP, PhoneNormalizer("+91"), CsvLimits(), None, [])
        return sum(len(batch) for _, batch in batches)

    return run


def _measure(path: Path, what: str) -> None:
    """One pass, in a child process of its own so that its peak RSS is this pass's alone (the product's modules
    imported before the clock starts); prints one JSON line."""
    run = _bare if what == "bare" else _preflight() if what == "preflight" else _screen()
    started = time.process_time()  # CPU time: the machine may be shared, and the passes are CPU-bound
    rows = run(path)
    elapsed = time.process_time() - started
    peak_mb = own_peak_rss_mb()
    print(json.dumps({"rows": rows, "s": elapsed, "mb": peak_mb}))


def _child(path: Path, what: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.preflight", "--measure", what, "--file", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result: dict[str, float] = json.loads(out.splitlines()[-1])
    return result


def _best(path: Path, repeat: int) -> dict[str, tuple[float, float]]:
    """pass -> (fastest time, highest peak RSS); the passes alternate so that load on the machine hits them alike."""
    runs: dict[str, list[dict[str, float]]] = {what: [] for what in PASSES}
    for _ in range(repeat):
        for what in PASSES:
            runs[what].append(_child(path, what))
    return {what: (min(r["s"] for r in rs), max(r["mb"] for r in rs)) for what, rs in runs.items()}


def _quote_all(src: Path, dest: Path) -> Path:
    with src.open(newline="", encoding="utf-8") as f, dest.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out, quoting=csv.QUOTE_ALL).writerows(csv.reader(f))
    return dest


def _rows_label(rows: int) -> str:
    return f"{rows // 1_000_000}M" if rows % 1_000_000 == 0 else f"{rows // 1000}k"


def figures(quick: bool, rows: int | None = None, repeat: int | None = None) -> list[Figure]:
    from devtools.sample_csv import write_sample_csv

    rows = rows or (QUICK_ROWS if quick else FULL_ROWS)
    repeat = repeat or (2 if quick else 3)
    out: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="bench-preflight-") as tmp:
        plain = write_sample_csv(Path(tmp) / "plain.csv", rows, invalid_every=INVALID_EVERY)
        quoted = _quote_all(plain, Path(tmp) / "quoted.csv")
        for kind, path in (("plain", plain), ("quoted", quoted)):
            best = _best(path, repeat)
            (bare_s, bare_mb), (pre_s, pre_mb), (screen_s, screen_mb) = (best[what] for what in PASSES)
            label = f"{_rows_label(rows)} {kind} rows ({path.stat().st_size / 1e6:.1f} MB)"
            ratio = MAX_RATIO[kind]
            out += [
                Figure(
                    f"pre-flight, {label}: time",
                    pre_s,
                    "s",
                    bare_s,
                    "bare csv.reader",
                    f"<= {ratio}x anchor",
                    pre_s <= ratio * bare_s,
                ),
                Figure(
                    f"pre-flight, {label}: peak RSS",
                    pre_mb,
                    "MB",
                    bare_mb,
                    "bare csv.reader",
                    f"<= {MAX_RSS_MB} MB",
                    pre_mb <= MAX_RSS_MB,
                ),
                Figure(f"ledger screening's re-read, {label}: time", screen_s, "s", bare_s, "bare csv.reader"),
                Figure(f"ledger screening's re-read, {label}: peak RSS", screen_mb, "MB", bare_mb, "bare csv.reader"),
            ]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.preflight",
        description="Pre-flight's CPU time and peak RSS on a generated contacts CSV (plain, and every cell quoted), "
        "each pass in a child process of its own, against a bare csv.reader pass over the same file in the same "
        "run (best of the runs, passes alternated); and the ledger screening's second read of the file.",
    )
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ROWS:,} rows, 2 runs (default {FULL_ROWS:,}, 3)")
    parser.add_argument("--rows", type=int, help="rows of the generated CSV")
    parser.add_argument("--repeat", type=int, help="runs of each pass; the fastest counts")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--measure", choices=PASSES, help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        _measure(args.file, args.measure)
        return
    result = figures(args.quick, args.rows, args.repeat)
    if args.json:
        from bench.table import as_json

        print(as_json(result))
    else:
        print_table(result)


if __name__ == "__main__":
    main()
