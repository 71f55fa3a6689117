"""The "large flow not enabled" workspace mode: the beta large-campaign endpoints refuse a workspace without it."""

from __future__ import annotations

from typing import Any

from ringg_sim.config import EndpointName, SimConfig

# The beta flow's four endpoints (bulk-calls guide, "Beta large-campaign flow").
BETA_ENDPOINTS: frozenset[EndpointName] = frozenset({"upload_csv", "upload_status", "check_balance", "make_call_async"})
NOT_ENABLED_STATUS = 403
NOT_ENABLED_MESSAGE = "Large campaign access is not enabled for this workspace"


def beta_refusal(config: SimConfig, endpoint: EndpointName | None) -> tuple[int, dict[str, Any]] | None:
    """(status, body) when `endpoint` is a beta endpoint and the workspace lacks the large flow, else None.

    The docs say to use the beta flow "only when large-campaign access is enabled for your workspace"
    (upload-large-campaign-csv; bulk-calls guide: "Use the standard POST /campaign/save plus POST /campaign/start
    flow unless large-campaign beta access is enabled for your workspace") but never say what Ringg answers
    otherwise (ringg-api.md §1.4). 403 is the documented meaning of exactly that case: "Key is valid but lacks
    permission for that action" (authentication page, ringg-api.md §4.2); 401 would claim a bad key, 404 a
    missing route. Sent after the key check, in the `{"detail": ...}` shape of the gateway's 401, and nothing is
    created: the upload is refused before it is read."""
    if config.large_flow_enabled or endpoint not in BETA_ENDPOINTS:
        return None
    return NOT_ENABLED_STATUS, {"detail": NOT_ENABLED_MESSAGE}
