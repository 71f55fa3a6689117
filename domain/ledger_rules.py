"""The ledger's request rules: which call outcomes may add a number to the suppression list, which contact columns
are kept, and which program wave a campaign's key names."""

from __future__ import annotations

from contract.campaign import CampaignRequest
from contract.statuses import CALL_STATUS_ORDER, PENDING_STATUSES
from domain.contact_outcome import FOLLOW_UP_OUTCOMES, REDIAL_SUB_STATUSES, last_outcome

# Outcomes in the product's words (domain.contact_outcome), Ringg's final call statuses and its documented
# sub-statuses (ringg-api.md, "Call sub-status values", and the FIX-logs' NO_ANSWER).
OUTCOME_WORDS = frozenset({*FOLLOW_UP_OUTCOMES, "answered", "opted_out"})
CALL_STATUSES = frozenset(s for s in CALL_STATUS_ORDER if s not in PENDING_STATUSES and s != "other")
SUB_STATUSES = REDIAL_SUB_STATUSES | {
    "ACCEPTED",
    "USER_LEFT",
    "USER_BECAME_IDLE",
    "MAX_CALL_DURATION",
    "USER_TERMINATED",
    "DND_SKIPPED",
    "INVALID_NUMBER",
}


def suppress_on_problems(words: list[str]) -> list[str]:
    problems = []
    for word in words:
        w = word.strip()
        if not (w.lower() in OUTCOME_WORDS or w.lower() in CALL_STATUSES or w.upper() in SUB_STATUSES):
            problems.append(
                f"suppress_on: {word!r} is not a call outcome; use opted_out, answered, no_answer, busy, voicemail, "
                "failed, error, cancelled, one of Ringg's call statuses or one of its sub-statuses (e.g. DND_SKIPPED)"
            )
    return problems


def ledger_problems(req: CampaignRequest) -> list[str]:
    problems = suppress_on_problems(req.suppress_on)
    columns = [*([req.external_id_column] if req.external_id_column is not None else []), *req.passthrough_columns]
    if any(not c.strip() for c in columns):
        problems.append("external_id_column and passthrough_columns must name CSV columns (no empty names)")
    if len({c.strip() for c in req.passthrough_columns}) != len(req.passthrough_columns):
        problems.append("passthrough_columns names a column twice")
    return problems


def suppression_reason(words: frozenset[str], status: str, sub_status: str, *, attempted: bool) -> str | None:
    """The word of `suppress_on` a call matches (its outcome, its call status or its sub-status), if any."""
    outcome = last_outcome(status, sub_status, attempted=attempted)
    for candidate in (outcome, status.strip().lower(), sub_status.strip().upper()):
        if candidate and candidate in words:
            return candidate
    return None


def normalised_words(words: list[str]) -> frozenset[str]:
    """suppress_on as suppression_reason compares it: outcomes and statuses lower-case, sub-statuses upper."""
    out: set[str] = set()
    for word in words:
        w = word.strip()
        out.add(w.lower())
        if w.upper() in SUB_STATUSES:
            out.add(w.upper())
    return frozenset(out)


def wave_of(key: str) -> str | None:
    """A program wave's name from its campaign's key (`pg-….pilot` -> `pilot`); None for a plain campaign."""
    if key.startswith("pg-") and "." in key:
        return key.split(".", 1)[1]
    return None
