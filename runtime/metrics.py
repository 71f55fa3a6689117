"""The worker's Prometheus endpoint: a Temporal Runtime whose telemetry serves `/metrics` on a bind address, with
the SDK's own metrics (`temporal_*`) and the campaign counters of the activity and workflow meters."""

from __future__ import annotations

from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

# A Runtime owns a thread pool and, with Prometheus, a listening socket: one per bind address per process,
# shared by every client that asks for it (tests start several workers in one process).
_RUNTIMES: dict[str, Runtime] = {}


class MetricsUnavailable(Exception):
    """The metrics endpoint cannot be served (e.g. the port is taken); the message says which address."""


def bind_address_problem(value: str) -> str | None:
    """Why `value` is not a `host:port` to listen on, or None."""
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        return f"{value!r} is not host:port (e.g. 127.0.0.1:9464, or 0.0.0.0:9464 to listen on every interface)"
    return None


def metrics_runtime(bind_address: str | None) -> Runtime | None:
    """A Runtime serving Prometheus metrics at http://<bind_address>/metrics; None (the SDK's default runtime,
    no endpoint) when metrics are off."""
    if not bind_address:
        return None
    runtime = _RUNTIMES.get(bind_address)
    if runtime is None:
        telemetry = TelemetryConfig(
            metrics=PrometheusConfig(bind_address=bind_address),
            global_tags={"service": "ringg-campaign-worker"},
        )
        try:
            runtime = Runtime(telemetry=telemetry)
        except ValueError as err:  # the SDK reports a failed bind as ValueError
            raise MetricsUnavailable(f"cannot serve metrics on {bind_address}: {err}") from None
        _RUNTIMES[bind_address] = runtime
    return runtime
