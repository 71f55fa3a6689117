"""A contact's last outcome in a wave, in the words follow-up rules use, from Ringg's call status and sub-status."""

from __future__ import annotations

from contract.statuses import PENDING_STATUSES

# What follow_up.statuses may name, besides Ringg's own call statuses and sub-statuses.
FOLLOW_UP_OUTCOMES = frozenset({"no_answer", "busy", "voicemail", "failed", "error", "not_called", "cancelled"})
# Ringg's call statuses a rule may name (a call that was not answered).
REDIAL_CALL_STATUSES = frozenset({"failed", "error", "cancelled"})
# Ringg's sub-statuses (ringg-api.md, "Call Sub-Status Values") that may be re-dialled, and the FIX-logs' NO_ANSWER.
REDIAL_SUB_STATUSES = frozenset(
    {
        "RATE_LIMITED",
        "RETRY_LIMIT_REACHED",
        "FAILED",
        "USER_DID_NOT_JOIN",
        "CAMPAIGN_TIME_EXCEEDED",
        "NOT_ABLE_TO_CALL",
        "VOICEMAIL_DETECTED",
        "VOICEMAIL_DETECTED_VIA_LLM",
        "PIPECAT_TIMEOUT",
        "PRE_CALL_API_FAILED",
        "NO_ANSWER",
        "BUSY",
    }
)
# Never re-dialled, whatever a rule says: answered, opted out (Ringg's do-not-call skip), or still in progress.
FINAL_OUTCOMES = frozenset({"answered", "opted_out", "pending"})
_NO_ANSWER = frozenset({"NO_ANSWER", "USER_DID_NOT_JOIN", "NOT_PICKED", "RETRY_LIMIT_REACHED"})
_VOICEMAIL = frozenset({"VOICEMAIL_DETECTED", "VOICEMAIL_DETECTED_VIA_LLM"})
_OPTED_OUT = frozenset({"DND_SKIPPED"})  # Ringg skipped the number: it is on a do-not-call list


def last_outcome(status: str, sub_status: str, *, attempted: bool) -> str:
    """answered | opted_out | pending | not_called | no_answer | busy | voicemail | failed | error | cancelled."""
    status, sub = status.strip().lower(), sub_status.strip().upper()
    if sub in _OPTED_OUT:
        return "opted_out"
    if status in ("completed", "forwarded"):
        return "answered"
    if status in PENDING_STATUSES:
        return "pending"
    if status == "cancelled":
        return "cancelled" if attempted else "not_called"
    if status == "error":
        return "error"
    if sub == "BUSY":
        return "busy"
    if sub in _VOICEMAIL:
        return "voicemail"
    if sub in _NO_ANSWER:
        return "no_answer"
    return "failed" if status == "failed" else "error"


def wants(rule_statuses: frozenset[str], status: str, sub_status: str, *, attempted: bool) -> bool:
    """Whether a contact with this last call matches a follow-up rule's statuses (our outcome words, Ringg's call
    status or its sub-status); answered, opted-out and pending contacts never do."""
    outcome = last_outcome(status, sub_status, attempted=attempted)
    if outcome in FINAL_OUTCOMES:
        return False
    return (
        outcome in rule_statuses
        or status.strip().lower() in rule_statuses
        or (bool(sub_status.strip()) and sub_status.strip().upper() in rule_statuses)
    )


def normalised_statuses(statuses: list[str]) -> frozenset[str]:
    """A rule's statuses as `wants` compares them: outcome words and call statuses lower-case, sub-statuses upper."""
    out: set[str] = set()
    for s in statuses:
        s = s.strip()
        out.add(s.lower())  # "failed" is both Ringg's call status and (as FAILED) one of its sub-statuses
        if s.upper() in REDIAL_SUB_STATUSES:
            out.add(s.upper())
    return frozenset(out)


def status_problems(statuses: list[str], setting: str) -> list[str]:
    problems: list[str] = []
    for s in statuses:
        word = s.strip()
        if word.lower() in ("completed", "answered", "forwarded", "opted_out", "dnd_skipped", "accepted"):
            problems.append(f"{setting}: {word!r} is never re-dialled (answered or opted-out contacts are final)")
        elif not (
            word.lower() in FOLLOW_UP_OUTCOMES
            or word.lower() in REDIAL_CALL_STATUSES
            or word.upper() in REDIAL_SUB_STATUSES
        ):
            allowed = ", ".join(sorted(FOLLOW_UP_OUTCOMES))
            problems.append(
                f"{setting}: {word!r} is not an outcome that can be re-dialled; use {allowed} or one of Ringg's "
                "failure sub-statuses (e.g. USER_DID_NOT_JOIN)"
            )
    return problems
