"""count_not_called: once a campaign is final, how many of its contacts Ringg never dialled (cancelled calls
with no attempt), read from the cancelled rows of calling/history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import structlog
from temporalio import activity

from activities.heartbeat import heartbeating
from activities.log_context import activity_log_context
from activities.ringg.errors import map_ringg_error
from activities.ringg.reconcile import RinggBase
from contract.ringg_checks import NotCalledInput, NotCalledResult
from domain.call_outcome import NEVER_DIALLED_STATUS, never_attempted
from ringg import HistoryPage, HistoryQuery, RinggError

log = structlog.get_logger()

PAGE = 100
MAX_PAGES = 20_000  # 2M cancelled calls


def _last_page(page: HistoryPage, read: int) -> bool:
    if not page.calls:
        return True
    if page.total is not None:
        return read >= page.total
    return len(page.calls) < (page.limit or PAGE)


class NotCalledActivities(RinggBase):
    """count_not_called."""

    @activity.defn
    async def count_not_called(self, inp: NotCalledInput) -> NotCalledResult:
        """Pages the cancelled calls (the status a never-dialled call ends in) and counts those without an
        attempt. The campaign is final, so the set no longer changes; a retried attempt resumes at its last
        heartbeated page."""
        with activity_log_context():
            details = activity.info().heartbeat_details
            done = NotCalledResult.model_validate(details[-1]) if details else NotCalledResult()
            query = HistoryQuery(
                bulk_list_id=inp.list_id,
                status=NEVER_DIALLED_STATUS,
                start_date=inp.since - timedelta(days=1),
                end_date=max(datetime.now(UTC), inp.since) + timedelta(days=1),
                limit=PAGE,
            )
            previous: set[str] = set()
            try:
                async with heartbeating(lambda: done.model_dump()):
                    for _ in range(MAX_PAGES):
                        page = await self._ringg.call_history(query.model_copy(update={"offset": done.cancelled}))
                        # Offset paging can repeat a row across a page boundary; Ringg filtered by status already.
                        fresh = [c for c in page.calls if c.id not in previous]
                        previous = {c.id for c in page.calls}
                        done = NotCalledResult(
                            not_called=done.not_called + sum(1 for c in fresh if never_attempted(c)),
                            cancelled=done.cancelled + len(page.calls),
                            requests=done.requests + 1,
                        )
                        activity.heartbeat(done.model_dump())
                        if _last_page(page, done.cancelled):
                            break
            except RinggError as err:
                raise map_ringg_error(err, doing="counting the contacts never called") from None
            log.info("not_called_counted", list_id=inp.list_id, not_called=done.not_called, requests=done.requests)
            return done
