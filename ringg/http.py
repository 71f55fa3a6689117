"""Builds the one shared `httpx.AsyncClient` for Ringg: base URL, timeouts, user agent and the API key."""

from __future__ import annotations

from collections.abc import Generator

import httpx
from pydantic import SecretStr

DEFAULT_BASE_URL = "https://prod-api.ringg.ai/ca/api/v0"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
USER_AGENT = "ringg-campaigns/0.1"
API_KEY_HEADER = "X-API-KEY"


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return (url.scheme, url.host, url.port)


class ApiKeyAuth(httpx.Auth):
    """Adds X-API-KEY per request, and only for Ringg's own origin.

    An auth hook instead of a default header keeps the key out of `client.headers` (whose repr httpx does not
    mask for custom headers) and means absolute URLs on other hosts (e.g. storage links) never receive it.
    """

    def __init__(self, api_key: SecretStr, base_url: httpx.URL) -> None:
        self._api_key = api_key
        self._origin = _origin(base_url)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if _origin(request.url) == self._origin:
            request.headers[API_KEY_HEADER] = self._api_key.get_secret_value()
        yield request

    def __repr__(self) -> str:
        return f"ApiKeyAuth(origin={self._origin!r})"


def make_http_client(
    base_url: str,
    api_key: SecretStr,
    *,
    timeout: httpx.Timeout | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """The caller owns the client: open it with `async with` and share it across activities."""
    if not api_key.get_secret_value():
        raise ValueError("Ringg API key is empty")
    # A trailing slash makes relative paths such as "campaign/save" append to ".../api/v0/".
    base = httpx.URL(base_url.rstrip("/") + "/")
    return httpx.AsyncClient(
        base_url=base,
        auth=ApiKeyAuth(api_key, base),
        headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        timeout=timeout if timeout is not None else DEFAULT_TIMEOUT,
        transport=transport,
        # Redirects would copy X-API-KEY to wherever they point; Ringg's API is not documented to redirect.
        follow_redirects=False,
    )
