"""Bearer-token authentication: one shared token (API_TOKEN), compared in constant time, checked for every path under
/v1 before routing or reading the body (so a malformed body or an unknown path answers 401 to a stranger too)."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from fastapi import Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import SecretStr
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import ApiError, error_response

_bearer = HTTPBearer(auto_error=False, description="API_TOKEN, sent as `Authorization: Bearer <token>`")
_REALM = 'Bearer realm="ringg-campaigns"'


def token_problem(authorization: str | None, expected: bytes) -> ApiError | None:
    """Why this Authorization header does not carry the token, or None when it does."""
    scheme, _, credentials = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return ApiError(
            401,
            "authentication required: send the API token as `Authorization: Bearer <token>`",
            headers={"WWW-Authenticate": _REALM},
        )
    if not hmac.compare_digest(credentials.strip().encode(), expected):
        return ApiError(
            401, "the bearer token is not valid", headers={"WWW-Authenticate": f'{_REALM}, error="invalid_token"'}
        )
    return None


class BearerMiddleware:
    def __init__(self, app: ASGIApp, token: SecretStr) -> None:
        self.app, self.expected = app, token.get_secret_value().encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path == "/v1" or path.startswith("/v1/"):
            problem = token_problem(Headers(scope=scope).get("authorization"), self.expected)
            if problem is not None:
                response = error_response(problem.status, problem.error, headers=problem.headers)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def bearer_auth(token: SecretStr) -> Callable[[HTTPAuthorizationCredentials | None], Awaitable[None]]:
    """The same check as a route dependency: it declares the bearer scheme in OpenAPI (and checks again)."""
    expected = token.get_secret_value().encode()

    async def check(credentials: HTTPAuthorizationCredentials | None = Security(_bearer)) -> None:
        header = f"{credentials.scheme} {credentials.credentials}" if credentials else None
        problem = token_problem(header, expected)
        if problem is not None:
            raise problem

    return check
