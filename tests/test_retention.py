"""Uploads and reports age out: the retention setting, the pruner (old files only, no symlink followed, empty
folders removed) and `starter.py files` showing and pruning them as an operator runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devtools import devstack
from runtime.retention import DAY_S, RetentionError, inventory, prune, retention_days
from runtime.settings import SettingsError, WorkerSettings


def aged(path: Path, days: float, content: bytes = b"+919876543210\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    then = time.time() - days * DAY_S
    os.utime(path, (then, then))
    return path


def test_the_setting() -> None:
    assert retention_days({}) == 30 and retention_days({"CAMPAIGN_FILE_RETENTION_DAYS": "0"}) == 0
    with pytest.raises(RetentionError, match="must be a whole number of days"):
        retention_days({"CAMPAIGN_FILE_RETENTION_DAYS": "2w"})
    with pytest.raises(SettingsError, match="CAMPAIGN_FILE_RETENTION_DAYS"):
        WorkerSettings.from_env({"RINGG_API_KEY": "k", "CAMPAIGN_FILE_RETENTION_DAYS": "-1"})


def test_prune_deletes_only_what_aged_out_and_follows_no_link(tmp_path: Path) -> None:
    root = tmp_path / "reports"
    old = aged(root / "ik-old" / "contacts-report.csv", 40)
    fresh = aged(root / "ik-new" / "contacts-report.csv", 2)
    outside = aged(tmp_path / "elsewhere" / "keep.csv", 400)
    (root / "ik-link").symlink_to(outside.parent, target_is_directory=True)
    (root / "link.csv").symlink_to(outside)

    seen = inventory(root, 30)
    assert (seen.files, seen.expired_files) == (2, 1) and old.exists()
    assert seen.oldest_age_days is not None and 39.9 < seen.oldest_age_days < 40.1

    done = prune(root, 30)
    assert done.expired_files == 1 and done.expired_bytes == 14
    assert not old.exists() and not old.parent.exists(), "the aged file and its emptied folder are gone"
    assert fresh.exists() and outside.exists() and (root / "link.csv").is_symlink()
    assert prune(root, 0).expired_files == 0 and fresh.exists(), "0 keeps files for ever"


def test_starter_files_shows_then_prunes(tmp_path: Path) -> None:
    # Deep folders: at 60 columns a path in a table cell would be folded; it is printed whole on its own line.
    deep = tmp_path / "campaign-files-of-the-renewals-team" / "kept-for-the-audit-of-october"
    uploads, reports = deep / "uploads", deep / "reports"
    aged(uploads / "contacts" / "a.csv", 45)
    aged(uploads / "contacts" / "b.csv", 1)
    aged(reports / "ik-1" / "contacts-report.csv", 31)
    env = {
        "PATH": "/usr/bin:/bin",
        "COLUMNS": "250",
        "CAMPAIGN_UPLOAD_DIR": str(uploads),
        "CAMPAIGN_REPORT_DIR": str(reports),
    }

    def starter(*args: str, columns: int = 250) -> str:
        done = subprocess.run(
            [sys.executable, "starter.py", "files", *args],
            cwd=devstack.ROOT,
            env={**env, "COLUMNS": str(columns)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    shown = starter(columns=60)
    assert "retention: 30 days" in shown and "2 files are past the retention" in shown
    assert f"uploads: {uploads}" in shown.splitlines() and f"reports: {reports}" in shown.splitlines(), shown
    listed = json.loads(starter("--json"))
    assert listed["retention_days"] == 30 and listed["pruned"] is False
    assert listed["folders"]["uploads"] == {
        "path": str(uploads),
        "files": 2,
        "bytes": 28,
        "oldest_age_days": pytest.approx(45, abs=0.1),
        "expired_files": 1,
        "expired_bytes": 14,
    }
    assert (uploads / "contacts" / "a.csv").exists()
    assert "deleted" in starter("--prune")
    assert sorted(p.name for p in tmp_path.rglob("*.csv")) == ["b.csv"]
    assert "past the retention" not in starter("--older-than-days", "60")
