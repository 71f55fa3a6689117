"""/docs and /redoc in headless Chromium that resolves no host name: both render the API's operations from assets
the API serves, and nothing is asked of another host but what the page's policy stops. Skipped without Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest

from devtools.api_docs_screenshot import parse_args, take_screenshots
from devtools.browser import find_chromium

pytestmark = [
    pytest.mark.integration,
    pytest.mark.xdist_group("chromium"),  # one browser at a time on this 2-core machine
    pytest.mark.skipif(
        find_chromium() is None,
        reason="no Chromium (/usr/bin/chromium): `make setup-browser` or `apt-get install chromium` runs this test",
    ),
]


def test_docs_render_offline(tmp_path: Path) -> None:
    shots = take_screenshots(parse_args(["--out-dir", str(tmp_path)]))
    by_page = {shot.page: shot for shot in shots}
    assert set(by_page) == {"docs", "redoc"}
    docs, redoc = by_page["docs"], by_page["redoc"]
    assert docs.png == tmp_path / "api-docs.png" and docs.png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert docs.rendered >= 10 and redoc.rendered >= 5, (docs.rendered, redoc.rendered)  # operations, menu items
    for shot in shots:
        assert shot.ok, shot
        assert any(url.endswith("/openapi.json") for url in shot.resources), shot.resources
        assert any("/docs-assets/" in url for url in shot.resources), shot.resources
        assert not docs.foreign, docs.foreign  # Swagger UI asks nothing of another host
        assert set(shot.foreign) <= set(shot.blocked), shot  # ReDoc's credit logo, stopped by the page's policy
