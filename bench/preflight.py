"""Pre-flight speed and memory on a generated CSV (default 1,000,000 rows): rows/s, peak RSS, and the ratio to
a bare `csv.reader` pass over the same file (`python -m bench.preflight --help`)."""

from __future__ import annotations

import argparse
import csv
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from activities.contacts.preflight import scan_csv
from devtools.sample_csv import DEFAULT_MAP, write_sample_csv


def bare_pass(path: Path) -> int:
    with path.open(newline="", encoding="utf-8") as f:
        return sum(1 for _ in csv.reader(f)) - 1


def measure(path: Path, what: str) -> None:
    """Runs in a child process so peak RSS is this pass's alone."""
    started = time.perf_counter()
    if what == "bare":
        rows = bare_pass(path)
    else:
        report = path.with_suffix(".report.csv")
        scan = scan_csv(path, DEFAULT_MAP, "+91", report)
        counts = scan.counts
        assert counts.unusable_rows == len(range(997, counts.data_rows + 1, 997)), counts
        print(f"# valid {counts.valid}, invalid {counts.unusable_rows}, duplicates {counts.duplicate_rows}")
        rows = counts.data_rows
    elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{rows} {elapsed:.3f} {peak_mb:.1f}")


def run_child(path: Path, what: str) -> tuple[int, float, float]:
    out = (
        subprocess.run(
            [sys.executable, "-m", "bench.preflight", "--measure", what, "--file", str(path)],
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.splitlines()[-1]
        .split()
    )
    return int(out[0]), float(out[1]), float(out[2])


def best_of(path: Path, what: str, repeat: int) -> tuple[int, float, float]:
    runs = [run_child(path, what) for _ in range(repeat)]
    return runs[0][0], min(r[1] for r in runs), max(r[2] for r in runs)


def quote_names(src: Path, dest: Path) -> Path:
    """The same rows with every name quoted (as Excel writes cells with commas): the csv-module path."""
    with src.open(newline="", encoding="utf-8") as f, dest.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, quoting=csv.QUOTE_NONNUMERIC)
        writer.writerows(csv.reader(f))
    return dest


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.preflight",
        description="Pre-flight speed and memory on a generated CSV: rows/s, peak RSS, and the ratio to a bare "
        "csv.reader pass over the same file in the same run (timings are noisy here: compare ratios). Pre-flight "
        "here is the whole check: hash, header, every number to E.164, duplicates, the invalid-rows report.",
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the generated CSV (default 1,000,000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each pass; the fastest counts")
    parser.add_argument("--quoted", action="store_true", help="also measure a file whose cells are all quoted")
    parser.add_argument("--keep", action="store_true", help="keep the generated CSV")
    parser.add_argument("--measure", choices=("bare", "preflight"), help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.file, args.measure)
        return
    with tempfile.TemporaryDirectory(prefix="bench-preflight-") as tmp:
        path = write_sample_csv(Path(tmp) / "contacts.csv", args.rows, invalid_every=997)
        files = [("plain", path)]
        if args.quoted:
            files.append(("quoted", quote_names(path, Path(tmp) / "quoted.csv")))
        for label, file in files:
            size_mb = file.stat().st_size / 1e6
            bare_rows, bare_s, bare_mb = best_of(file, "bare", args.repeat)
            rows, pre_s, pre_mb = best_of(file, "preflight", args.repeat)
            assert rows == bare_rows == args.rows, (rows, bare_rows)
            print(f"file ({label}):         {args.rows} rows, {size_mb:.1f} MB, best of {args.repeat}")
            print(f"bare csv.reader:       {bare_s:.2f}s ({bare_rows / bare_s:,.0f} rows/s), peak RSS {bare_mb:.0f} MB")
            print(f"pre-flight:            {pre_s:.2f}s ({rows / pre_s:,.0f} rows/s), peak RSS {pre_mb:.0f} MB")
            print(f"ratio to bare reader:  {pre_s / bare_s:.2f}")
        if args.keep:
            kept = Path("bench/out/contacts.csv")
            kept.parent.mkdir(parents=True, exist_ok=True)
            path.replace(kept)
            print(f"kept {kept}")


if __name__ == "__main__":
    main()
