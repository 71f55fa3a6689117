"""Payloads of the export: what ExportCampaignWorkflow and its activity take and return. Locations, ids and
counts only; the per-contact rows go to files on the worker, never into workflow history."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from contract.limits import Id, Short, Uri

ExportFormat = Literal["csv", "jsonl"]
EXPORT_FORMATS: tuple[ExportFormat, ...] = ("csv", "jsonl")
# calling/history pages: Ringg's maximum `limit` is not documented; 100 is what third parties use.
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


class ExportRequest(BaseModel):
    """ExportCampaignWorkflow's input. `out_uri` is a directory on the worker: a local path or a file:// URI.
    Without `since`/`until` the workflow asks Ringg for calls from 90 days ago to a day from now. Checked by
    `export_problems`, not by types, so a bad request fails the workflow readably instead of failing to decode."""

    list_id: Id
    out_uri: Uri
    formats: list[Short] = Field(default_factory=lambda: [str(f) for f in EXPORT_FORMATS], max_length=10)
    since: datetime | None = None
    until: datetime | None = None
    page_size: int = DEFAULT_PAGE_SIZE


class ExportInput(BaseModel):
    """The export_calls activity's input: the request with its date window resolved."""

    list_id: str
    out_uri: str
    formats: list[ExportFormat]
    since: datetime
    until: datetime
    page_size: int = DEFAULT_PAGE_SIZE


class ExportSummary(BaseModel):
    """Counts and totals over the exported calls (Ringg's status and sub-status vocabularies, no contact data).
    `avg_duration_s` averages over the calls that have a duration (connected calls), not over every call."""

    total_calls: int = 0
    # Contacts Ringg never dialled (cancelled without an attempt: window closed or campaign stopped first).
    not_called: int = 0
    by_status: dict[str, int] = Field(default_factory=dict)
    by_sub_status: dict[str, dict[str, int]] = Field(default_factory=dict)
    total_cost: float = 0.0
    total_duration_s: float = 0.0
    calls_with_duration: int = 0
    avg_duration_s: float = 0.0


class ExportResult(BaseModel):
    list_id: str
    files: dict[str, str] = Field(default_factory=dict)  # format -> where the file is (path on the worker)
    summary_file: str = ""
    rows: int = 0
    pages: int = 0
    resumed_at_offset: int = 0  # > 0 when a retried attempt continued from its predecessor's checkpoint
    summary: ExportSummary = Field(default_factory=ExportSummary)
