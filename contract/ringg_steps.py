"""Inputs and results of each activity: references, ids and counts only, never CSV rows or secrets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from contract.campaign import ResolvedFlow, RinggBudgetView
from contract.number_types import DEFAULT_NUMBER_TYPES, NumberType


class UploadInput(BaseModel):
    """Everything the upload (large: upload-csv, standard: save) sends, plus what it reconciles by."""

    flow: ResolvedFlow
    csv_uri: str
    content_hash: str
    ringg_campaign_name: str
    idempotency_tag: str
    agent_id: str
    country_code: str
    number_types: list[NumberType] = Field(default_factory=lambda: list(DEFAULT_NUMBER_TYPES))
    variables_map: dict[str, str]
    campaign_start_time: str | None = None
    campaign_end_time: str | None = None
    call_config: dict[str, Any] = Field(default_factory=dict)
    remove_invalid_rows: bool = False
    transliterate_callee_name: bool = False
    # Rows pre-flight found valid: the rebuilt file must hold exactly these (None: upload the file as is).
    expected_rows: int | None = None
    # The numbers the ledger's screening removed (a file of E.164 numbers under the worker's report folder)
    exclusions_path: str | None = None
    # Large flow: the tag of this key's first chunk; a list under it means the campaign already runs in chunks.
    chunk_probe_tag: str | None = None


class UploadResult(BaseModel):
    list_id: str
    reused_existing: bool = False
    ringg_status: str | None = None
    contacts: int | None = None
    invalid_rows: int = 0
    invalid_rows_url: str | None = None
    # Rows Ringg received (save's total_rows); None when the answer does not say.
    total_rows: int | None = None


class ListRef(BaseModel):
    list_id: str
    idempotency_tag: str


class UploadStatusRead(ListRef):
    """One upload-status read; `wait_s`: a wait under a second taken in the activity before the read (the Temporal
    server fires a timer no sooner than about a second, too late for a launch due within one)."""

    wait_s: float = Field(default=0.0, ge=0.0, le=1.0)


class UploadStatusResult(BaseModel):
    status: str
    contacts: int | None = None
    invalid_rows: int = 0
    invalid_rows_url: str | None = None
    # read_upload_status answers while Ringg is still processing too (ready False), with its row counts.
    ready: bool = True
    total_rows: int | None = None
    processed_rows: int | None = None
    successful_rows: int | None = None
    failed_rows: int | None = None
    percent: float | None = None


class BalanceResult(BaseModel):
    sufficient: bool | None
    status: str | None = None
    required_credits: float | None = None
    available_credits: float | None = None
    missing_credits: float | None = None
    message: str = ""


class LaunchInput(BaseModel):
    flow: ResolvedFlow
    list_id: str
    idempotency_tag: str
    agent_id: str
    country_code: str
    campaign_start_time: str | None = None
    campaign_end_time: str | None = None
    call_config: dict[str, Any] = Field(default_factory=dict)
    from_numbers: list[str] | None = None
    number_pool_id: str | None = None
    concurrency_percentage: int = 0
    callback_url: str | None = None
    email_completion_user_ids: list[str] | None = None


class LaunchResult(BaseModel):
    ringg_status: str | None = None
    already_launched: bool = False
    # start / v2/start only: whether the workspace has other calls in progress (they share its capacity).
    has_ongoing_calls: bool | None = None


class SnapshotInput(BaseModel):
    list_id: str
    idempotency_tag: str
    since: datetime
    expected_calls: int | None = None
    # Ringg's campaign status (one more request) is read when no call is pending, or when this is set.
    campaign_status: bool = True
    # Ringg last said "scheduled" (waiting for its start time) and no call has moved: read the status first and,
    # while it still says so, skip the history counts (1 request instead of 8).
    scheduled_probe: bool = False
    # The counts of the previous poll: statuses that cannot change any more are not asked again.
    previous_counts: dict[str, int] = Field(default_factory=dict)


class CampaignSnapshot(BaseModel):
    ringg_status: str | None = None
    calls_by_status: dict[str, int] = Field(default_factory=dict)
    total_calls: int = 0
    finished: bool = False
    requests: int = 0
    # False when a scheduled probe found the campaign still scheduled: calls_by_status was not read.
    counts_read: bool = True
    budget: RinggBudgetView | None = None  # the shared request budget (None: CAMPAIGN_RINGG_BUDGET_RPS=0)


class TerminateInput(BaseModel):
    list_id: str


class TerminateResult(BaseModel):
    message: str = ""


class TerminateNumbersInput(BaseModel):
    list_id: str
    numbers_uri: str
    country_code: str


class CallerNumbersInput(BaseModel):
    from_numbers: list[str]


class CallerNumbersResult(BaseModel):
    """Workspace caller numbers (not contacts): safe to name in history and messages."""

    spam: list[str] = Field(default_factory=list)


class InvalidRowsInput(BaseModel):
    list_id: str
    idempotency_key: str
    url: str


class InvalidRowsResult(BaseModel):
    path: str
    bytes: int = 0
