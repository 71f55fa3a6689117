"""Bearer-token authentication: one shared token (API_TOKEN), compared in constant time."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from fastapi import Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import SecretStr

from api.errors import ApiError

_bearer = HTTPBearer(auto_error=False, description="API_TOKEN, sent as `Authorization: Bearer <token>`")
_REALM = 'Bearer realm="ringg-campaigns"'


def bearer_auth(token: SecretStr) -> Callable[[HTTPAuthorizationCredentials | None], Awaitable[None]]:
    """A dependency that lets a request through only with `Authorization: Bearer <token>`."""
    expected = token.get_secret_value().encode()

    async def check(credentials: HTTPAuthorizationCredentials | None = Security(_bearer)) -> None:
        if credentials is None:
            raise ApiError(
                401,
                "authentication required: send the API token as `Authorization: Bearer <token>`",
                headers={"WWW-Authenticate": _REALM},
            )
        if not hmac.compare_digest(credentials.credentials.encode(), expected):
            raise ApiError(
                401,
                "the bearer token is not valid",
                headers={"WWW-Authenticate": f'{_REALM}, error="invalid_token"'},
            )

    return check
