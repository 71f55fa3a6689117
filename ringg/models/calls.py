"""Models for `GET calling/history`: the query, one call row, one page."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BeforeValidator, Field, model_validator

from .common import LowerStr, OptFloat, OptInt, RinggRequest, RinggResponse


def _turns(items: list[Any]) -> list[dict[str, Any]]:
    return [item if isinstance(item, dict) else {"raw": item} for item in items]


def _parse_transcript(value: Any) -> Any:
    """History sends a JSON-encoded string, webhooks a real list; anything unparseable is kept as raw text."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return [{"raw": value}]
        if isinstance(parsed, list):
            return _turns(parsed)
        return [parsed] if isinstance(parsed, dict) else [{"raw": value}]
    if isinstance(value, list):
        return _turns(value)
    return value


Transcript = Annotated[list[dict[str, Any]] | None, BeforeValidator(_parse_transcript)]


class CallRecord(RinggResponse):
    """One call attempt row. Callee number, name, transcript and recording are PII: never in repr/str."""

    _aliases = {
        "id": ("call_id",),
        "to_number": ("mobile_number",),
        "name": ("callee_name",),
        "status": ("call_status",),
        "sub_status": ("call_sub_status",),
        "audio_recording": ("recording_url",),
    }

    id: str
    to_number: str | None = Field(default=None, repr=False)
    name: str | None = Field(default=None, repr=False)
    status: LowerStr = None
    sub_status: str | None = None
    call_duration: OptFloat = None
    call_cost: OptFloat = None
    created_at: str | None = None
    call_attempt_time: str | None = None
    bulk_list_id: str | None = None
    retry_count: OptInt = None
    next_attempt_time: str | None = None
    transcript: Transcript = Field(default=None, repr=False)
    audio_recording: str | None = Field(default=None, repr=False)


class HistoryQuery(RinggRequest):
    """Filters for `calling/history`. Pass a window spanning the whole campaign: Ringg defaults to today."""

    bulk_list_id: str | None = None
    start_date: AwareDatetime
    end_date: AwareDatetime
    status: str | None = None
    agent_id: str | None = None
    limit: int = Field(default=100, ge=1)
    offset: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> HistoryQuery:
        if self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        return self

    def to_params(self) -> dict[str, str | int]:
        # `download` is deliberately absent: it turns the call into an emailed CSV report.
        params: dict[str, str | int] = {
            "start_date": _iso(self.start_date),
            "end_date": _iso(self.end_date),
            "limit": self.limit,
            "offset": self.offset,
        }
        for key in ("bulk_list_id", "status", "agent_id"):
            value = getattr(self, key)
            if value is not None:
                params[key] = value
        return params


def _iso(moment: datetime) -> str:
    # ISO-8601 with an explicit offset ("+00:00", not "Z"); httpx percent-encodes the "+".
    return moment.isoformat()


class HistoryPage(RinggResponse):
    calls: list[CallRecord]
    limit: OptInt = None
    offset: OptInt = None
    count: OptInt = None
    total: OptInt = None

    @classmethod
    def _prepare(cls, data: dict[str, Any]) -> dict[str, Any]:
        if "calls" not in data and isinstance(data.get("data"), list):
            data["calls"] = data.pop("data")
        return data
