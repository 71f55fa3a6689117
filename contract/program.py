"""Campaign programs (public contract): a request with a pilot, per-contact local-time windows or follow-up re-dials
runs as CampaignProgramWorkflow, whose waves are child CampaignWorkflows over subsets of the contacts."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from contract.campaign import CallCounts, CampaignRequest
from contract.limits import Short

PROGRAM_FIELDS = ("pilot", "windows", "follow_up")
MAX_FOLLOW_UP_RULES = 5
MAX_FOLLOW_UP_WAVES = 10
MAX_DURATION_S = 30 * 86_400.0
# A program continues as new between steps once its history has this many events (or the server suggests it).
HISTORY_EVENTS_MAX = 20_000
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$", re.IGNORECASE)
_UNIT_S = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86_400.0}


def _seconds(value: Any) -> Any:
    """A duration as seconds: a number, or text like "90s", "30m", "4h", "2d"."""
    if isinstance(value, str):
        match = _DURATION.match(value)
        if not match:
            raise ValueError('a duration is a number of seconds or text like "90s", "30m", "4h" or "2d"')
        return float(match.group(1)) * _UNIT_S[(match.group(2) or "s").lower()]
    return value


Duration = Annotated[float, BeforeValidator(_seconds), Field(ge=0.0, le=MAX_DURATION_S)]
ApproveMode = Literal["manual", "auto"]


class PilotSpec(BaseModel):
    """The pilot wave: `rows` contacts or a `share` of them (spread evenly over the file), run first. `manual`
    waits up to `approval_timeout` for the update `approve` or `reject` (no answer in time = rejected); `auto`
    goes on when the pilot meets every threshold given (at least one)."""

    model_config = ConfigDict(extra="forbid")

    rows: int | None = Field(default=None, ge=1, le=10_000_000)
    share: float | None = Field(default=None, gt=0.0, lt=1.0)
    approve: ApproveMode = "manual"
    approval_timeout: Duration = 24 * 3600.0
    # auto approval: connected calls / dialled contacts at least this ...
    min_connect_rate: float | None = Field(default=None, ge=0.0, le=1.0)
    # ... failed or errored calls / dialled contacts at most this ...
    max_failure_rate: float | None = Field(default=None, ge=0.0, le=1.0)
    # ... and Ringg's cost per dialled contact at most this (Ringg's currency).
    max_cost_per_call: float | None = Field(default=None, ge=0.0)


class WindowsSpec(BaseModel):
    """`per_contact_timezone`: one wave per timezone of the contacts' numbers, each run in the daily call time
    (call_config.call_time) of its own zone, on the given `days` only (all week when none). Numbers without one
    zone go to `default_zone` (default: call_config.call_time.timezone, else Asia/Kolkata)."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["per_contact_timezone"] = "per_contact_timezone"
    default_zone: Short | None = None
    days: list[Short] | None = Field(default=None, max_length=7)

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        # `windows: per_contact_timezone` is the short form
        return {"mode": value} if isinstance(value, str) else value


class FollowUpRule(BaseModel):
    """Re-dial, `after` the previous wave ended (and inside the window), the contacts whose last outcome is one of
    `statuses`, up to `max_waves` times. A contact answered or opted out is never re-dialled."""

    model_config = ConfigDict(extra="forbid")

    after: Duration
    statuses: list[Short] = Field(min_length=1, max_length=30)
    max_waves: int = Field(default=1, ge=1, le=MAX_FOLLOW_UP_WAVES)


WaveStatus = Literal[
    "planned", "waiting", "held", "running", "completed", "failed", "cancelled", "paused", "skipped", "duplicate"
]
Phase = Literal["pilot", "main", "follow_up", "resume"]
ProgramStep = Literal["pilot", "approval", "main", "follow_up", "done"]


class PilotOutcome(BaseModel):
    """A wave's (or the whole pilot's) figures, from Ringg's history of its calls: what approval is decided on."""

    contacts: int = 0
    dialled: int = 0
    connected: int = 0
    connect_rate: float = 0.0
    failed: int = 0
    failure_rate: float = 0.0
    failures_by_sub_status: dict[str, int] = Field(default_factory=dict)
    cost: float = 0.0
    cost_per_call: float = 0.0
    verdict: str = ""


