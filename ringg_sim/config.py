"""Simulator configuration (CLI flags and the /_sim/config admin route map onto this model)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

UploadVocabulary = Literal["documented", "verifying", "fixture"]
ActiveStatus = Literal["ongoing", "running"]
BalanceShape = Literal["A", "B"]
EndpointName = Literal[
    "save",
    "start",
    "v2_start",
    "upload_csv",
    "upload_status",
    "check_balance",
    "make_call_async",
    "campaign_all",
    "history",
    "terminate",
    "workspace_numbers",
    "workspace",
    "agent_subscriptions",
]
FaultKind = Literal["rate_limit", "http_error", "delay", "commit_then_drop"]

DEFAULT_POOL_ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
WORKSPACE_ID = "442a9db3-5f1e-4c55-9d0a-6b2f0c7e1a11"


class FaultRule(BaseModel):
    """One fault-injection rule; it applies to the next `times` requests to `endpoint` (-1 = forever)."""

    model_config = ConfigDict(extra="forbid")

    endpoint: EndpointName
    kind: FaultKind
    times: int = Field(default=1, ge=-1)
    retry_after: float | None = Field(default=None, ge=0)
    status: int = Field(default=500, ge=400, le=599)
    delay_s: float = Field(default=1.0, ge=0)


class WorkspaceNumber(BaseModel):
    id: str
    number: str
    provider: str = "plivo"
    display_name: str = "Sim Line"
    is_spam: bool = False
    spam_message: str | None = None
    number_pool_id: str | None = None


def _default_numbers() -> list[WorkspaceNumber]:
    return [
        WorkspaceNumber(id="3b1f5c2e-8a41-4d0b-9c7e-1a2b3c4d5e01", number="+912269976801", display_name="Main"),
        WorkspaceNumber(
            id="3b1f5c2e-8a41-4d0b-9c7e-1a2b3c4d5e02",
            number="+912269976802",
            provider="exotel",
            display_name="Old Line",
            is_spam=True,
            spam_message="Number flagged as spam by carrier",
        ),
        WorkspaceNumber(
            id="3b1f5c2e-8a41-4d0b-9c7e-1a2b3c4d5e03",
            number="+14155550103",
            provider="twilio",
            display_name="US Line",
        ),
        WorkspaceNumber(
            id="3b1f5c2e-8a41-4d0b-9c7e-1a2b3c4d5e04",
            number="+912269976804",
            display_name="Pool Line",
            number_pool_id=DEFAULT_POOL_ID,
        ),
        WorkspaceNumber(
            id="3b1f5c2e-8a41-4d0b-9c7e-1a2b3c4d5e05",
            number="+442071838705",
            provider="twilio",
            display_name="UK Line",
        ),
    ]


class SimConfig(BaseModel):
    """All knobs of the simulator.

    Durations are *simulated* seconds. The simulated clock starts at the wall clock's reading and runs
    1/time_scale times faster (time_scale = wall seconds per simulated second); changing time_scale at runtime
    changes its speed from then on. Campaign windows, daily call times, scheduled_at and retry waits are read on
    the simulated clock; the API reports wall-clock timestamps.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    host: str = "127.0.0.1"
    port: int = 8765
    api_key: str = "sim-dev-key"
    log_level: str = "warning"
    time_scale: float = Field(default=1.0, gt=0)
    credits: float = Field(default=1_000_000, ge=0)
    credits_per_call: float = Field(default=1.0, ge=0)
    upload_vocabulary: UploadVocabulary = "documented"
    balance_shape: BalanceShape = "A"
    seed: int = 0
    # The workspace's capacity: calls started per simulated second, shared by every launch that is dialling. A
    # launch with concurrency_percentage p gets p % of it; launches without one share what is left equally.
    call_rate: float = Field(default=2.0, gt=0)
    # Share of the capacity kept for API-triggered calls (the dashboard's api_concurrency_pct).
    api_concurrency_pct: float = Field(default=0.0, ge=0, lt=100)
    # Simulated seconds before a retry when call_retry_config gives no minutes for that reason (30 minutes is
    # the documented default of retry_busy / retry_not_picked / retry_failed).
    retry_delay_s: float = Field(default=1800.0, ge=0)
    # The status of a campaign that is calling: Ringg's fixtures show both "ongoing" and "running".
    active_status: ActiveStatus = "ongoing"
    # Simulated seconds between an accepted launch and the first call starting (status "scheduled").
    schedule_delay_s: float = Field(default=5.0, ge=0)
    # Upload processing: fixed latency plus rows per simulated second.
    upload_base_s: float = Field(default=2.0, ge=0)
    upload_rows_per_s: float = Field(default=1000.0, gt=0)
    # Every Nth data row of an upload is invalidated by Ringg itself (its do-not-call registry), whatever the
    # number looks like: rows a client's own checks cannot catch. 0 = never.
    dnc_every: int = Field(default=0, ge=0)
    # Webhook faults: every Nth event is delivered twice / loses its first attempt (arrives by a retry).
    webhook_duplicate_every: int = Field(default=0, ge=0)
    webhook_drop_every: int = Field(default=0, ge=0)
    # Whether the workspace has the beta large-campaign flow (upload-csv ... make-call-async); when off, those
    # endpoints answer 403 (ringg_sim/beta_access.py says why 403).
    large_flow_enabled: bool = True
    # Ringg's rate limit as the simulator plays it: an API request arriving when this many were admitted in the
    # last (wall-clock) second is answered 429 with Retry-After rate_limit_retry_after_s. 0 = no limit.
    rate_limit_rps: float = Field(default=0.0, ge=0)
    rate_limit_retry_after_s: float | None = Field(default=1.0, ge=0)
    numbers: list[WorkspaceNumber] = Field(default_factory=_default_numbers)
    extra_pool_ids: list[str] = Field(default_factory=list)
    faults: list[FaultRule] = Field(default_factory=list)

    def pool_ids(self) -> set[str]:
        pools = {n.number_pool_id for n in self.numbers if n.number_pool_id}
        return pools | set(self.extra_pool_ids)


# Fields the admin API may change at runtime.
MUTABLE_FIELDS = frozenset(
    {
        "time_scale",
        "credits",
        "credits_per_call",
        "upload_vocabulary",
        "balance_shape",
        "dnc_every",
        "webhook_duplicate_every",
        "webhook_drop_every",
        "call_rate",
        "api_concurrency_pct",
        "active_status",
        "seed",
        "retry_delay_s",
        "schedule_delay_s",
        "upload_base_s",
        "upload_rows_per_s",
        "extra_pool_ids",
        "large_flow_enabled",
        "rate_limit_rps",
        "rate_limit_retry_after_s",
    }
)
