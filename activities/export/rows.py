"""One exported row per call, mapped from a `calling/history` row, and its CSV / JSON cell values."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from domain.call_outcome import Outcome, outcome
from domain.cell_safety import safe_cell
from ringg import CallRecord

COLUMNS = (
    "call_id",
    "number",
    "name",
    "status",
    "sub_status",
    "attempts",
    "duration_s",
    "cost",
    "attempted_at",
    # called | not_called (Ringg never dialled it: the window closed or the campaign was stopped) | pending
    "outcome",
)


@dataclass(frozen=True, slots=True)
class ExportRow:
    """Holds a contact's number and name: written to the export files only, never logged or returned."""

    call_id: str
    number: str | None
    name: str | None
    status: str | None
    sub_status: str | None
    attempts: int
    duration_s: float | None
    cost: float | None
    attempted_at: str | None
    outcome: Outcome

    def __repr__(self) -> str:
        return f"ExportRow(call_id={self.call_id!r}, status={self.status!r})"

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    def as_csv(self) -> list[str]:
        """Cells in COLUMNS order; text is neutralised against formula injection (see domain.cell_safety)."""
        return [
            safe_cell(self.call_id),
            safe_cell(self.number or ""),
            safe_cell(self.name or ""),
            safe_cell(self.status or ""),
            safe_cell(self.sub_status or ""),
            str(self.attempts),
            _number(self.duration_s),
            _number(self.cost),
            safe_cell(self.attempted_at or ""),
            self.outcome,
        ]


def _number(value: float | None) -> str:
    # Our own formatting of a parsed float: never text a spreadsheet could evaluate.
    return "" if value is None else repr(value)


def attempts_of(call: CallRecord) -> int:
    """Ringg's history rows carry `retry_count` (retries after the first attempt) and the latest
    `call_attempt_time`: no attempt time means the call was never dialled. Without `retry_count`, an attempted
    call counts one attempt."""
    if call.call_attempt_time is None:
        return call.retry_count or 0
    return (call.retry_count or 0) + 1


def row_from_call(call: CallRecord) -> ExportRow:
    return ExportRow(
        call_id=call.id,
        number=call.to_number,
        name=call.name,
        status=call.status,
        sub_status=call.sub_status,
        attempts=attempts_of(call),
        duration_s=call.call_duration,
        cost=call.call_cost,
        attempted_at=call.call_attempt_time,
        outcome=outcome(call),
    )
