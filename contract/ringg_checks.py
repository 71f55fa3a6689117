"""Inputs and results of the checks that read Ringg's state around a campaign: the number pool before any
upload, and the contacts never dialled once the campaign is final. Ids and counts only."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class NumberPoolInput(BaseModel):
    number_pool_id: str


class NumberPoolResult(BaseModel):
    """How the pool was found: member numbers in GET /workspace/numbers, or a row of the pool listing."""

    members: int = 0
    spam_members: int = 0
    listed: bool = False
    warnings: list[str] = Field(default_factory=list)


class NotCalledInput(BaseModel):
    list_id: str
    since: datetime


class NotCalledResult(BaseModel):
    """Cancelled calls read (status filter) and how many of them were never attempted."""

    not_called: int = 0
    cancelled: int = 0
    requests: int = 0
