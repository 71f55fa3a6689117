"""Payloads of the ledger's activities: pre-flight's screening against the suppression list and frequency caps
(which also records the campaign's contacts), the campaign's status, and the recording of its calls. Counts and
paths only: no number ever travels through workflow history."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from contract.campaign import FrequencyCap
from contract.number_types import DEFAULT_NUMBER_TYPES, NumberType


class ScreenInput(BaseModel):
    idempotency_key: str
    campaign_name: str
    csv_uri: str
    content_hash: str
    country_code: str
    number_types: list[NumberType] = Field(default_factory=lambda: list(DEFAULT_NUMBER_TYPES))
    variables_map: dict[str, str]
    campaign_start_time: str | None = None
    campaign_end_time: str | None = None
    external_id_column: str | None = None
    passthrough_columns: list[str] = Field(default_factory=list)
    frequency_cap: FrequencyCap | None = None


class ScreenResult(BaseModel):
    contacts: int  # valid, unique contacts recorded for the campaign (screened-out ones included)
    suppressed: int = 0
    capped: int = 0
    # The numbers the upload leaves out (one E.164 number a line, on the worker's disk); None: none
    exclusions_path: str | None = None
    # Pre-flight's contacts report with the screened-out rows added (None: no row was refused at all)
    report_path: str | None = None


class LedgerStatus(BaseModel):
    idempotency_key: str
    status: str  # launched | completed | terminated | failed | cancelled
    list_ids: list[str] = Field(default_factory=list)


class RecordCallsInput(BaseModel):
    idempotency_key: str
    campaign_name: str
    list_ids: list[str]
    country_code: str = "+91"
    since: datetime
    until: datetime
    final_status: str | None = None  # the campaign's status once recorded (None: leave it)
    suppress_on: list[str] = Field(default_factory=list)
    page_size: int = Field(default=100, ge=1, le=100)  # Ringg's history pages hold at most 100 calls


class RecordCallsResult(BaseModel):
    calls: int  # call rows read from Ringg's history
    new_calls: int  # of them, not in the ledger before
    calls_by_status: dict[str, int] = Field(default_factory=dict)  # the ledger's counts after recording
    suppressed_added: int = 0
    resumed_at_offset: int = 0


class SuppressNumbersInput(BaseModel):
    numbers_uri: str
    country_code: str
    reason: str
    source: str


class SuppressNumbersResult(BaseModel):
    numbers: int
    added: int
