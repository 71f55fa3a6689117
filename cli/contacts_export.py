"""A campaign's contacts from the ledger as CSV or JSONL rows, read page by page (keyset): a million contacts never
sit in memory. CSV cells are formula-safe."""

from __future__ import annotations

import csv
import json
from collections.abc import AsyncIterator
from typing import Any, Protocol

from domain.cell_safety import safe_row
from ledger.records import ContactView
from ledger.store import Ledger

PAGE = 2_000
HEAD = ("number", "external_id")
TAIL = ("wave", "row", "outcome", "attempts", "last_status", "last_sub_status", "last_call_at")
FORMATS = ("csv", "jsonl")


class Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


async def contacts_of(
    ledger: Ledger, key: str, *, limit: int | None, until_id: int | None = None
) -> AsyncIterator[ContactView]:
    """The campaign's contacts in recording order, at most `limit`, none recorded after contact id `until_id`."""
    after, left = 0, limit
    while left is None or left > 0:
        wanted = PAGE if left is None else min(PAGE, left)
        page = await ledger.contacts_page(key, after=after, limit=wanted)
        for contact in page:
            if until_id is not None and contact.id > until_id:
                return
            yield contact
        if len(page) < wanted:
            return
        after = page[-1].id
        if left is not None:
            left -= len(page)


async def passthrough_columns(ledger: Ledger, key: str, limit: int | None) -> tuple[list[str], int]:
    """The passthrough columns (the union, in first-seen order) and the last contact id: the CSV's header needs
    them before its first row, so the contacts are read once for their column names only."""
    names: dict[str, None] = {}
    last = 0
    async for contact in contacts_of(ledger, key, limit=limit):
        names.update(dict.fromkeys(contact.fields))
        last = contact.id
    return list(names), last


def csv_header(fields: list[str]) -> list[str]:
    # A passthrough column named like one of the ledger's own gets a prefix: a header names each column once.
    taken = set(HEAD) | set(TAIL)
    return [*HEAD, *(f"passthrough_{f}" if f in taken else f for f in fields), *TAIL]


def csv_cells(contact: ContactView, fields: list[str]) -> list[str]:
    return [
        contact.number,
        contact.external_id or "",
        *(contact.fields.get(f, "") for f in fields),
        contact.wave or "",
        "" if contact.row is None else str(contact.row),
        contact.outcome,
        str(contact.attempts),
        contact.last_status or "",
        contact.last_sub_status or "",
        contact.last_call_at.isoformat() if contact.last_call_at else "",
    ]


def json_line(contact: ContactView) -> str:
    """The API's contact item without the ledger's row id; passthrough columns stay under `fields`."""
    item = contact.as_json()
    del item["id"]
    return json.dumps(item, ensure_ascii=False) + "\n"


async def write_contacts(ledger: Ledger, key: str, fmt: str, out: Writable, limit: int | None) -> int:
    """Writes the campaign's contacts (a CSV with its header, or JSON lines); returns how many."""
    written = 0
    if fmt == "jsonl":
        async for contact in contacts_of(ledger, key, limit=limit):
            out.write(json_line(contact))
            written += 1
        return written
    fields, last = await passthrough_columns(ledger, key, limit)
    writer = csv.writer(out)
    writer.writerow(safe_row(csv_header(fields)))
    if last == 0:
        return 0
    async for contact in contacts_of(ledger, key, limit=limit, until_id=last):
        writer.writerow(safe_row(csv_cells(contact, fields)))
        written += 1
    return written
