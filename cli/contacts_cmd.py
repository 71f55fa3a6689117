"""`starter.py contacts`: a campaign's contacts from the contact ledger (number, external_id, passthrough columns,
wave, outcome, last call) as CSV or JSONL, without asking Ringg or Temporal anything."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer
from rich.markup import escape

from activities.reports import open_private
from cli.common import err_console, fail
from cli.contacts_export import FORMATS, write_contacts
from cli.exit_codes import BAD_INPUT, NOT_FOUND
from cli.ledger_access import open_ledger
from ledger.engine import shown_url


class _Output:
    """The file (or stdout) written to: a write error ends the command saying so, not as a ledger failure."""

    def __init__(self, stream: TextIO, label: str) -> None:
        self.stream, self.label = stream, label

    def write(self, text: str, /) -> Any:
        try:
            return self.stream.write(text)
        except OSError as err:
            raise fail(escape(f"cannot write {self.label}: {err.strerror or type(err).__name__}")) from None


def contacts_command(
    campaign: Annotated[str, typer.Argument(help="The campaign's workflow ID, idempotency key or Ringg list id.")],
    fmt: Annotated[str, typer.Option("--format", help="The output format: csv or jsonl.")] = "csv",
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="The file to write (mode 0640); default: standard output.")
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Write at most this many contacts.")] = None,
) -> None:
    """Export a campaign's contacts from the contact ledger: number, external_id, one column per passthrough
    column, wave, row, outcome, attempts, last_status, last_sub_status, last_call_at."""
    chosen = fmt.strip().lower()
    if chosen not in FORMATS:
        raise fail(f"--format takes {' or '.join(FORMATS)} (got {fmt!r})", code=BAD_INPUT)

    async def run() -> None:
        async with open_ledger() as ledger:
            found = await ledger.campaign(campaign)
            if found is None:
                raise fail(
                    escape(
                        f"no campaign {campaign!r} in the contact ledger at {shown_url(ledger.engine.url)} (looked up "
                        "as idempotency key, workflow ID and Ringg list id). A campaign is recorded once pre-flight "
                        "has screened its contacts; check CAMPAIGN_LEDGER_URL points at the workers' ledger."
                    ),
                    code=NOT_FOUND,
                )
            label = str(out) if out else "stdout"
            try:
                stream = open_private(out) if out else contextlib.nullcontext(sys.stdout)
            except OSError as err:
                raise fail(escape(f"cannot write {label}: {err.strerror or type(err).__name__}")) from None
            with stream as raw:
                written = await write_contacts(ledger, found.key, chosen, _Output(raw, label), limit)
        where = f" to {escape(str(out))}" if out else ""
        err_console.print(f"Wrote {written:,} contact(s) of campaign {escape(found.name)} ({found.key}){where}.")

    asyncio.run(run())
