"""`starter.py suppress add|remove|list|count`: the suppression list in the contact ledger, the numbers pre-flight
removes from every campaign before upload."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from cli.common import console, contact_sources, fail
from cli.exit_codes import BAD_INPUT
from cli.json_out import print_json
from cli.ledger_access import open_ledger
from cli.number_file import NumberFileError, read_number_file
from domain.number_list import normalise_numbers
from ledger.records import SuppressionEntry

suppress_app = typer.Typer(
    help="The suppression list: numbers no campaign uploads again (kept in the contact ledger, CAMPAIGN_LEDGER_URL).",
    no_args_is_help=True,
)
MAX_SHOWN_PROBLEMS = 100
CountryOpt = Annotated[
    str,
    typer.Option(
        "--country-code", help="The country of numbers written without a country code: +91, 91 or IN (default +91)."
    ),
]
NumbersArg = Annotated[
    list[str] | None, typer.Argument(help="Phone numbers, in E.164 or national form.", show_default=False)
]


def _normalised(values: list[str], labels: list[str], country_code: str, refused: str) -> list[str]:
    """E.164 numbers, or exit 2 listing every invalid one by position (never its value)."""
    try:
        numbers, problems = normalise_numbers(values, country_code)
    except ValueError as err:
        raise fail(escape(str(err)), code=BAD_INPUT) from None
    if problems:
        shown = [f"  - {labels[i]}: {problem}" for i, problem in problems[:MAX_SHOWN_PROBLEMS]]
        if len(problems) > MAX_SHOWN_PROBLEMS:
            shown.append(f"  - … and {len(problems) - MAX_SHOWN_PROBLEMS:,} more")
        raise fail(
            escape(
                f"{refused}: {len(problems):,} invalid number(s) (country code {country_code}):\n" + "\n".join(shown)
            ),
            code=BAD_INPUT,
        )
    return numbers


@suppress_app.command("add")
def add_command(
    numbers: NumbersArg = None,
    reason: Annotated[
        str, typer.Option("--reason", help="Why the numbers are suppressed, e.g. 'asked not to be called'.")
    ] = "listed by an operator",
    file: Annotated[
        Path | None,
        typer.Option(
            "--file", help="A file of numbers, one a line, or a CSV (see --column); it must be under CAMPAIGN_CSV_DIRS."
        ),
    ] = None,
    column: Annotated[
        str | None, typer.Option("--column", help="The CSV column that holds the numbers (default: the first column).")
    ] = None,
    country_code: CountryOpt = "+91",
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print one JSON document: added, already_listed and repeated (numbers given more than once).",
        ),
    ] = False,
) -> None:
    """Add numbers to the suppression list (all or nothing: one invalid number and none is added)."""
    given = numbers or []
    if not given and file is None:
        raise fail("give the numbers to add, or --file with one number a line", code=BAD_INPUT)
    if not reason.strip():
        raise fail("--reason must not be empty", code=BAD_INPUT)

    async def run() -> None:
        values, labels, sources = list(given), [f"number {i}" for i in range(1, len(given) + 1)], ["cli"] * len(given)
        if file is not None:
            try:
                cells = await read_number_file(file, contact_sources(), column)
            except NumberFileError as err:
                raise fail(escape(str(err)), code=BAD_INPUT) from None
            values += cells.values
            labels += [f"line {n}" for n in cells.lines]
            sources += [f"file {file.name}"] * len(cells.values)
        if not values:
            raise fail(f"{file.name if file else 'the input'} holds no number", code=BAD_INPUT)
        normalised = _normalised(values, labels, country_code, "no number was added")
        entries = [SuppressionEntry(n, reason.strip(), s) for n, s in zip(normalised, sources, strict=True)]
        async with open_ledger() as ledger:
            added = await ledger.add_suppressions(entries)
        unique = len(set(normalised))
        if as_json:
            print_json({"added": added, "already_listed": unique - added, "repeated": len(normalised) - unique})
            return
        repeated = f" ({len(normalised) - unique:,} repeated in the input)" if unique != len(normalised) else ""
        console.print(
            f"Added {added:,} number(s) to the suppression list; {unique - added:,} already listed{repeated}."
        )

    asyncio.run(run())


@suppress_app.command("remove")
def remove_command(
    numbers: Annotated[list[str], typer.Argument(help="Phone numbers, in E.164 or national form.", show_default=False)],
    country_code: CountryOpt = "+91",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON document: removed and not_listed (counts of numbers).")
    ] = False,
) -> None:
    """Take numbers off the suppression list: later campaigns may call them again."""
    labels = [f"number {i}" for i in range(1, len(numbers) + 1)]
    normalised = list(dict.fromkeys(_normalised(numbers, labels, country_code, "no number was removed")))

    async def run() -> None:
        async with open_ledger() as ledger:
            removed = await ledger.remove_suppressions(normalised)
        if as_json:
            print_json({"removed": removed, "not_listed": len(normalised) - removed})
            return
        console.print(
            f"Removed {removed:,} number(s) from the suppression list; {len(normalised) - removed:,} not listed."
        )

    asyncio.run(run())


@suppress_app.command("list")
def list_command(
    after: Annotated[str, typer.Option("--after", help="Start after this number (the previous page's last).")] = "",
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help="How many numbers a page holds.")] = 100,
    as_json: Annotated[
        bool, typer.Option("--json", help='Print the page as JSON: {"items": [...], "next_after": ...}.')
    ] = False,
) -> None:
    """One page of the suppression list, in number order."""

    async def run() -> None:
        async with open_ledger() as ledger:
            page = await ledger.suppressions_page(after=after.strip(), limit=limit + 1)
        items, more = page[:limit], len(page) > limit
        next_after = items[-1].number if more else None
        if as_json:
            print_json({"items": [i.as_json() for i in items], "next_after": next_after})
            return
        table = Table("number", "reason", "source", "added (UTC)", title="Suppression list")
        for item in items:
            added = item.created_at.strftime("%Y-%m-%d %H:%M")
            table.add_row(item.number, escape(item.reason), escape(item.source), added)
        console.print(table)
        if next_after:
            console.print(f"More: starter.py suppress list --after '{next_after}' --limit {limit}")
        elif not items:
            console.print("No number listed" + (f" after {after}." if after else "."))

    asyncio.run(run())


@suppress_app.command("count")
def count_command(
    as_json: Annotated[bool, typer.Option("--json", help='Print the count as JSON: {"count": N}.')] = False,
) -> None:
    """How many numbers the suppression list holds."""

    async def run() -> None:
        async with open_ledger() as ledger:
            count = await ledger.suppression_count()
        if as_json:
            print_json({"count": count})
        else:
            console.print(f"{count:,} number(s) on the suppression list.")

    asyncio.run(run())
