"""Ringg-shaped error answers: a FastAPI-style 422 for validation, and the bodies other errors carry."""

from __future__ import annotations

from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


def error_response(status: int, message: str, shape: str = "detail") -> JSONResponse:
    """Error bodies deliberately vary by endpoint, like the real docs/3rd-party code suggest."""
    body: dict[str, Any]
    if shape == "error":
        body = {"error": {"message": message}}
    elif shape == "message":
        body = {"status": "error", "message": message}
    elif shape == "error_str":
        body = {"error": message}
    else:
        body = {"detail": message}
    return JSONResponse(body, status_code=status)


def invalid(field: str, msg: str, value: Any = None, where: str = "body") -> RequestValidationError:
    """A FastAPI-style 422 (detail is a list of errors)."""
    return RequestValidationError([{"type": "value_error", "loc": [where, field], "msg": msg, "input": value}])
