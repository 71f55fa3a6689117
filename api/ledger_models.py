"""What the contact ledger's endpoints take and answer: the suppression list and a campaign's recorded contacts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

MAX_NUMBERS = 10_000
# A number as written by a person or a CRM: digits, a leading + or 00, spaces, dashes, dots, brackets.
NUMBER_PATTERN = r"^[+0-9(][0-9 ().+-]{0,39}$"
NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL: refused here (422), not by the database
Number = Annotated[str, Field(max_length=40, examples=["+919876543210"])]


class AddSuppressions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    numbers: list[Number] = Field(
        min_length=1,
        max_length=MAX_NUMBERS,
        description="phone numbers, E.164 or national (country_code fills in the dialling code); all or none is added",
    )
    reason: str = Field(min_length=1, max_length=200, pattern=NO_NUL, description="why, e.g. 'asked not to be called'")
    country_code: str = Field(
        "+91", min_length=1, max_length=8, description="dialling code for numbers written without one: +91, 91 or IN"
    )


class SuppressionsAdded(BaseModel):
    added: int = Field(description="numbers newly listed")
    already_listed: int = Field(description="numbers that were listed before (their first reason is kept)")


class Suppression(BaseModel):
    number: str = Field(description="E.164")
    reason: str
    source: str = Field(description="who listed it: api, cli, file <name>, or the campaign whose call outcome did")
    created_at: datetime


class SuppressionPage(BaseModel):
    items: list[Suppression]
    next_after: str | None = Field(description="pass as `after` for the next page; null on the last page")


class LedgerCampaign(BaseModel):
    key: str = Field(description="the idempotency key")
    name: str
    workflow_id: str | None
    list_ids: list[str] = Field(description="Ringg list ids (one per chunk or wave)")
    campaign_start_time: str | None
    campaign_end_time: str | None
    status: str = Field(description="screened, launched, completed, terminated, failed or cancelled")
    contacts: int
    suppressed: int
    capped: int
    calls_by_status: dict[str, int]
    created_at: datetime
    updated_at: datetime


class LedgerContact(BaseModel):
    id: int = Field(description="the ledger's row id: the paging key (`after`)")
    number: str = Field(description="E.164")
    external_id: str | None = Field(description="the caller's own id for this contact (external_id_column)")
    fields: dict[str, str] = Field(description="the passthrough_columns' cells")
    wave: str | None = Field(description="the program wave (pilot, main, follow-up-1 ...) or null")
    row: int | None = Field(description="the contact's row in the CSV (the header is row 1)")
    outcome: str = Field(
        description="pending, suppressed, capped, or the last call's outcome (answered, no_answer ...)"
    )
    attempts: int
    last_status: str | None
    last_sub_status: str | None
    last_call_at: datetime | None


class ContactPage(BaseModel):
    campaign: LedgerCampaign
    items: list[LedgerContact]
    next_after: int | None = Field(description="pass as `after` for the next page; null on the last page")
