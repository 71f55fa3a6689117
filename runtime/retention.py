"""Uploads and reports hold phone numbers: they age out after CAMPAIGN_FILE_RETENTION_DAYS. One inventory and one
pruner for the worker (reports), the API (uploads) and `starter.py files`."""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import structlog

DEFAULT_RETENTION_DAYS = 30
RETENTION_SETTING = "CAMPAIGN_FILE_RETENTION_DAYS"
PRUNE_EVERY_S = 6 * 3600.0
DAY_S = 86_400.0

log = structlog.get_logger()


class RetentionError(ValueError):
    """CAMPAIGN_FILE_RETENTION_DAYS is not a whole number of days."""


def retention_days(env: Mapping[str, str]) -> int:
    """Days a file is kept after it was last written; 0 keeps files for ever."""
    raw = env.get(RETENTION_SETTING, "").strip()
    if not raw:
        return DEFAULT_RETENTION_DAYS
    if not raw.isdigit():
        raise RetentionError(
            f"{RETENTION_SETTING}={raw!r} must be a whole number of days (default {DEFAULT_RETENTION_DAYS}; "
            "0 keeps files for ever)."
        )
    return int(raw)


@dataclass
class Inventory:
    """What a folder holds, and what of it is older than the retention (or was deleted, after `prune`)."""

    root: Path
    files: int = 0
    bytes: int = 0
    oldest_age_days: float | None = None
    expired_files: int = 0
    expired_bytes: int = 0


def _files(root: Path) -> Iterator[tuple[Path, os.stat_result]]:
    """Regular files under `root`, symlinks neither followed nor listed (a link must not make the pruner delete
    or count a file elsewhere)."""
    for folder, _dirs, names in os.walk(root, followlinks=False):
        for name in names:
            path = Path(folder) / name
            with contextlib.suppress(OSError):
                info = path.lstat()
                if stat.S_ISREG(info.st_mode):
                    yield path, info


def _scan(root: Path, days: int, now: float, delete: bool) -> Inventory:
    inventory = Inventory(root)
    if not root.is_dir():
        return inventory
    for path, info in _files(root):
        age_days = max(0.0, (now - info.st_mtime) / DAY_S)
        inventory.files += 1
        inventory.bytes += info.st_size
        inventory.oldest_age_days = max(inventory.oldest_age_days or 0.0, age_days)
        if days and age_days > days:
            if delete:
                try:
                    path.unlink()
                except OSError:
                    continue
            inventory.expired_files += 1
            inventory.expired_bytes += info.st_size
    if delete:
        _remove_empty_folders(root)
    return inventory


def _remove_empty_folders(root: Path) -> None:
    for folder, _dirs, _names in sorted(os.walk(root, followlinks=False), key=lambda w: -len(w[0])):
        if Path(folder) != root:
            with contextlib.suppress(OSError):
                os.rmdir(folder)  # only succeeds when empty


def inventory(root: Path, days: int, now: float | None = None) -> Inventory:
    return _scan(root, days, time.time() if now is None else now, delete=False)


def prune(root: Path, days: int, now: float | None = None) -> Inventory:
    """Deletes the files under `root` last written more than `days` days ago (none when `days` is 0), then the
    folders left empty; returns what it found and deleted."""
    return _scan(root, days, time.time() if now is None else now, delete=True)


async def prune_forever(root: Path, days: int, what: str, every_s: float = PRUNE_EVERY_S) -> None:
    """The long-running processes' pruner: at start, then every `every_s` seconds; never raises."""
    if not days:
        return
    while True:
        try:
            done = await asyncio.to_thread(prune, root, days)
            if done.expired_files:
                log.info("files_pruned", what=what, files=done.expired_files, bytes=done.expired_bytes, days=days)
        except Exception:  # a full or read-only disk must not stop the worker or the API
            log.warning("files_prune_failed", what=what, exc_info=True)
        await asyncio.sleep(every_s)
