"""A campaign run on the standard flow in chunks: its lists on Ringg and what monitoring has finished with."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ChunkList(BaseModel):
    """One chunk's list on Ringg, as its save reported it."""

    number: int
    list_id: str
    contacts: int | None = None
    invalid_rows: int = 0


class ChunkState(BaseModel):
    """Internal: what the workflow knows of its chunks (carried across continue-as-new). Lists whose calls have all
    ended are no longer polled: their final counts are summed into `finished_calls`."""

    total: int
    note: str
    family_tag: str
    lists: list[ChunkList] = Field(default_factory=list)
    finished: list[str] = Field(default_factory=list)
    finished_calls: dict[str, int] = Field(default_factory=dict)
    # The final Ringg status of finished lists -> how many lists ended with it.
    finished_statuses: dict[str, int] = Field(default_factory=dict)
