"""How `starter.py` commands reach the contact ledger (CAMPAIGN_LEDGER_URL): opened for one command, and every
failure said in one line naming the ledger (never its password) and what to do."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from rich.markup import escape
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from cli.common import fail
from cli.exit_codes import BAD_INPUT
from ledger.engine import LedgerSettingsError, ledger_url, shown_url
from ledger.store import Ledger, LedgerNotReady


def settings_url() -> URL:
    try:
        return ledger_url(os.environ)
    except LedgerSettingsError as err:
        raise fail(escape(str(err)), code=BAD_INPUT) from None


@asynccontextmanager
async def open_ledger() -> AsyncIterator[Ledger]:
    """The ledger, ready: an embedded SQLite one is migrated on the spot, a PostgreSQL one must be (LedgerNotReady
    says how). A database error or an unreachable server, here or in the block, ends the command with exit 1."""
    url = settings_url()
    try:
        ledger = Ledger.open(url)
    except OSError as err:
        raise fail(escape(unreachable(url, err))) from None
    try:
        await ledger.ready()
        yield ledger
    except LedgerNotReady as err:
        raise fail(escape(str(err))) from None
    except (SQLAlchemyError, OSError) as err:
        raise fail(escape(unreachable(url, err))) from None
    finally:
        await ledger.close()


def unreachable(url: URL, err: BaseException) -> str:
    # The type, not the message: a database's message may quote a row's values.
    cause = getattr(err, "orig", None) or err
    reason = getattr(cause, "strerror", None) or type(cause).__name__
    return (
        f"cannot use the contact ledger at {shown_url(url)} ({reason}): is the database up and migrated? "
        "Check CAMPAIGN_LEDGER_URL (or CAMPAIGN_LEDGER_URL_FILE)"
    )
