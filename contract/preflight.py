"""Pre-flight's input and result: counts and the report's path, never CSV rows."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from contract.campaign import CampaignRequest
from contract.number_types import DEFAULT_NUMBER_TYPES, NumberType


class PreflightInput(BaseModel):
    csv_uri: str
    variables_map: dict[str, str]
    campaign_name: str
    agent_id: str
    campaign_start_time: str | None = None
    campaign_end_time: str | None = None
    idempotency_key: str | None = None
    call_config: dict[str, Any] = Field(default_factory=dict)
    country_code: str = "+91"
    number_types: list[NumberType] = Field(default_factory=lambda: list(DEFAULT_NUMBER_TYPES))


def preflight_input(req: CampaignRequest) -> PreflightInput:
    """What pre-flight needs of a campaign's (or a program's) request."""
    return PreflightInput(
        csv_uri=req.csv_uri,
        variables_map=req.variables_map,
        campaign_name=req.campaign_name,
        agent_id=req.agent_id,
        campaign_start_time=req.campaign_start_time,
        campaign_end_time=req.campaign_end_time,
        idempotency_key=req.idempotency_key,
        call_config=req.call_config,
        country_code=req.country_code,
        number_types=req.number_types,
    )


class PreflightResult(BaseModel):
    """Counts and the report's path, never rows. valid_rows is None in histories from before row checks; `headers`
    (the header's names) is only read from old histories: the header's size is `columns`, its names stay out."""

    data_rows: int
    content_hash: str
    idempotency_key: str
    headers: list[str] = Field(default_factory=list)
    columns: int = 0
    valid_rows: int | None = None
    unusable_rows: int = 0
    duplicate_rows: int = 0
    first_problem_rows: list[int] = Field(default_factory=list)
    report_path: str | None = None
    report_host: str | None = None

    @property
    def rejected_rows(self) -> int:
        return self.unusable_rows + self.duplicate_rows
