"""/docs and /redoc work offline: the pages load only assets the API serves itself (from the pinned fastapi-offline
package), each answering 200 with JS, CSS or an image, without a token like the OpenAPI document."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest_asyncio
from pydantic import SecretStr

from api.app import create_app
from api.settings import ApiSettings
from client.connect import connect

TOKEN = "docs-test-token-7c1d9e42"
# Every URL a page names: attributes, the Swagger UI/ReDoc configuration and any absolute URL in a script.
URL_PATTERNS = (
    r'(?:src|href)="([^"]+)"',
    r"url:\s*'([^']+)'",
    r'spec-url="([^"]+)"',
    r"(?:https?:)?//[\w.-]+\.\w+[^\s\"')]*",
)
CONTENT_TYPES = {".js": "javascript", ".css": "text/css", ".png": "image/png"}


@pytest_asyncio.fixture
async def api(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    temporal = await connect("127.0.0.1:1", lazy=True)  # refused at once: the docs need no Temporal
    settings = ApiSettings(token=SecretStr(TOKEN), upload_dir=tmp_path / "uploads")
    transport = httpx.ASGITransport(app=create_app(settings, temporal))
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        yield client


def page_urls(html: str) -> set[str]:
    return {url for pattern in URL_PATTERNS for url in re.findall(pattern, html)}


async def test_docs_and_redoc_load_only_local_assets(api: httpx.AsyncClient) -> None:
    for page, expected in (
        ("/docs", {"/docs-assets/swagger-ui-bundle.js", "/docs-assets/swagger-ui.css"}),
        ("/redoc", {"/docs-assets/redoc.standalone.js"}),
    ):
        response = await api.get(page)  # no token: the docs are public, as the OpenAPI document is
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
        # Images from the API alone: ReDoc's sidebar credit would otherwise fetch its logo from a CDN.
        assert response.headers["content-security-policy"] == "img-src 'self' data:"
        urls = page_urls(response.text)
        assert expected <= urls, (page, urls)
        remote = {url for url in urls if not url.startswith("/") or url.startswith("//")}
        assert not remote, f"{page} names assets off this API: {remote}"
        assert "cdn" not in response.text.lower() and "fonts.googleapis" not in response.text
        for url in urls:
            asset = await api.get(url)
            assert asset.status_code == 200, (page, url)
            suffix = Path(url).suffix
            if suffix in CONTENT_TYPES:
                assert CONTENT_TYPES[suffix] in asset.headers["content-type"], (url, asset.headers["content-type"])
                assert len(asset.content) > 1000, url
    # The bundles are the real libraries, not placeholders.
    assert b"SwaggerUIBundle" in (await api.get("/docs-assets/swagger-ui-bundle.js")).content
    assert b"Redoc" in (await api.get("/docs-assets/redoc.standalone.js")).content
    assert (await api.get("/openapi.json")).json()["info"]["title"] == "Ringg campaigns API"
    # The routes the docs describe still need the token.
    assert (await api.get("/v1/campaigns")).status_code == 401
    assert (await api.get("/docs-assets/no-such-file.js")).status_code == 404
