"""Campaign counters recorded from activities through the SDK's metric meter, so they are served on the
worker's Prometheus endpoint next to the SDK's own metrics (a no-op when the worker runs without metrics)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from temporalio import activity

# Attributes are low-cardinality: endpoint templates, flows, statuses; never ids or contact data.
RINGG_REQUESTS = "ringg_api_requests"
RINGG_REQUEST_LATENCY = "ringg_api_request_latency"
CAMPAIGN_UPLOADS = "campaign_uploads"
CAMPAIGNS_LAUNCHED = "campaigns_launched"
EXPORT_ROWS = "export_rows"

_DESCRIPTIONS = {
    RINGG_REQUESTS: "Requests to Ringg's API by endpoint, method and outcome",
    CAMPAIGN_UPLOADS: "Contact-list uploads by flow; outcome reused = an earlier upload of the same key was adopted",
    CAMPAIGNS_LAUNCHED: "Launch requests Ringg accepted, by flow; already_launched = found launched, not re-sent",
    EXPORT_ROWS: "Call rows written to export files",
}


def count(name: str, value: int = 1, attributes: Mapping[str, str] | None = None) -> None:
    """Adds to a counter of the current activity (its namespace, task queue and type are attributes too)."""
    if value <= 0 or not activity.in_activity():
        return
    counter = activity.metric_meter().create_counter(name, _DESCRIPTIONS.get(name))
    counter.add(value, dict(attributes or {}))


def outcome_of(status: int | None) -> str:
    if status is None:
        return "transport_error"
    if status < 400:
        return "ok"
    if status == 429:
        return "rate_limited"
    return "client_error" if status < 500 else "server_error"


def record_ringg_request(method: str, endpoint: str, status: int | None, elapsed_s: float) -> None:
    """The RinggClient's request observer (ringg.client.RequestObserver)."""
    if not activity.in_activity():
        return
    attributes = {"endpoint": endpoint, "method": method, "outcome": outcome_of(status)}
    meter = activity.metric_meter()
    meter.create_counter(RINGG_REQUESTS, _DESCRIPTIONS[RINGG_REQUESTS]).add(
        1, {**attributes, "status": str(status) if status is not None else "none"}
    )
    meter.create_histogram_timedelta(RINGG_REQUEST_LATENCY, "Ringg API request latency", "duration").record(
        timedelta(seconds=elapsed_s), attributes
    )
