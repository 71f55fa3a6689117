"""`starter.py files`: what the uploads and reports folders hold on this machine, and pruning what has aged out."""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.table import Table

from cli.common import console, fail
from cli.copyable import print_below
from cli.json_out import print_json
from domain.csv_sources import upload_dir_from_env
from runtime.retention import RETENTION_SETTING, Inventory, RetentionError, inventory, prune, retention_days
from runtime.settings import report_dir_from_env


def files_command(
    prune_: Annotated[bool, typer.Option("--prune", help="Delete the files older than the retention.")] = False,
    days: Annotated[
        int | None,
        typer.Option(
            "--older-than-days", min=1, help=f"Retention in days for this run (default: {RETENTION_SETTING}, 30)."
        ),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print one JSON document: retention_days, pruned, and per folder (uploads, reports) its path, files, "
            "bytes, oldest_age_days, expired_files and expired_bytes (deleted ones, with --prune).",
        ),
    ] = False,
) -> None:
    """Show the uploads (CAMPAIGN_UPLOAD_DIR) and reports (CAMPAIGN_REPORT_DIR) on this machine, and with --prune
    delete the files last written more than the retention ago. The API and the workers also prune on their own,
    every 6 hours."""
    try:
        keep = days if days is not None else retention_days(os.environ)
    except RetentionError as err:
        raise fail(str(err)) from None
    folders = {
        "uploads": upload_dir_from_env(os.environ),
        "reports": report_dir_from_env(os.environ),
    }
    action = prune if prune_ else inventory
    found: dict[str, Inventory] = {name: action(path.resolve(), keep) for name, path in folders.items()}
    if as_json:
        folders_json = {name: {"path": str(inv.root), **_counts(inv)} for name, inv in found.items()}
        print_json({"retention_days": keep, "pruned": prune_, "folders": folders_json})
        return
    table = Table(title=f"Campaign files (retention: {f'{keep} days' if keep else 'kept for ever'})")
    for column in ("folder", "files", "size", "oldest", "deleted" if prune_ else "past retention"):
        table.add_column(column, overflow="fold")
    for name, inv in found.items():
        oldest = "—" if inv.oldest_age_days is None else f"{inv.oldest_age_days:.1f} days"
        aged = f"{inv.expired_files} ({_human(inv.expired_bytes)})"
        table.add_row(name, str(inv.files), _human(inv.bytes), oldest, aged)
    console.print(table)
    print_below(console, [f"{name}: {inv.root}" for name, inv in found.items()])  # paths whole, never folded
    waiting = sum(i.expired_files for i in found.values())
    if not prune_ and waiting:
        console.print(f"{waiting} files are past the retention: `starter.py files --prune` deletes them.")


def _human(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"


def _counts(inv: Inventory) -> dict[str, int | float | None]:
    return {
        "files": inv.files,
        "bytes": inv.bytes,
        "oldest_age_days": inv.oldest_age_days,
        "expired_files": inv.expired_files,
        "expired_bytes": inv.expired_bytes,
    }
