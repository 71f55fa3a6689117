"""The API's contact ledger (CAMPAIGN_LEDGER_URL, as the workers'): opened in the app's lifespan, closed at
shutdown; while it is unreachable or not migrated, its routes answer 503 and the others work on."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import structlog
from sqlalchemy.engine import URL
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError

from api.context import errors
from api.errors import ApiError, ErrorBody
from ledger.engine import shown_url
from ledger.store import Ledger, LedgerNotReady

log = structlog.get_logger()
RETRY = {"Retry-After": "5"}


class LedgerAccess:
    """The ledger's engine is made here (it connects on first use); `open` and `close` run in the lifespan."""

    def __init__(self, url: URL) -> None:
        self.url = url
        self.ledger = Ledger.open(url)
        self._open = False

    async def open(self) -> None:
        """At startup: an embedded SQLite ledger is migrated; a failure is logged, not fatal (the routes say 503)."""
        self._open = True
        try:
            await self.ledger.ready()
        except LedgerNotReady as err:
            log.warning("ledger_not_ready", detail=str(err))
        except (SQLAlchemyError, OSError) as err:
            log.warning("ledger_unreachable", ledger=shown_url(self.url), error_type=_cause(err))

    async def close(self) -> None:
        self._open = False
        await self.ledger.close()

    @asynccontextmanager
    async def use(self) -> AsyncIterator[Ledger]:
        """The ready ledger for one request; its failures become 503 answers that never quote a row."""
        if not self._open:
            raise ApiError(
                503, "the contact ledger is not open (the API is starting or stopping); try again", headers=RETRY
            )
        try:
            await self.ledger.ready()
            yield self.ledger
        except LedgerNotReady as err:
            log.warning("ledger_not_ready", detail=str(err))
            raise ApiError(
                503,
                "the contact ledger's database is not migrated: the operator runs `python -m runtime.ledger_setup`",
                headers=RETRY,
            ) from None
        except (OperationalError, InterfaceError, OSError, TimeoutError) as err:
            log.warning("ledger_unreachable", ledger=shown_url(self.url), error_type=_cause(err))
            raise ApiError(503, "the contact ledger is unavailable; try again shortly", headers=RETRY) from None
        except SQLAlchemyError as err:
            # A statement the database refuses will be refused again: a bug, not a wait (as activities.ledger.guard).
            log.error("ledger_refused", ledger=shown_url(self.url), error_type=_cause(err))
            raise ApiError(
                500, "internal error: the contact ledger refused the request (the API's log has the kind)"
            ) from None


def _cause(err: BaseException) -> str:
    return type(getattr(err, "orig", None) or err).__name__


def ledger_errors(*codes: int, ok: Mapping[int | str, dict[str, Any]] | None = None) -> dict[int | str, dict[str, Any]]:
    """errors() for a ledger route: its 503 means the ledger, not Temporal."""
    responses = errors(*codes, ok=ok)
    responses[503] = {"model": ErrorBody, "description": "the contact ledger is unavailable or not migrated"}
    return responses
