"""Counting a campaign's calls by status at the cost its answer needs: a list that fits one page of
`/calling/history` is counted from that page's rows (one request); a bigger one from `limit=1` requests whose
`total` Ringg returns for each filter, asking only for the statuses whose count can still change."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from contract.statuses import FINAL_CAMPAIGN_STATUSES, PENDING_STATUSES
from ringg import CallRecord, HistoryQuery, RinggClient

# A bigger list costs 1 + 6 requests a poll whatever its size: all calls plus the six common statuses (fewer once
# some cannot change any more); the rare ones only when calls are left unaccounted for.
COMMON_STATUSES = ("registered", "ongoing", "retry", "completed", "failed", "error")
RARE_STATUSES = ("cancelled", "forwarded")
KNOWN_STATUSES = COMMON_STATUSES + RARE_STATUSES
# The largest page third-party code reads from /calling/history (ringg-api.md §2): a campaign with at most this many
# calls is counted from one page of rows.
ROWS_PAGE = 100
PARALLEL_REQUESTS = 3
_FALLBACK_PAGE = 100
_FALLBACK_MAX_PAGES = 1000


def counts_of_rows(calls: Iterable[CallRecord]) -> dict[str, int]:
    """Counts by status of history rows, as the per-status totals would give them ("other" for statuses Ringg
    adds later, or none)."""
    counts: Counter[str] = Counter()
    for call in calls:
        status = call.status if call.status in KNOWN_STATUSES else "other"
        counts[status or "other"] += 1
    return dict(counts)


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


async def count_calls(
    client: RinggClient,
    list_id: str,
    since: datetime,
    *,
    expected_calls: int | None = None,
    settled: Iterable[str] = (),
) -> tuple[dict[str, int], int]:
    """Counts by status (plus "other" for statuses Ringg adds later); a window from a day before the
    campaign started to a day after now (or after its start, when `since`, workflow time, is ahead of this clock:
    Temporal's time-skipping test server), since Ringg's default window is only today.

    A list of at most ROWS_PAGE expected calls is read as one page of rows and counted from them when the page holds
    every row (one request). `settled`: statuses whose count the caller knows is zero for good (no call registered
    any more once all are on the list), left out of the per-status requests."""
    base = HistoryQuery(
        bulk_list_id=list_id,
        start_date=since - timedelta(days=1),
        end_date=max(datetime.now(UTC), since) + timedelta(days=1),
    )
    small = expected_calls is not None and expected_calls <= ROWS_PAGE
    first = await client.call_history(base.model_copy(update={"limit": ROWS_PAGE if small else 1, "offset": 0}))
    requests = 1
    if small and first.total is not None and len(first.calls) >= first.total:
        return counts_of_rows(first.calls), requests
    gate = asyncio.Semaphore(PARALLEL_REQUESTS)

    async def one(status: str | None) -> tuple[int, int]:
        async with gate:
            return await _count(client, base.model_copy(update={"status": status}))

    if first.total is not None:
        total = first.total
    else:
        total, more = await one(None)
        requests += more
    skipped = [s for s in COMMON_STATUSES if s in set(settled)]
    asked = [s for s in COMMON_STATUSES if s not in skipped]
    # The final statuses are read after the pending ones: a call that ends while the poll runs is then counted in
    # its final status (perhaps twice, which the total corrects), never missed; once every call has ended, the
    # counts are exact whatever the requests' pacing.
    pending = [s for s in asked if s in PENDING_STATUSES]
    final = [s for s in asked if s not in PENDING_STATUSES]
    results = await asyncio.gather(*(one(s) for s in pending))
    results += await asyncio.gather(*(one(s) for s in final))
    counts = {status: n for status, (n, _) in zip(pending + final, results, strict=True) if n}
    requests += sum(r for _, r in results)
    if total > sum(counts.values()):
        # Calls unaccounted for: the rare statuses, and the settled ones after all (never guessed).
        late = [*RARE_STATUSES, *skipped]
        rare = await asyncio.gather(*(one(s) for s in late))
        counts.update({status: n for status, (n, _) in zip(late, rare, strict=True) if n})
        requests += sum(r for _, r in rare)
    other = total - sum(counts.values())
    if other > 0:
        counts["other"] = other
    elif other < 0:
        _drop_double_counted(counts, -other)
    return counts, requests


def settled_statuses(previous: dict[str, int], expected_calls: int | None) -> list[str]:
    """Statuses whose count cannot change any more: "registered" (a call's first state) once every expected call
    is on the list and none is registered."""
    on_list = sum(previous.values())
    if expected_calls and on_list >= expected_calls and not previous.get("registered"):
        return ["registered"]
    return []


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
