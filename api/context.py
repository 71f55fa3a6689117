"""What every route needs: the Temporal client, the settings and the upload store (built once, at startup)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from temporalio.client import Client

from api.errors import ErrorBody
from api.settings import ApiSettings
from api.store import UploadStore
from client.start_checks import StartChecks
from domain.csv_sources import CsvSources


@dataclass(frozen=True)
class ApiContext:
    client: Client
    settings: ApiSettings
    store: UploadStore
    sources: CsvSources  # where csv_uri and numbers_uri may point (settings.csv_sources, or the environment's)
    checks: StartChecks  # a start's checks beyond the request: file and events_url places, caller numbers


def errors(*codes: int, ok: Mapping[int | str, dict[str, Any]] | None = None) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these error codes (plus 401, 422 and 503, which any authenticated route may answer),
    and `ok`: other success answers."""
    meanings = {
        400: "malformed body (not JSON, broken multipart)",
        401: "missing or wrong bearer token",
        404: "no such campaign or schedule",
        409: "not possible in the current state",
        413: "body or file too large",
        415: "unsupported Content-Type",
        422: "the request is not valid: every problem is listed",
        503: "Temporal is unavailable",
    }
    responses: dict[int | str, dict[str, Any]] = {}
    responses.update(ok or {})
    for code in sorted({*codes, 401, 422, 503}):
        responses[code] = {"model": ErrorBody, "description": meanings[code]}
    return responses