class WaveState(BaseModel):
    """One wave: who it calls (a file on the worker and a count, never the numbers), when and with what outcome."""

    wave_id: str
    phase: Phase
    zone: str | None = None
    contacts: int = 0
    csv_path: str = ""
    idempotency_key: str = ""
    workflow_id: str = ""
    status: WaveStatus = "planned"
    opens_at: str | None = None
    list_ids: list[str] = Field(default_factory=list)
    calls_by_status: dict[str, int] = Field(default_factory=dict)
    not_called: int = 0
    outcome_files: list[str] = Field(default_factory=list)
    # 0 for the first waves (pilot, main) and their resumes; k for the k-th follow-up
    generation: int = 0
    # the program step that runs it: pilot, main or follow_up (a resume wave runs in its paused wave's step)
    step: str = "main"
    figures: PilotOutcome | None = None
    message: str = ""

    @property
    def finished(self) -> bool:
        return self.status in ("completed", "failed", "cancelled", "paused", "skipped", "duplicate")


class FollowUpCursor(BaseModel):
    rule: int = 0
    done_in_rule: int = 0


class ProgramProgress(BaseModel):
    """The `progress` query of a program: its stage, every wave and the counts over all of them."""

    kind: Literal["program"] = "program"
    stage: str = "starting"
    campaign_name: str = ""
    idempotency_key: str | None = None
    message: str = ""
    step: ProgramStep = "pilot"
    paused: bool = False
    contacts: int = 0
    unusable_rows: int = 0
    duplicate_rows: int = 0
    contacts_report: str | None = None
    zones: dict[str, int] = Field(default_factory=dict)
    zones_report: str | None = None  # zones.csv: each timezone and its contacts, on the worker
    waves: list[WaveState] = Field(default_factory=list)
    calls: CallCounts = Field(default_factory=CallCounts)
    calls_by_wave: dict[str, int] = Field(default_factory=dict)
    pilot: PilotOutcome | None = None
    approval_deadline: str | None = None
    approval: str | None = None  # approved | rejected | expired | auto-approved | auto-rejected, with who/why
    follow_up: FollowUpCursor = Field(default_factory=FollowUpCursor)
    export_file: str | None = None
    folder: str = ""  # the program's files on the worker (wave contacts, outcomes, export)
    generation: int = 0
    continued_runs: int = 0
    updated_at: str | None = None


class ProgramRequest(CampaignRequest):
    """A CampaignRequest with at least one of `pilot`, `windows`, `follow_up`. Every other field means what it
    means for one campaign and is passed to each wave."""

    pilot: PilotSpec | None = None
    windows: WindowsSpec | None = None
    follow_up: list[FollowUpRule] | None = Field(default=None, max_length=MAX_FOLLOW_UP_RULES)
    # Internal: the program's state across continue-as-new. Callers never set it.
    program_state: ProgramProgress | None = None

    def wave_base(self) -> dict[str, Any]:
        """The fields every wave's CampaignRequest starts from."""
        return self.model_dump(exclude={*PROGRAM_FIELDS, "program_state", "continued", "idempotency_key"})


def is_program(data: dict[str, Any]) -> bool:
    """Whether a request (as JSON) asks for a program: any of `pilot`, `windows`, `follow_up` set."""
    return any(data.get(name) not in (None, [], {}) for name in PROGRAM_FIELDS)


class ApproveInput(BaseModel):
    """Update `approve` / `reject`: who decided and why (shown in progress; no contact data)."""

    by: Short = ""
    note: Annotated[str, Field(max_length=500)] = ""


class PauseInput(BaseModel):
    by: Short = ""


class ProgramResult(BaseModel):
    """A program's result: its outcome, every wave and the counts over all of them."""

    campaign_name: str
    idempotency_key: str
    status: str
    message: str = ""
    calls_by_status: dict[str, int] = Field(default_factory=dict)
    total_calls: int = 0
    calls_by_wave: dict[str, int] = Field(default_factory=dict)
    waves: list[WaveState] = Field(default_factory=list)
    pilot: PilotOutcome | None = None
    approval: str | None = None
    contacts: int = 0
    zones: dict[str, int] = Field(default_factory=dict)
    export_file: str | None = None
    continued_runs: int = 0  # how many times the program continued as new (its history kept bounded)
    # public-contract fields of CampaignResult, for callers that read any campaign result
    list_id: str | None = None
    flow: str | None = None
