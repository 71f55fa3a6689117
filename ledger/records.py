"""What the ledger takes and gives: plain records. Those holding numbers or caller fields never print them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

# Campaign statuses whose contacts may still be called: their pending contacts count against frequency caps.
ACTIVE_STATUSES = ("screened", "launched")
FINAL_STATUSES = ("completed", "terminated", "failed", "cancelled")
SCREENED_OUT = ("suppressed", "capped")  # contacts pre-flight removed: never uploaded


def _jsonable(record: Any) -> dict[str, Any]:
    """A record's fields, in order, as JSON values (times in ISO 8601)."""
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in asdict(record).items()}


def utc(moment: datetime | None) -> datetime | None:
    """Stored as UTC; SQLite gives naive datetimes back, which are UTC."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class CampaignEntry:
    key: str
    name: str
    workflow_id: str | None = None
    campaign_start_time: str | None = None
    campaign_end_time: str | None = None


@dataclass(frozen=True, slots=True)
class ContactEntry:
    number: str  # E.164
    row: int | None = None
    external_id: str | None = None
    fields: dict[str, str] | None = None
    outcome: str = "pending"
    wave: str | None = None

    def __repr__(self) -> str:
        return f"ContactEntry(row={self.row}, outcome={self.outcome!r})"


@dataclass(frozen=True, slots=True)
class CallEntry:
    call_id: str
    number: str
    list_id: str | None
    status: str | None
    sub_status: str | None
    attempts: int
    duration_s: float | None
    cost: float | None
    attempted_at: datetime | None
    outcome: str  # the contact's outcome after this call (domain.contact_outcome.last_outcome)

    def __repr__(self) -> str:
        return f"CallEntry(call_id={self.call_id!r}, status={self.status!r})"


@dataclass(frozen=True, slots=True)
class SuppressionEntry:
    number: str
    reason: str
    source: str

    def __repr__(self) -> str:
        return f"SuppressionEntry(reason={self.reason!r}, source={self.source!r})"


@dataclass(frozen=True, slots=True)
class FrequencyCap:
    calls: int
    days: float


@dataclass
class Screened:
    """Of a batch of numbers: the suppressed ones with their reason, the capped ones with their recent calls."""

    suppressed: dict[str, str] = field(default_factory=dict)
    capped: dict[str, int] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"Screened(suppressed={len(self.suppressed)}, capped={len(self.capped)})"


@dataclass(frozen=True, slots=True)
class CampaignView:
    key: str
    name: str
    workflow_id: str | None
    list_ids: list[str]
    campaign_start_time: str | None
    campaign_end_time: str | None
    status: str
    contacts: int
    suppressed: int
    capped: int
    calls_by_status: dict[str, int]
    created_at: datetime
    updated_at: datetime

    def as_json(self) -> dict[str, Any]:
        return _jsonable(self)


@dataclass(frozen=True, slots=True)
class ContactView:
    """One contact of a campaign with its latest call: for exports and the API's paging, never for logs."""

    id: int
    number: str
    external_id: str | None
    fields: dict[str, str]
    wave: str | None
    row: int | None
    outcome: str
    attempts: int
    last_status: str | None
    last_sub_status: str | None
    last_call_at: datetime | None

    def __repr__(self) -> str:
        return f"ContactView(id={self.id}, outcome={self.outcome!r})"

    def as_json(self) -> dict[str, Any]:
        return _jsonable(self)


@dataclass(frozen=True, slots=True)
class SuppressionView:
    number: str
    reason: str
    source: str
    created_at: datetime

    def __repr__(self) -> str:
        return f"SuppressionView(reason={self.reason!r}, source={self.source!r})"

    def as_json(self) -> dict[str, Any]:
        return _jsonable(self)
