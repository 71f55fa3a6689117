"""What the schedule endpoints take and answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from client.schedule_report import FireRow, ScheduleReport, ScheduleRow
from contract.schedules import WindowSpec
from domain.fire_render import SCHEDULE_ID_PATTERN as SCHEDULE_ID

# The schedule IDs the CLI and the fires accept, anchored for OpenAPI.
SCHEDULE_ID_PATTERN = f"^{SCHEDULE_ID.pattern}$"
Overlap = Literal["skip", "buffer_one", "buffer_all", "cancel_other", "terminate_other", "allow_all"]


class ScheduleCreate(BaseModel):
    """A recurring campaign: the template, the window of each fire, when it fires and its policies (as
    `starter.py schedule create`)."""

    model_config = ConfigDict(extra="forbid")

    schedule_id: str = Field(pattern=SCHEDULE_ID_PATTERN)
    template: dict[str, Any] = Field(
        description="a CampaignRequest without window or idempotency key; campaign_name and csv_uri may hold "
        "{date} or {date:%Y%m%d}"
    )
    window: WindowSpec = Field(description="until HH:MM (local, the fire's day) or hours after the fire")
    cron: str | None = Field(None, description='5 fields, e.g. "0 9 * * 1-5" (or give at)')
    at: list[str] = Field(default_factory=list, description='local times "HH:MM" (or give cron)')
    days: str = Field("*", description="with at: mon-fri, mon,wed,fri or *")
    timezone: str | None = Field(None, description="default: the campaign's call_config.call_time.timezone")
    overlap: Overlap = "skip"
    catchup: str = Field("10m", description="how late a missed fire may still run: 90s, 10m, 1h30m")
    paused: bool = False
    note: str = Field("", max_length=500)


class ScheduleCreated(BaseModel):
    schedule_id: str
    state: Literal["created", "exists"] = Field(description="exists: the same definition was already there (200)")
    when: str
    next_fires: list[datetime]


class ScheduleSummary(BaseModel):
    schedule_id: str
    paused: bool
    when: str
    timezone: str
    next_fire: datetime | None
    last_fire: datetime | None

    @classmethod
    def of(cls, row: ScheduleRow) -> ScheduleSummary:
        return cls(**vars(row))


class ScheduleList(BaseModel):
    schedules: list[ScheduleSummary]


class Fire(BaseModel):
    fire_time: datetime
    workflow_id: str
    status: str
    outcome: str
    failed: bool

    @classmethod
    def of(cls, row: FireRow) -> Fire:
        return cls(**vars(row))


class ScheduleDetail(BaseModel):
    schedule_id: str
    paused: bool
    note: str
    when: str
    timezone: str
    overlap: str
    catchup_seconds: float | None
    template: dict[str, Any] | None = Field(description="the campaign template (null: not a campaign schedule)")
    window: WindowSpec | None
    next_fires: list[datetime]
    fires_started: int
    skipped_overlap: int
    missed_catchup: int
    buffer_dropped: int
    running: list[str] = Field(description="fire workflow IDs still running")
    recent: list[Fire] = Field(description="the last fires and what each did")
    invalid_spec: str

    @classmethod
    def of(cls, r: ScheduleReport) -> ScheduleDetail:
        scheduled = r.scheduled
        return cls(
            **{k: v for k, v in vars(r).items() if k not in ("scheduled", "catchup", "recent")},
            catchup_seconds=r.catchup.total_seconds() if r.catchup else None,
            template=scheduled.template.model_dump(exclude={"continued"}) if scheduled else None,
            window=scheduled.window if scheduled else None,
            recent=[Fire.of(f) for f in r.recent],
        )


class ScheduleNote(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field("", max_length=500, description="why (shown in describe and the Temporal UI)")


class TriggerBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    overlap: Overlap | None = Field(None, description="default: the schedule's overlap policy")


class Triggered(BaseModel):
    schedule_id: str
    state: Literal["fired", "pending"] = Field(description="pending (202): accepted, no fire started yet")
    fire_workflow_id: str | None = None
    campaign_workflow_id: str | None = None
    running: list[str] = Field(default_factory=list)
