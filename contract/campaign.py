"""Payload models shared by the workflow, the activities and the entry points (no side effects)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from contract import limits
from contract.chunks import ChunkState
from contract.events import CampaignEvent
from contract.limits import ColumnName, Id, Short, Uri
from contract.number_types import DEFAULT_NUMBER_TYPES, NUMBER_TYPES, NumberType
from contract.statuses import PENDING_STATUSES

LARGE_FLOW_MIN_ROWS = 5_000
# The shape of an idempotency_key: it becomes part of workflow IDs and visibility queries.
IDEMPOTENCY_KEY_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")

Flow = Literal["auto", "standard", "large"]
# Waits between polls: below a tenth of a second a campaign would poll Ringg in a hot loop; above a day a
# typo (hours given as seconds) would look like a stall.
Wait = Annotated[float, Field(ge=0.1, le=86_400.0)]
ResolvedFlow = Literal["standard", "large"]


class PollingConfig(BaseModel):
    """How often Ringg is polled; defaults suit real campaigns, the demo and tests shorten them."""

    # Upload-status reads are paced by the file's expected processing time (workflows/upload_cadence.py): the
    # launch follows Ringg's "ready" within about max(1 s, 10% of the processing time). upload_initial_s is the
    # shortest wait between two reads (0.7 s + the launch's own requests = the 1 s floor), upload_max_s the
    # longest (an hour: a long file costs ~20 reads per processing hour; a smaller value buys more reads).
    upload_initial_s: Wait = 0.7
    upload_max_s: Wait = 3600.0
    # The prior speed of Ringg's processing (rows per second) until its progress fields measure it. Ringg
    # publishes none; the simulator models 1,000 rows/s + 2 s. A prior too slow costs one read, a prior too fast a
    # search of ~24 reads per 10x, so it is set on the slow side: 1M rows in ~55 min, inside upload_timeout_s.
    upload_rows_per_s: float = Field(default=300.0, gt=0, le=10_000_000.0, allow_inf_nan=False)
    upload_timeout_s: float = Field(default=2 * 3600.0, ge=1.0, le=7 * 86_400.0)
    monitor_initial_s: Wait = 5.0
    monitor_max_s: Wait = 120.0
    monitor_backoff: float = Field(default=1.5, ge=1.0, le=10.0)
    # While webhooks report calls, polls only reconcile: the wait is stretched by this factor.
    webhook_slowdown: float = Field(default=4.0, ge=1.0, le=100.0)
    # When Ringg's history says the campaign is done but webhooks have not reported every finished call yet,
    # how long the campaign stays open for the late ones (Ringg retries a delivery for about 3 minutes).
    webhook_grace_s: float = Field(default=60.0, ge=0.0, le=3600.0)
    # Once calls finish, the next poll is timed for when about this many more will have finished ...
    monitor_calls_per_poll: int = Field(default=1000, ge=1, le=10_000_000)
    # ... or, for big campaigns, for a share that keeps the number of polls near this.
    monitor_max_polls: int = Field(default=150, ge=1, le=100_000)
    balance_initial_s: Wait = 30.0
    balance_max_s: Wait = 600.0


class UploadProgress(BaseModel):
    """Ringg's processing of the uploaded list, as upload-status (large flow) or save (standard flow) reported
    it: rows received, processed so far, accepted and invalidated; `percent` when Ringg's answer allows it."""

    status: str | None = None
    total_rows: int | None = None
    processed_rows: int | None = None
    successful_rows: int | None = None
    failed_rows: int | None = None
    percent: float | None = None

    def describe(self) -> str:
        """E.g. "2,800 of 6,200 rows processed (45.2%), 2,744 accepted, 56 invalid — processing"."""
        parts: list[str] = []
        if self.processed_rows is not None and self.total_rows:
            parts.append(f"{self.processed_rows:,} of {self.total_rows:,} rows processed")
        elif self.total_rows is not None:
            parts.append(f"{self.total_rows:,} rows")
        if self.percent is not None:
            parts[-1:] = [f"{parts[-1]} ({self.percent:g}%)" if parts else f"{self.percent:g}% processed"]
        if self.successful_rows is not None:
            parts.append(f"{self.successful_rows:,} accepted")
        if self.failed_rows:
            parts.append(f"{self.failed_rows:,} invalid")
        text = ", ".join(parts) or "no counts from Ringg yet"
        return f"{text} — {self.status}" if self.status else text


