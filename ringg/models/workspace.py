"""Models for workspace endpoints: caller numbers and the workspace itself (credits)."""

from __future__ import annotations

from typing import Any

from .common import OptFloat, OptInt, RinggResponse


class WorkspaceNumber(RinggResponse):
    """A caller number; `id` is what `from_numbers` expects. `number_pool_id` is the managed pool the number
    belongs to; `call_count` counts its calls across every campaign (not one campaign's progress)."""

    id: str
    number: str | None = None
    is_spam: bool | None = None
    spam_message: str | None = None
    provider: str | None = None
    display_name: str | None = None
    number_pool_id: str | None = None
    is_test_number: bool | None = None
    is_inbound_enabled: bool | None = None
    call_count: OptInt = None


class NumbersPage(RinggResponse):
    workspace_numbers: list[WorkspaceNumber]
    total: OptInt = None

    @classmethod
    def _wrap(cls, data: Any) -> Any:
        return {"workspace_numbers": data} if isinstance(data, list) else data

    @classmethod
    def _prepare(cls, data: dict[str, Any]) -> dict[str, Any]:
        if "workspace_numbers" not in data:
            for key in ("numbers", "data"):
                if isinstance(data.get(key), list):
                    data["workspace_numbers"] = data.pop(key)
                    break
        return data


class WorkspaceInfo(RinggResponse):
    """`GET workspace`. The response embeds the workspace API key, which is dropped before validation."""

    id: str
    name: str | None = None
    credits: OptFloat = None
    locked_credits: OptFloat = None

    @classmethod
    def _prepare(cls, data: dict[str, Any]) -> dict[str, Any]:
        inner = data.get("workspace_info")
        if isinstance(inner, dict):
            data = dict(inner)
        # Any key-like field ("api_key", "new_api_key", ...) must not live on a model that may be logged.
        return {k: v for k, v in data.items() if "api_key" not in k.lower() and "apikey" not in k.lower()}


class NumberPool(RinggResponse):
    """One row of the dashboard's pool listing (`GET number-pool`, known from fixtures only, not the public docs)."""

    id: str
    name: str | None = None
    member_count: OptInt = None
    spam_count: OptInt = None
    active: bool | None = None


class NumberPoolPage(RinggResponse):
    """`{"status": "success", "data": {"pools": [...], "limit", "offset", "count"}}`; also a bare list."""

    pools: list[NumberPool]
    total: OptInt = None

    @classmethod
    def _wrap(cls, data: Any) -> Any:
        return {"pools": data} if isinstance(data, list) else data

    @classmethod
    def _prepare(cls, data: dict[str, Any]) -> dict[str, Any]:
        inner = data.get("data")
        if isinstance(inner, dict):
            data = {**data, **inner}
        elif isinstance(inner, list):
            data["pools"] = inner
        if "pools" not in data and isinstance(data.get("number_pools"), list):
            data["pools"] = data.pop("number_pools")
        return data
