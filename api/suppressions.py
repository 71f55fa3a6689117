"""/v1/suppressions: add numbers to the contact ledger's suppression list (all or none), page through it, remove one."""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import APIRouter, Path, Query, Response

from api.errors import ApiError
from api.ledger_access import LedgerAccess, ledger_errors
from api.ledger_models import NO_NUL, NUMBER_PATTERN, AddSuppressions, Suppression, SuppressionPage, SuppressionsAdded
from domain.number_list import normalise_numbers
from ledger.records import SuppressionEntry

log = structlog.get_logger()
SOURCE = "api"
CountryCode = Annotated[
    str, Query(min_length=1, max_length=8, description="dialling code for a number written without one")
]


def _normalised(numbers: list[str], country_code: str, where: str, refused: str) -> list[str]:
    """E.164 numbers, or a 422 listing every invalid one by its index, as `numbers.3: ...` like the API's other
    validation problems (never its value)."""
    try:
        found, problems = normalise_numbers(numbers, country_code)
    except ValueError:
        raise ApiError(
            422, "the request is not valid", ["country_code: not a dialling code: use +91, 91 or a code like IN"]
        ) from None
    if problems:
        raise ApiError(
            422,
            f"{len(problems)} of {len(numbers)} numbers are not valid phone numbers: {refused}",
            [f"{where}.{i}: {problem}" if where else problem for i, problem in problems],
        )
    return found


def suppressions_router(access: LedgerAccess) -> APIRouter:
    router = APIRouter(prefix="/v1/suppressions", tags=["ledger"])

    @router.post("", operation_id="add_suppressions", status_code=201, responses=ledger_errors(400))
    async def add(body: AddSuppressions) -> SuppressionsAdded:
        """Add numbers to the suppression list: pre-flight leaves them out of every campaign's upload."""
        reason = body.reason.strip()
        if not reason:
            raise ApiError(422, "the request is not valid", ["reason: must not be blank"])
        numbers = _normalised(body.numbers, body.country_code, "numbers", "none was added")
        async with access.use() as ledger:
            added = await ledger.add_suppressions([SuppressionEntry(n, reason, SOURCE) for n in numbers])
        unique = len(set(numbers))
        log.info("suppressions_added", added=added, already_listed=unique - added)
        return SuppressionsAdded(added=added, already_listed=unique - added)

    @router.get("", operation_id="list_suppressions", responses=ledger_errors())
    async def list_suppressions(
        after: Annotated[str, Query(max_length=40, pattern=NO_NUL, description="the previous page's next_after")] = "",
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> SuppressionPage:
        """The suppression list in number order, one page at a time (keyset: stable while numbers are added)."""
        async with access.use() as ledger:
            page = await ledger.suppressions_page(after=after, limit=limit + 1)
        items = [Suppression(**view.as_json()) for view in page[:limit]]
        return SuppressionPage(items=items, next_after=items[-1].number if len(page) > limit else None)

    @router.delete(
        "/{number}",
        operation_id="remove_suppression",
        status_code=204,
        response_class=Response,
        responses=ledger_errors(404),
    )
    async def remove(
        number: Annotated[str, Path(pattern=NUMBER_PATTERN, description="the number (E.164 or national)")],
        country_code: CountryCode = "+91",
    ) -> Response:
        """Take a number off the suppression list: later campaigns may call it again."""
        normalised = _normalised([number], country_code, "", "nothing was removed")
        async with access.use() as ledger:
            removed = await ledger.remove_suppressions(normalised)
        if not removed:
            raise ApiError(404, "this number is not on the suppression list")
        log.info("suppression_removed")
        return Response(status_code=204)

    return router
