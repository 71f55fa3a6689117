"""What a file reference in a request names (csv_uri, numbers_uri, out_uri): a local path, or a URL."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse


def local_path_of(uri: str) -> Path | None:
    """The local path a plain path or file:// URI names; None for any other scheme (http(s)://, s3://…)."""
    parsed = urlparse(uri)
    if parsed.scheme in ("", "file"):
        return Path(unquote(parsed.path) if parsed.scheme == "file" else uri).expanduser()
    if len(parsed.scheme) == 1:  # a Windows drive letter, not a scheme
        return Path(uri)
    return None
