"""Uploaded files under CAMPAIGN_UPLOAD_DIR, content-addressed: the same bytes always land on the same path."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO


@dataclass(frozen=True)
class StoredFile:
    """An uploaded file: `path` is where it lives once its request is accepted; until then it is `staging`."""

    path: Path
    sha256: str
    size: int
    staging: Path | None = None


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

    def final_path(self, kind: str, sha256: str, suffix: str) -> Path:
        return self.root / kind / f"{sha256}{suffix}"

    @contextlib.contextmanager
    def discarded_if_refused(self, file: StoredFile | None) -> Iterator[None]:
        """Deletes the staged file when the block raises (its request was refused), so a refused upload leaves
        nothing on disk; on success the file stays staged until `publish`."""
        try:
            yield
        except BaseException:
            if file is not None and file.staging is not None:
                file.staging.unlink(missing_ok=True)
            raise

    def publish(self, file: StoredFile | None) -> None:
        """Moves an accepted upload to its content-addressed path."""
        if file is None or file.staging is None:
            return
        if file.path.exists():  # the same bytes again: keep the file workers may be reading
            file.staging.unlink()
        else:
            os.replace(file.staging, file.path)
