"""Campaign counters from activities, read back through a MetricBuffer runtime: the Ringg client's request
observer (endpoint template, method, outcome, status); nothing is recorded outside an activity."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from pydantic import SecretStr
from temporalio.runtime import MetricBuffer, Runtime, TelemetryConfig
from temporalio.testing import ActivityEnvironment

from activities import metrics
from ringg import RinggClient, RinggError, make_http_client

BASE = "https://ringg.test/ca/api/v0"


@pytest.fixture(scope="module")
def buffered() -> Iterator[tuple[MetricBuffer, Runtime]]:
    buffer = MetricBuffer(10_000)
    yield buffer, Runtime(telemetry=TelemetryConfig(metrics=buffer))


def counters(buffer: MetricBuffer, name: str, *keys: str) -> Counter[tuple[str, ...]]:
    """Totals of counter `name` by the values of the attributes `keys`."""
    totals: Counter[tuple[str, ...]] = Counter()
    for update in buffer.retrieve_updates():
        if update.metric.name == name:
            totals[tuple(str(update.attributes.get(k)) for k in keys)] += int(update.value)
    return totals


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, "ok"),
        (302, "ok"),
        (404, "client_error"),
        (429, "rate_limited"),
        (503, "server_error"),
        (None, "transport_error"),
    ],
)
def test_outcome_of_a_request(status: int | None, outcome: str) -> None:
    assert metrics.outcome_of(status) == outcome


async def test_ringg_requests_are_counted_by_endpoint_template_and_outcome(
    buffered: tuple[MetricBuffer, Runtime],
) -> None:
    buffer, runtime = buffered
    buffer.retrieve_updates()
    answers: Iterator[httpx.Response | Exception] = iter(
        [httpx.Response(200, json={"workspace_numbers": []}), httpx.Response(503), httpx.ConnectError("x")]
    )

    def handler(request: httpx.Request) -> httpx.Response:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    seen: list[tuple[str, str, int | None]] = []

    def observe(method: str, endpoint: str, status: int | None, elapsed_s: float) -> None:
        seen.append((method, endpoint, status))
        metrics.record_ringg_request(method, endpoint, status, elapsed_s)

    async with make_http_client(BASE, SecretStr("sk-unit"), transport=httpx.MockTransport(handler)) as http:
        client = RinggClient(http, on_request=observe)

        async def three_requests() -> None:
            await client.workspace_numbers()
            for _ in range(2):
                with pytest.raises(RinggError):
                    await client.upload_status("bulk-1")

        env = ActivityEnvironment()
        env.metric_meter = runtime.metric_meter
        await env.run(three_requests)

    assert seen == [
        ("GET", "workspace/numbers", 200),
        ("GET", "campaign/upload-status/{bulk_list_id}", 503),
        ("GET", "campaign/upload-status/{bulk_list_id}", None),
    ]
    totals = counters(buffer, metrics.RINGG_REQUESTS, "endpoint", "method", "outcome", "status", "activity_type")
    upload_status = "campaign/upload-status/{bulk_list_id}"
    assert totals == {
        ("workspace/numbers", "GET", "ok", "200", "unknown"): 1,
        (upload_status, "GET", "server_error", "503", "unknown"): 1,
        (upload_status, "GET", "transport_error", "none", "unknown"): 1,
    }


def test_nothing_is_recorded_outside_an_activity(buffered: tuple[MetricBuffer, Runtime]) -> None:
    buffer, _ = buffered
    buffer.retrieve_updates()
    metrics.record_ringg_request("GET", "workspace", 200, 0.01)
    metrics.count(metrics.EXPORT_ROWS, 5)
    assert buffer.retrieve_updates() == []
