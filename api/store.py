"""Uploaded files under CAMPAIGN_UPLOAD_DIR, content-addressed: the same bytes always land on the same path."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO


@dataclass(frozen=True)
class StoredFile:
    path: Path
    sha256: str
    size: int


class UploadStore:
    """Files under `<root>/<kind>/<sha256><suffix>`, written as `.incoming-*.part` and renamed when complete.
    Mode 0640: the workers read them (same user or group, shared storage mounted at the same path)."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root, self.max_bytes = root, max_bytes

    def prepare(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o750)

    def staging(self, kind: str) -> tuple[Path, BinaryIO]:
        folder = self.root / kind
        folder.mkdir(parents=True, exist_ok=True, mode=0o750)
        path = folder / f".incoming-{uuid.uuid4().hex}.part"
        return path, os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640), "wb")

    def publish(self, staging: Path, kind: str, sha256: str, suffix: str) -> Path:
        final = self.root / kind / f"{sha256}{suffix}"
        if final.exists():  # the same bytes again: keep the file workers may be reading
            staging.unlink()
        else:
            os.replace(staging, final)
        return final
