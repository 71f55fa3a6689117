"""What the program's activities take and return: files on the worker, zones and counts, never contact rows."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from contract.number_types import DEFAULT_NUMBER_TYPES, NumberType
from contract.program import Phase


class WaveFile(BaseModel):
    """A wave's contacts file, written by the worker (valid, unique rows in E.164, the CSV's own header)."""

    wave_id: str
    phase: Phase
    zone: str | None = None
    path: str
    rows: int


class PlanInput(BaseModel):
    csv_uri: str
    variables_map: dict[str, str]
    country_code: str
    number_types: list[NumberType] = Field(default_factory=lambda: list(DEFAULT_NUMBER_TYPES))
    key: str
    pilot_rows: int = 0  # 0: no pilot wave
    valid_rows: int = 0
    split_zones: bool = False
    default_zone: str = "Asia/Kolkata"


class PlanResult(BaseModel):
    folder: str
    waves: list[WaveFile] = Field(default_factory=list)
    zones: dict[str, int] = Field(default_factory=dict)
    contacts: int = 0
    report: str | None = None  # the zones and their counts, for the pre-flight report


class SelectSource(BaseModel):
    """A finished wave: its contacts file and the exported history of its calls (one file per Ringg list)."""

    wave_id: str
    csv_path: str
    outcome_files: list[str] = Field(default_factory=list)


class SelectInput(BaseModel):
    """Contacts of `sources` to call again: `follow_up` (last outcome in `statuses`) or `not_called` (never
    dialled: the wave was paused). Written as wave files `<prefix>` (one per zone when split_zones)."""

    mode: Literal["follow_up", "not_called"]
    sources: list[SelectSource]
    statuses: list[str] = Field(default_factory=list)
    folder: str
    prefix: str
    phase: Phase
    country_code: str
    variables_map: dict[str, str]
    split_zones: bool = False
    default_zone: str = "Asia/Kolkata"


class SelectResult(BaseModel):
    waves: list[WaveFile] = Field(default_factory=list)
    selected: int = 0
    final: int = 0  # answered or opted out: never called again
    considered: int = 0


class MergeInput(BaseModel):
    """The program's one export: every wave's exported calls, with a `wave` column."""

    folder: str
    waves: list[SelectSource]


class MergeResult(BaseModel):
    path: str
    rows: int = 0


class WaveLookupInput(BaseModel):
    workflow_id: str


class WaveLookupResult(BaseModel):
    """A wave's lists and counts, read from its CampaignWorkflow's `progress` (also once it has closed)."""

    found: bool = False
    list_ids: list[str] = Field(default_factory=list)
    calls_by_status: dict[str, int] = Field(default_factory=dict)
    not_called: int = 0
