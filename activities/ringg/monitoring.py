"""Counting a campaign's calls by status without reading a single row: `limit=1` history requests whose
`total` Ringg returns for the filter (paging only when `total` is missing)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from contract.statuses import FINAL_CAMPAIGN_STATUSES, PENDING_STATUSES
from ringg import HistoryQuery, RinggClient

# Each poll costs 7 requests whatever the campaign's size: all calls plus the six common statuses; the rare ones
# only when calls are left unaccounted for.
COMMON_STATUSES = ("registered", "ongoing", "retry", "completed", "failed", "error")
RARE_STATUSES = ("cancelled", "forwarded")
KNOWN_STATUSES = COMMON_STATUSES + RARE_STATUSES
PARALLEL_REQUESTS = 3
_FALLBACK_PAGE = 100
_FALLBACK_MAX_PAGES = 1000


async def _count(client: RinggClient, query: HistoryQuery) -> tuple[int, int]:
    """Returns (count, requests made)."""
    page = await client.call_history(query.model_copy(update={"limit": 1, "offset": 0}))
    if page.total is not None:
        return page.total, 1
    seen, requests, offset = 0, 1, 0
    while requests <= _FALLBACK_MAX_PAGES:
        page = await client.call_history(query.model_copy(update={"limit": _FALLBACK_PAGE, "offset": offset}))
        requests += 1
        seen += len(page.calls)
        if len(page.calls) < _FALLBACK_PAGE:
            break
        offset += _FALLBACK_PAGE
    return seen, requests


async def count_calls(client: RinggClient, list_id: str, since: datetime) -> tuple[dict[str, int], int]:
    """Counts by status (plus "other" for statuses Ringg adds later); a window from a day before the
    campaign started to a day after now (or after its start, when `since`, workflow time, is ahead of this clock:
    Temporal's time-skipping test server), since Ringg's default window is only today."""
    base = HistoryQuery(
        bulk_list_id=list_id,
        start_date=since - timedelta(days=1),
        end_date=max(datetime.now(UTC), since) + timedelta(days=1),
    )
    gate = asyncio.Semaphore(PARALLEL_REQUESTS)

    async def one(status: str | None) -> tuple[int, int]:
        async with gate:
            return await _count(client, base.model_copy(update={"status": status}))

    results = await asyncio.gather(*(one(s) for s in (None, *COMMON_STATUSES)))
    total = results[0][0]
    counts = {status: n for status, (n, _) in zip(COMMON_STATUSES, results[1:], strict=True) if n}
    requests = sum(r for _, r in results)
    if total > sum(counts.values()):
        rare = await asyncio.gather(*(one(s) for s in RARE_STATUSES))
        counts.update({status: n for status, (n, _) in zip(RARE_STATUSES, rare, strict=True) if n})
        requests += sum(r for _, r in rare)
    other = total - sum(counts.values())
    if other > 0:
        counts["other"] = other
    elif other < 0:
        _drop_double_counted(counts, -other)
    return counts, requests


def _drop_double_counted(counts: dict[str, int], excess: int) -> None:
    """The requests run in parallel: a call that moved on between two of them (registered -> ongoing, say) is
    counted under both. The total for all statuses is one read, so the excess comes off the pending counts."""
    for status in ("registered", "ongoing", "retry"):
        take = min(excess, counts.get(status, 0))
        if take:
            counts[status] -= take
            excess -= take
            if not counts[status]:
                del counts[status]


def is_finished(ringg_status: str | None, counts: dict[str, int], expected_calls: int | None) -> bool:
    """Done when no call is pending and Ringg says so, or every expected call has ended. (A final status with
    calls still pending is re-polled; the workflow stops waiting after a few such polls.)"""
    if sum(counts.get(s, 0) for s in PENDING_STATUSES):
        return False
    if ringg_status in FINAL_CAMPAIGN_STATUSES:
        return True
    return expected_calls is not None and expected_calls > 0 and sum(counts.values()) >= expected_calls
