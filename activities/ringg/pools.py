"""check_number_pool: a request's number_pool_id must be a pool of this workspace before anything is uploaded."""

from __future__ import annotations

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.log_context import activity_log_context
from activities.ringg.errors import map_ringg_error
from activities.ringg.reconcile import RinggBase
from contract.errors import UNKNOWN_NUMBER_POOL
from contract.ringg_checks import NumberPoolInput, NumberPoolResult
from ringg import NumberPool, RinggClientError, RinggError

log = structlog.get_logger()

# Answers meaning the listing is not there for this key (404: no such route; 403/405: not for this key).
_LISTING_UNAVAILABLE = frozenset({403, 404, 405})


class PoolActivities(RinggBase):
    """check_number_pool."""

    @activity.defn
    async def check_number_pool(self, inp: NumberPoolInput) -> NumberPoolResult:
        """Known when a workspace number belongs to the pool (GET workspace/numbers: each number's
        number_pool_id, documented) or, failing that, when the dashboard's pool listing (GET number-pool, known
        only from fixtures) lists it. Ringg's v2/start asks for a pool with numbers added to it, so a pool found
        in neither is refused before any upload."""
        pool_id = inp.number_pool_id.strip()
        with activity_log_context():
            try:
                numbers = await self._ringg.all_workspace_numbers()
                members = [n for n in numbers if (n.number_pool_id or "").strip() == pool_id]
                listed = [] if members else await self._listed_pools()
            except RinggError as err:
                raise map_ringg_error(err, doing="checking the number pool") from None
            if members:
                spam = sum(1 for n in members if n.is_spam)
                warnings = (
                    [f"every number of pool {pool_id} ({len(members)}) is flagged as spam; Ringg may skip them all"]
                    if spam == len(members)
                    else []
                )
                return NumberPoolResult(members=len(members), spam_members=spam, warnings=warnings)
            if any(p.id == pool_id for p in listed):
                log.info("number_pool_listed_without_numbers", number_pool_id=pool_id)
                return NumberPoolResult(listed=True)
            known = sorted({n.number_pool_id for n in numbers if n.number_pool_id} | {p.id for p in listed})
            raise ApplicationError(
                f"number_pool_id {pool_id} is not a number pool of this Ringg workspace: no workspace number belongs "
                "to it (GET /workspace/numbers) and no pool listing names it; nothing was uploaded. Use a pool that "
                f"has numbers (known pools: {', '.join(known[:20]) or 'none'}), or from_numbers.",
                type=UNKNOWN_NUMBER_POOL,
                non_retryable=True,
            )

    async def _listed_pools(self) -> list[NumberPool]:
        try:
            return await self._ringg.all_number_pools()
        except RinggClientError as err:
            if err.status_code in _LISTING_UNAVAILABLE:
                return []
            raise
