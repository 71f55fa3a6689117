"""Every error the API answers has one JSON shape, `{"error": ..., "problems": [...]}`, without a traceback or a
request value: bad input (400/422), unknown things (404), conflicts (409), Temporal unavailable (503)."""

from __future__ import annotations

import traceback
from collections.abc import Mapping, Sequence
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio.service import RPCError, RPCStatusCode

log = structlog.get_logger()
_UNAVAILABLE = (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.RESOURCE_EXHAUSTED)


class ErrorBody(BaseModel):
    error: str = Field(description="What went wrong and what to do, in one sentence.")
    problems: list[str] = Field(default_factory=list, description="Every problem found, when there are several.")


class ApiError(Exception):
    def __init__(
        self, status: int, error: str, problems: Sequence[str] = (), headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(error)
        self.status, self.error, self.problems, self.headers = status, error, list(problems), headers


def error_response(
    status: int, error: str, problems: Sequence[str] = (), headers: Mapping[str, str] | None = None
) -> JSONResponse:
    body = ErrorBody(error=error, problems=list(problems))
    return JSONResponse(body.model_dump(), status_code=status, headers=dict(headers) if headers else None)


def _where(loc: Sequence[Any]) -> str:
    kind, rest = (str(loc[0]), [str(p) for p in loc[1:]]) if loc else ("request", [])
    if kind == "body":
        return ".".join(rest) or "body"
    return f"{kind} parameter {'.'.join(rest)}".strip()


def validation_problems(errors: Sequence[Any], *, located: bool = True) -> list[str]:
    """pydantic errors as `where: what` lines, without echoing the values sent. `located`: FastAPI's errors,
    whose location starts with body/query/path/header; else a model's own errors (field paths)."""
    lines = []
    for e in errors:
        loc = e.get("loc", ())
        where = _where(loc) if located else ".".join(str(p) for p in loc) or "request"
        lines.append(f"{where}: {e.get('msg', 'invalid')}")
    return lines


def temporal_failure(err: BaseException) -> JSONResponse | None:
    """The answer for an error from Temporal, or None when `err` is not one."""
    if isinstance(err, RuntimeError) and str(err).startswith("Failed client connect"):
        status: RPCStatusCode | None = RPCStatusCode.UNAVAILABLE
    elif isinstance(err, RPCError):
        status = err.status
    else:
        return None
    if status in _UNAVAILABLE:
        return error_response(503, "Temporal is unavailable; try again shortly.", headers={"Retry-After": "5"})
    message = err.message if isinstance(err, RPCError) else str(err)
    if status == RPCStatusCode.INVALID_ARGUMENT:
        return error_response(422, f"Temporal refused the request: {message}")
    if status == RPCStatusCode.NOT_FOUND:
        return error_response(404, f"not found: {message}")
    if status in (RPCStatusCode.ALREADY_EXISTS, RPCStatusCode.FAILED_PRECONDITION):
        return error_response(409, f"Temporal refused the request: {message}")
    return error_response(502, f"Temporal answered {status.name if status else 'an error'}: {message}")


class CatchAll:
    """Outermost app-level middleware: Temporal outages become 503, anything unexpected a plain 500 whose log line
    names the error type and the line that raised it, never its message (it may hold a request value)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as err:
            if started:
                raise
            response = temporal_failure(err)
            if response is None or response.status_code == 502:
                frame = traceback.extract_tb(err.__traceback__)[-1] if err.__traceback__ else None
                where = f"{frame.filename}:{frame.lineno}" if frame else "?"
                log.error("request_failed", error_type=type(err).__name__, at=where, path=scope.get("path"))
            elif response.status_code == 503:
                log.warning("temporal_unavailable", error_type=type(err).__name__, path=scope.get("path"))
            if response is None:
                response = error_response(500, "internal error: the API's log has the details")
            await response(scope, receive, send)


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.error, exc.problems, exc.headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response(400, "the body is not valid JSON", [str(e.get("msg")) for e in errors])
    return error_response(422, "the request is not valid", validation_problems(errors))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        message = f"no such endpoint: {request.method} {request.url.path} (see /docs)"
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path} (see /docs)"
        # Starlette's Allow names the methods of the first route on this path only.
        return error_response(405, message, headers={"Allow": ", ".join(_allowed_methods(request))})
    else:
        message = str(exc.detail)
    return error_response(exc.status_code, message, headers=exc.headers)


def _allowed_methods(request: Request) -> list[str]:
    """The methods the OpenAPI document lists for the request's path (its `{parameter}` segments match any)."""
    segments = request.url.path.rstrip("/").split("/")
    for template, operations in request.app.openapi().get("paths", {}).items():
        parts = template.rstrip("/").split("/")
        if len(parts) == len(segments) and all(
            p == s or (p.startswith("{") and s) for p, s in zip(parts, segments, strict=True)
        ):
            return sorted(method.upper() for method in operations)
    return []


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_middleware(CatchAll)
