"""Models for the standard campaign flow (save, start, list, terminate)."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from pydantic import Field, model_validator

from .common import LowerStr, OptBool, OptFloat, OptInt, RinggRequest, RinggResponse


class CampaignForm(RinggRequest):
    """The multipart fields shared by `campaign/save` and `campaign/upload-csv` (the CSV goes alongside); the
    window and call_config are required by both (D-save; D-upcsv's field table)."""

    agent_id: str = Field(min_length=1)
    campaign_name: str = Field(min_length=1)
    country_code: str = Field(min_length=1)
    variables_map: dict[str, str]
    campaign_start_time: str = Field(min_length=1)  # "DD/MM/YYYY, HH:MM"
    campaign_end_time: str = Field(min_length=1)
    call_config: dict[str, Any] = Field(min_length=1)
    remove_invalid_rows: bool = False
    transliterate_callee_name: bool = False

    def form_fields(self) -> dict[str, str]:
        """Ringg wants nested objects as JSON strings and booleans as "true"/"false"."""
        fields = {
            "agent_id": self.agent_id,
            "campaign_name": self.campaign_name,
            "country_code": self.country_code,
            "variables_map": json.dumps(self.variables_map),
            "campaign_start_time": self.campaign_start_time,
            "campaign_end_time": self.campaign_end_time,
            "call_config": json.dumps(self.call_config),
        }
        fields["remove_invalid_rows"] = "true" if self.remove_invalid_rows else "false"
        fields["transliterate_callee_name"] = "true" if self.transliterate_callee_name else "false"
        return fields


class SaveResult(RinggResponse):
    """`campaign/save` response; `custom_args_values` (every contact's variables) is dropped on parse."""

    _dropped = frozenset({"custom_args_values"})

    message: str | None = None
    list_id: str
    total_rows: OptInt = None
    successful_rows: OptInt = None
    failed_rows: OptInt = None


class StartRequest(RinggRequest):
    agent_id: str = Field(min_length=1)
    list_id: str = Field(min_length=1)
    from_numbers: list[str] = Field(min_length=1)
    callback_url: str | None = None
    email_completion_user_ids: list[str] | None = None


class StartV2Request(RinggRequest):
    agent_id: str = Field(min_length=1)
    list_id: str = Field(min_length=1)
    number_pool_id: str = Field(min_length=1)
    callback_url: str | None = None
    email_completion_user_ids: list[str] | None = None


class StartResult(RinggResponse):
    """`campaign/start` and `campaign/v2/start`. `has_ongoing_calls`: whether the workspace has *other* calls
    in progress, which share its call capacity with this campaign."""

    status: str | None = None
    has_ongoing_calls: OptBool = None
    message: str | None = None


class Campaign(RinggResponse):
    """One row of `campaign/all` (shape known only from dashboard fixtures)."""

    _aliases: ClassVar[dict[str, tuple[str, ...]]] = {
        "id": ("campaign_id", "bulk_list_id"),
        "name": ("campaign_name",),
        "campaign_status": ("status",),
        "invalidated_rows_csv_url": ("invalid_entries_file",),
    }

    id: str
    name: str | None = None
    campaign_status: LowerStr = None
    agent_id: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    campaign_start_time: str | None = None
    campaign_end_time: str | None = None
    total_calls: OptInt = None
    total_contacts: OptInt = None
    invalidated_rows_count: OptInt = None
    invalidated_rows_csv_url: str | None = None
    additional_balance_required: OptFloat = None


class CampaignPage(RinggResponse):
    """`campaign/all`: `{"campaigns": [...], "pagination": {...}}`; also `data` or a bare list."""

    campaigns: list[Campaign]
    total: OptInt = None
    limit: OptInt = None
    offset: OptInt = None

    @classmethod
    def _wrap(cls, data: Any) -> Any:
        return {"campaigns": data} if isinstance(data, list) else data

    @classmethod
    def _prepare(cls, data: dict[str, Any]) -> dict[str, Any]:
        inner = data.get("data")
        if isinstance(inner, dict):  # {"status": "success", "data": {...}} envelope
            data = {**data, **inner}
        elif "campaigns" not in data and isinstance(inner, list):
            data["campaigns"] = inner
        pagination = data.pop("pagination", None)
        if isinstance(pagination, dict):
            for key in ("total", "limit", "offset"):
                if data.get(key) is None:
                    data[key] = pagination.get(key)
        return data


class TerminateRequest(RinggRequest):
    """`PATCH campaign/terminate`: cancels queued/retry calls; at least one selector is required."""

    campaign_id: str | None = None
    mobile_numbers: list[str] | None = Field(default=None, min_length=1, max_length=100, repr=False)
    call_ids: list[str] | None = Field(default=None, min_length=1, max_length=100)
    agent_id: str | None = None

    @model_validator(mode="after")
    def _needs_selector(self) -> TerminateRequest:
        if not (self.campaign_id or self.mobile_numbers or self.call_ids or self.agent_id):
            raise ValueError("one of campaign_id, mobile_numbers, call_ids, agent_id is required")
        return self


class TerminateResult(RinggResponse):
    message: str | None = None
