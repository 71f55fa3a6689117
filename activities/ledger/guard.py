"""What a ledger activity lets out of a database failure: the kind of error, never the SQL statement or its
parameters (numbers), as a retryable ApplicationError; a schema the code does not expect says what to run."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from temporalio.exceptions import ApplicationError

from contract.errors import LEDGER_FAILED, LEDGER_NOT_READY, LEDGER_UNAVAILABLE
from ledger.engine import shown_url
from ledger.store import Ledger, LedgerNotReady

log = structlog.get_logger()


@asynccontextmanager
async def ledger_guard(ledger: Ledger) -> AsyncIterator[None]:
    """Brings the ledger to readiness, then runs the block; database errors leave as retryable, PII-free ones."""
    try:
        await ledger.ready()
        yield
    except LedgerNotReady as err:
        raise ApplicationError(str(err), type=LEDGER_NOT_READY) from None
    except (SQLAlchemyError, ConnectionError, TimeoutError) as err:
        kind = type(err.orig).__name__ if isinstance(err, DBAPIError) and err.orig is not None else type(err).__name__
        transient = isinstance(err, OperationalError | InterfaceError | ConnectionError | TimeoutError)
        log.warning("ledger_error", error=kind, transient=transient, ledger=shown_url(ledger.engine.url))
        if transient:
            raise ApplicationError(
                f"the contact ledger at {shown_url(ledger.engine.url)} failed ({kind}); retrying",
                type=LEDGER_UNAVAILABLE,
            ) from None
        # A statement the database refuses will be refused again: a bug to report, not a wait.
        raise ApplicationError(
            f"the contact ledger at {shown_url(ledger.engine.url)} refused a statement ({kind}). This is a bug: report "
            "it with the campaign's workflow ID",
            type=LEDGER_FAILED,
            non_retryable=True,
        ) from None
