"""/v1/campaigns/{ref}/contacts: a campaign's contacts as the contact ledger recorded them (external_id,
passthrough columns, outcome, last call), page by page, without asking Ringg or Temporal."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response

from api.errors import ApiError
from api.ledger_access import LedgerAccess, ledger_errors
from api.ledger_models import ContactPage, LedgerCampaign, LedgerContact
from api.models import REF_PATTERN

NEXT_HEADER = "X-Next-After"
MAX_ID = 2**63 - 1  # row ids are 64-bit integers in both databases: a larger `after` is a 422, not a 500
JSONL = "application/x-ndjson"
Ref = Annotated[str, Path(pattern=REF_PATTERN, description="workflow ID, idempotency key or Ringg list id")]
OK: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "a page of contacts: JSON, or with format=jsonl one contact a line",
        "content": {JSONL: {"schema": {"type": "string", "description": "one LedgerContact as JSON a line"}}},
        "headers": {
            NEXT_HEADER: {
                "description": "the next page's `after` (absent on the last page)",
                "schema": {"type": "integer"},
            }
        },
    }
}


def campaign_contacts_router(access: LedgerAccess) -> APIRouter:
    router = APIRouter(prefix="/v1/campaigns", tags=["ledger"])

    @router.get(
        "/{ref}/contacts",
        operation_id="campaign_contacts",
        response_model=ContactPage,
        responses=ledger_errors(404, ok=OK),
    )
    async def contacts(
        ref: Ref,
        response: Response,
        after: Annotated[int, Query(ge=0, le=MAX_ID, description="the previous page's next_after")] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        fmt: Annotated[Literal["json", "jsonl"], Query(alias="format")] = "json",
    ) -> ContactPage | Response:
        """One page of a campaign's contacts from the contact ledger, in the order they were recorded."""
        async with access.use() as ledger:
            campaign = await ledger.campaign(ref)
            if campaign is None:
                raise ApiError(
                    404,
                    f"the contact ledger has no campaign {ref!r} (tried idempotency key, workflow ID and list id); "
                    "a campaign is recorded once pre-flight has screened its contacts",
                )
            page = await ledger.contacts_page(campaign.key, after=after, limit=limit + 1)
        items, more = page[:limit], len(page) > limit
        next_after = items[-1].id if more else None
        headers = {NEXT_HEADER: str(next_after)} if next_after is not None else None
        if fmt == "jsonl":
            body = "".join(json.dumps(c.as_json(), ensure_ascii=False) + "\n" for c in items)
            return Response(body, media_type=JSONL, headers=headers)
        response.headers.update(headers or {})
        return ContactPage(
            campaign=LedgerCampaign(**campaign.as_json()),
            items=[LedgerContact(**c.as_json()) for c in items],
            next_after=next_after,
        )

    return router
