"""Where export files go: a results location named by a URI. Files are written to a staging path and
published under their final name once complete, so a reader never sees a half-written export."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

from activities.reports import FILE_MODE, FOLDER_MODE
from domain.file_uris import local_path_of


class LocationUnusable(Exception):
    """The results location cannot be used (unsupported scheme, not a directory, not writable)."""


class ResultsLocation(Protocol):
    uri: str

    def prepare(self) -> None:
        """Checks the location can take files (creating it if needed); raises LocationUnusable."""

    def staging_path(self, name: str, token: str) -> Path:
        """A local, stable path to write `name` to before publishing; the same token gives the same path, so a
        retried attempt finds what its predecessor wrote."""

    def publish(self, staged: Path, name: str) -> str:
        """Moves a complete staged file to its final name; returns where it is now."""


class LocalDirectory:
    """A directory on the worker's disk. Staging files sit next to the final ones (hidden, `.part`), so
    publishing is an atomic rename."""

    def __init__(self, uri: str, path: Path) -> None:
        self.uri = uri
        self.path = path.resolve()

    def prepare(self) -> None:
        try:
            self.path.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)  # an existing folder is left as it is
        except OSError as err:
            raise LocationUnusable(f"cannot create the directory {str(self.path)!r}: {err.strerror}") from None
        if not os.access(self.path, os.W_OK):
            raise LocationUnusable(f"the directory {str(self.path)!r} is not writable by the worker")

    def staging_path(self, name: str, token: str) -> Path:
        return self.path / f".{name}.{token}.part"

    def publish(self, staged: Path, name: str) -> str:
        final = self.path / name
        os.chmod(staged, FILE_MODE)  # phone numbers: the worker's user and group only, like the reports
        os.replace(staged, final)
        return str(final)


def _local(uri: str) -> ResultsLocation:
    path = local_path_of(uri)
    if path is None:
        raise LocationUnusable(f"{uri!r} is not a local directory")
    return LocalDirectory(uri, path)


# Local directories (a path or `file://`) are supported; another scheme (s3://, gs://…) is one class with
# `prepare`/`staging_path`/`publish` registered here.
SCHEMES: dict[str, Callable[[str], ResultsLocation]] = {"": _local, "file": _local}


def results_location(uri: str) -> ResultsLocation:
    """The location for `uri`; raises LocationUnusable for a scheme no class handles."""
    scheme = urlparse(uri).scheme.lower()
    factory = SCHEMES.get("" if len(scheme) == 1 else scheme)  # one letter: a Windows drive, not a scheme
    if factory is None:
        supported = "a local path or file://" + "".join(f", {s}://" for s in sorted(SCHEMES) if s not in ("", "file"))
        raise LocationUnusable(f"results location {uri!r} is not supported: use {supported}")
    return factory(uri)
