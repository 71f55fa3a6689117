"""Payload models of recurring campaigns: the template a schedule holds and what each fire returns (no side
effects; checked by `domain.fire_render`, not by validators, so a bad template fails its fire readably)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from contract.campaign import CampaignRequest, CampaignResult
from contract.limits import Id, Short
from contract.program import ProgramRequest, ProgramResult


class WindowSpec(BaseModel):
    """The campaign window of each fire, in the campaign's timezone: it opens at the fire time (plus
    `start_delay_minutes`) and closes at `until` ("HH:MM", the same local day) or `hours` after it opens."""

    model_config = ConfigDict(extra="forbid")

    until: Short | None = None
    hours: float | None = None
    start_delay_minutes: int = 0


class ScheduledCampaign(BaseModel):
    """The input of ScheduledCampaignWorkflow, held by the schedule's action. `template` is a CampaignRequest
    whose `csv_uri` and `campaign_name` may hold `{date}` / `{date:%Y%m%d}` placeholders; each fire sets the
    window and the idempotency key (schedule ID + nominal fire time)."""

    model_config = ConfigDict(extra="forbid")

    schedule_id: Id
    # A program's template (pilot, windows, follow_up) fires a CampaignProgramWorkflow; a plain one a campaign.
    template: CampaignRequest | ProgramRequest
    window: WindowSpec


class FireResult(BaseModel):
    """What one fire did: ran its campaign (`ran`), or found this tick's campaign already started by an earlier
    fire (`already_fired`: nothing launched)."""

    schedule_id: str
    fire_time: str  # the nominal fire time, ISO 8601 in the campaign's timezone
    idempotency_key: str
    campaign_workflow_id: str
    outcome: Literal["ran", "already_fired"]
    campaign: CampaignResult | None = None
    program: ProgramResult | None = None
    message: str = ""