class ContinuedState(BaseModel):
    """Internal: what a campaign carries across continue-as-new while it is being monitored. Callers
    never set it."""

    idempotency_key: str
    idempotency_tag: str
    flow: ResolvedFlow
    list_id: str
    since: str
    data_rows: int = 0
    contacts: int | None = None
    invalid_rows: int = 0
    invalid_rows_report: str | None = None
    unusable_rows: int = 0
    duplicate_rows: int = 0
    contacts_report: str | None = None
    reused_existing_list: bool = False
    polls: int = 0
    webhook_calls: dict[str, int] = Field(default_factory=dict)
    monitor_interval_s: float = 0.0
    calls_by_status: dict[str, int] = Field(default_factory=dict)
    ringg_status: str | None = None
    chunks: ChunkState | None = None
    upload: UploadProgress | None = None
    workspace_has_ongoing_calls: bool | None = None
    suppressed_rows: int = 0
    capped_rows: int = 0
    ledger: bool = False  # the run screened its contacts in the ledger: it records its calls there at the end
    events: EventsCarried | None = None


class FrequencyCap(BaseModel):
    """No number is dialled more than `calls` times in `days` days across campaigns: pre-flight removes the
    numbers that reached it (counting dials the ledger recorded and contacts waiting in unfinished campaigns)."""

    model_config = ConfigDict(extra="forbid")

    calls: int = Field(ge=1, le=1000)
    days: float = Field(gt=0, le=366)


class EventsCarried(BaseModel):
    """Internal: the events' sequence, the last progress percent sent and the events not yet delivered (sent again,
    with the same ids, by the next run), carried across continue-as-new."""

    sequence: int = 0
    progress_percent: int = 0
    pending: list[CampaignEvent] = Field(default_factory=list)


class CampaignRequest(BaseModel):
    """The workflow input (public contract, see DESIGN.md). The model holds only the limits on size and depth
    (`contract.limits`: a request past them is refused by the API, the starter and the worker alike); what the
    values mean is checked by `domain.validation`, which lists every problem at once."""

    model_config = ConfigDict(extra="forbid")

    campaign_name: str
    agent_id: Id
    csv_uri: Uri
    country_code: Short = "+91"
    # The kinds of number called (phonenumbers' types); the rest are refused in pre-flight's contacts report.
    number_types: list[NumberType] = Field(default=list(DEFAULT_NUMBER_TYPES), max_length=len(NUMBER_TYPES))
    variables_map: dict[Id, ColumnName] = Field(
        default_factory=lambda: {"mobile_number": "Mobile Number"}, max_length=limits.MAX_VARIABLES
    )
    campaign_start_time: Short | None = None
    campaign_end_time: Short | None = None
    call_config: dict[str, Any] = Field(default_factory=dict)
    from_numbers: list[Id] | None = Field(default=None, max_length=limits.MAX_FROM_NUMBERS)
    number_pool_id: Id | None = None
    concurrency_percentage: int = 0
    callback_url: Uri | None = None
    email_completion_user_ids: list[Id] | None = Field(default=None, max_length=limits.MAX_EMAIL_USER_IDS)
    remove_invalid_rows: bool = False
    # With remove_invalid_rows false: the share (0..1) of the CSV's rows that may be invalid (pre-flight's or
    # Ringg's) and skipped without stopping the campaign. 0 = any invalid row stops it before launch.
    max_invalid_row_share: float = 0.0
    transliterate_callee_name: bool = False
    flow: Flow = "auto"
    idempotency_key: str | None = None
    # Up to 30 days: a longer wait would hold a campaign open with nobody watching it.
    max_balance_wait_seconds: int = Field(default=3600, le=30 * 86_400)
    polling: PollingConfig = Field(default_factory=PollingConfig)
    # The contact ledger (ledger/): the caller's own id column and the columns kept with each contact in it
    # (returned by the ledger's export and the API's paging), the call outcomes that add a number to the
    # suppression list, and the cap on dials per number across campaigns.
    external_id_column: ColumnName | None = None
    passthrough_columns: list[ColumnName] = Field(default_factory=list, max_length=limits.MAX_PASSTHROUGH_COLUMNS)
    suppress_on: list[Short] = Field(default_factory=list, max_length=limits.MAX_STATUSES)
    frequency_cap: FrequencyCap | None = None
    # Events out (contract/events.py): the lifecycle POSTed, signed, to this URL; progress every this % of contacts.
    events_url: Uri | None = None
    events_progress_step: int = 10
    continued: ContinuedState | None = None

    @field_validator("call_config")
    @classmethod
    def _bounded_call_config(cls, value: dict[str, Any]) -> dict[str, Any]:
        problem = limits.free_form_problem("call_config", value)
        if problem:
            raise ValueError(problem)
        return value


