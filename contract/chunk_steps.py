"""Inputs and results of the chunk activities (save and launch one chunk, poll the chunks' lists, terminate
them): references, ids and counts only."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from contract.campaign import RinggBudgetView
from contract.chunks import ChunkList
from contract.ringg_steps import LaunchInput, UploadInput


class ChunkInput(BaseModel):
    """Chunk `number` of `total`: the valid rows `skip_rows` .. `skip_rows + rows - 1` of the checked CSV, saved
    under `upload` (its tag and name are the chunk's) and launched with `launch` (its list_id is set once saved)."""

    number: int
    total: int
    skip_rows: int
    rows: int
    upload: UploadInput
    launch: LaunchInput


class ChunkResult(BaseModel):
    list_id: str
    reused_existing: bool = False
    already_launched: bool = False
    ringg_status: str | None = None
    contacts: int | None = None
    invalid_rows: int = 0


class ChunkSnapshotInput(BaseModel):
    lists: list[ChunkList]
    family_tag: str
    since: datetime
    # The lists' Ringg statuses (one /campaign/all search) are read when asked, or when no call is pending.
    campaign_status: bool = True


class ListSnapshot(BaseModel):
    list_id: str
    ringg_status: str | None = None
    calls_by_status: dict[str, int] = Field(default_factory=dict)
    finished: bool = False


class ChunkSnapshot(BaseModel):
    lists: list[ListSnapshot] = Field(default_factory=list)
    requests: int = 0
    # The shared Ringg request budget as this poll saw it (None: budget off).
    budget: RinggBudgetView | None = None


class TerminateChunksInput(BaseModel):
    family_tag: str
    list_ids: list[str] = Field(default_factory=list)


class TerminateChunksResult(BaseModel):
    terminated: list[str] = Field(default_factory=list)
