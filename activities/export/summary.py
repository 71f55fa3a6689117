"""The export's summary report, accumulated page by page (it travels in the heartbeat checkpoint)."""

from __future__ import annotations

from collections.abc import Iterable

from activities.export.rows import ExportRow
from contract.export import ExportSummary

NO_STATUS = "unknown"
NO_SUB_STATUS = "none"


def add_rows(summary: ExportSummary, rows: Iterable[ExportRow]) -> None:
    for row in rows:
        status = row.status or NO_STATUS
        sub = row.sub_status or NO_SUB_STATUS
        summary.total_calls += 1
        if row.outcome == "not_called":
            summary.not_called += 1
        summary.by_status[status] = summary.by_status.get(status, 0) + 1
        subs = summary.by_sub_status.setdefault(status, {})
        subs[sub] = subs.get(sub, 0) + 1
        summary.total_cost += row.cost or 0.0
        if row.duration_s:
            summary.total_duration_s += row.duration_s
            summary.calls_with_duration += 1


def finished(summary: ExportSummary) -> ExportSummary:
    """Rounded totals and the average duration, for the report."""
    avg = summary.total_duration_s / summary.calls_with_duration if summary.calls_with_duration else 0.0
    return summary.model_copy(
        update={
            "total_cost": round(summary.total_cost, 4),
            "total_duration_s": round(summary.total_duration_s, 2),
            "avg_duration_s": round(avg, 2),
        }
    )