class CallCounts(BaseModel):
    """Calls of one campaign by Ringg call status, as last observed."""

    by_status: dict[str, int] = Field(default_factory=dict)
    total: int = 0

    @property
    def pending(self) -> int:
        return sum(self.by_status.get(s, 0) for s in PENDING_STATUSES)


class RinggBudgetView(BaseModel):
    """The deployment's request budget for Ringg (CAMPAIGN_RINGG_BUDGET_RPS) as the latest poll saw it."""

    rate: float = 0.0  # requests per second allowed now: the ceiling, or less after Ringg answered 429
    ceiling: float = 0.0
    throttled: bool = False  # Ringg answered 429 within the last minute
    waited_s: float = 0.0  # the longest wait of that poll's requests for the budget

    def describe(self) -> str:
        text = f"{self.rate:g} of {self.ceiling:g} requests/s"
        if self.throttled:
            text += ", cut after a 429 from Ringg in the last minute"
        if self.waited_s >= 0.1:
            text += f"; the last poll waited up to {self.waited_s:.1f}s"
        return text


class CampaignProgress(BaseModel):
    """What the `progress` query returns: where the campaign is and what it has counted."""

    stage: str = "starting"
    campaign_name: str = ""
    idempotency_key: str | None = None
    flow: ResolvedFlow | None = None
    list_id: str | None = None
    data_rows: int | None = None
    contacts: int | None = None
    invalid_rows: int = 0
    invalid_rows_report: str | None = None
    unusable_rows: int = 0
    duplicate_rows: int = 0
    # Removed by pre-flight's ledger check (written to contacts_report): on the suppression list, or at the
    # request's frequency_cap.
    suppressed_rows: int = 0
    capped_rows: int = 0
    contacts_report: str | None = None
    ringg_status: str | None = None
    upload: UploadProgress | None = None
    # Once the campaign ended: the call rows recorded in the ledger, and the numbers they added to the suppression
    # list (the request's suppress_on).
    ledger_calls: int | None = None
    suppressed_added: int = 0
    calls: CallCounts = Field(default_factory=CallCounts)
    # Contacts Ringg never dialled once the campaign was final (its window closed, or it was stopped):
    # cancelled without an attempt, distinct from calls that failed. None until counted.
    not_called: int | None = None
    # Ringg's has_ongoing_calls at the standard flow's launch: other calls share the workspace's capacity.
    workspace_has_ongoing_calls: bool | None = None
    required_credits: float | None = None
    available_credits: float | None = None
    missing_credits: float | None = None
    polls: int = 0
    # The shared Ringg request budget at the latest poll (None: budget off, or no poll yet).
    ringg_budget: RinggBudgetView | None = None
    # Call results Ringg's webhooks reported (each call once), between and beyond polls; `calls` stays the
    # authoritative count, from Ringg's history.
    webhook_calls: dict[str, int] = Field(default_factory=dict)
    duplicate_of: str | None = None
    warnings: list[str] = Field(default_factory=list)
    message: str = ""
    updated_at: str | None = None
    # The standard flow in chunks (the large flow unavailable): every chunk's list (list_id is the first), how many
    # chunks were planned, and which flow ran and why.
    list_ids: list[str] = Field(default_factory=list)
    chunks: int = 0
    flow_note: str = ""


class CampaignResult(BaseModel):
    """The workflow result (public contract: list_id, flow, status, calls_by_status at least)."""

    campaign_name: str
    idempotency_key: str
    list_id: str | None
    flow: ResolvedFlow | None
    status: str
    ringg_status: str | None = None
    calls_by_status: dict[str, int] = Field(default_factory=dict)
    total_calls: int = 0
    # Contacts never dialled: the window closed or the campaign was stopped first (not failed calls).
    not_called: int = 0
    data_rows: int = 0
    contacts: int | None = None
    invalid_rows: int = 0
    invalid_rows_report: str | None = None
    unusable_rows: int = 0
    duplicate_rows: int = 0
    suppressed_rows: int = 0
    capped_rows: int = 0
    contacts_report: str | None = None
    duplicate_of: str | None = None
    reused_existing_list: bool = False
    warnings: list[str] = Field(default_factory=list)
    message: str = ""
    # As in CampaignProgress: every chunk's list when the campaign ran in chunks (list_id is the first).
    list_ids: list[str] = Field(default_factory=list)
    chunks: int = 0
    flow_note: str = ""
