"""Where the reports for a CSV's owner go: one folder per idempotency key, on the worker's disk."""

from __future__ import annotations

from pathlib import Path

DEFAULT_REPORT_DIR = Path("data/reports")


def contacts_report_path(report_dir: Path, key: str) -> Path:
    """Pre-flight's report: each row that cannot be called, with its problem."""
    return report_dir / key / "contacts-report.csv"


def invalid_rows_path(report_dir: Path, key: str, list_id: str) -> Path:
    """The rows Ringg itself invalidated, as Ringg's CSV."""
    return report_dir / key / f"ringg-invalid-rows-{list_id}.csv"
