"""A launch's `callback_url` and `email_completion_user_ids`: when its campaign ends (completed or terminated),
one POST and one completion email are recorded. Ringg does not document the callback's payload; ours is
CAMPAIGN_EVENT below (docs/simulator.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ringg_sim.lifecycle import STATUS_NAMES, TERMINAL

CAMPAIGN_EVENT = "campaign_completed"


@dataclass
class CallbackRecord:
    """One campaign-end POST and every attempt to deliver it (wall-clock ISO times)."""

    campaign_id: str
    launch: int
    url: str
    payload: dict[str, Any]
    attempts: list[dict[str, Any]] = field(default_factory=list)
    delivered: bool = False

    def public(self) -> dict[str, Any]:
        return {
            "campaign_id": self.campaign_id,
            "launch": self.launch,
            "url": self.url,
            "payload": self.payload,
            "attempts": list(self.attempts),
            "delivered": self.delivered,
        }


@dataclass
class CallbackBook:
    callbacks: list[CallbackRecord] = field(default_factory=list)
    emails: list[dict[str, Any]] = field(default_factory=list)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="microseconds")


def collect_ended(state: Any) -> list[CallbackRecord]:
    """Launches with a callback or completion emails whose campaign has ended since the last look: records the
    emails and returns the callbacks to deliver."""
    due: list[CallbackRecord] = []
    now = state.now()
    for ln in state.launches:
        if ln.end_reported or not (ln.callback_url or ln.email_user_ids):
            continue
        if not ln.terminated and ln.pending(now):
            continue
        ln.end_reported = True
        c = state.campaigns[ln.list_id]
        status = "terminated" if ln.terminated else "completed"
        ended = state.clock.wall_of(ln.last_end) if ln.last_end is not None and not ln.terminated else state.wall()
        counts = ln.counts(now)
        payload = {
            "event_type": CAMPAIGN_EVENT,
            "campaign_id": c.id,
            "bulk_list_id": c.id,
            "campaign_name": c.name,
            "agent_id": ln.agent_id,
            "campaign_status": status,
            "ended_at": _iso(ended),
            "total_calls": ln.n,
            "calls_by_status": {STATUS_NAMES[code]: counts[code] for code in TERMINAL if counts[code]},
            "not_called": ln.not_attempted(),
        }
        if ln.email_user_ids:
            state.callbacks.emails.append(
                {
                    "campaign_id": c.id,
                    "launch": ln.seq,
                    "user_ids": list(ln.email_user_ids),
                    "campaign_status": status,
                    "at": _iso(state.wall()),
                }
            )
        if ln.callback_url:
            record = CallbackRecord(c.id, ln.seq, ln.callback_url, payload)
            state.callbacks.callbacks.append(record)
            due.append(record)
    return due
