"""Typed async client for Ringg's campaign API: one method per endpoint, failures mapped to `ringg.errors`."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

import httpx
import structlog
from pydantic import BaseModel

from .errors import RinggError, RinggProtocolError, error_from_response, parse_retry_after, transport_error
from .http import API_KEY_HEADER
from .models.agent import EditEventSubscriptions, EditEventSubscriptionsResult
from .models.calls import HistoryPage, HistoryQuery
from .models.campaign import (
    Campaign,
    CampaignForm,
    CampaignPage,
    SaveResult,
    StartRequest,
    StartResult,
    StartV2Request,
    TerminateRequest,
    TerminateResult,
)
from .models.upload import BalanceCheck, MakeCallAsyncRequest, MakeCallAsyncResult, UploadCsvResult, UploadStatus
from .models.workspace import NumberPool, NumberPoolPage, NumbersPage, WorkspaceInfo, WorkspaceNumber
from .pacing import RequestPacer
from .responses import M, collect_pages, parse_response
from .transfer import open_for_upload, stream_to_file

log = structlog.get_logger()

# Ringg validates the whole CSV before answering `save`/`upload-csv`; a read timeout there leaves us unsure
# whether the list was created, so give uploads more room than ordinary calls.
DEFAULT_UPLOAD_TIMEOUT = httpx.Timeout(120.0, connect=10.0)
MAX_DOWNLOAD_REDIRECTS = 5

# Called after every request: (method, path template, HTTP status or None when no response came, seconds).
# The worker records metrics with it; the client itself knows nothing of Temporal.
RequestObserver = Callable[[str, str, int | None, float], None]


class RinggClient:
    """Wraps a shared `httpx.AsyncClient` (see `ringg.http.make_http_client`); it does not own or close it."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        upload_timeout: httpx.Timeout | None = DEFAULT_UPLOAD_TIMEOUT,
        on_request: RequestObserver | None = None,
        pacer: RequestPacer | None = None,
    ) -> None:
        """`pacer`: awaited before every request to Ringg's own origin and told of every answer (the deployment's
        request budget, ledger/budget.py); None sends at once."""
        self._http = http
        self._upload_timeout = upload_timeout
        self._on_request = on_request
        self._pacer = pacer

    @property
    def pacer(self) -> RequestPacer | None:
        return self._pacer

    def __repr__(self) -> str:
        return f"RinggClient(base_url={str(self._http.base_url)!r})"

    # Standard flow.

    async def save_campaign(self, form: CampaignForm, csv_path: Path) -> SaveResult:
        return await self._upload("campaign/save", form, csv_path, SaveResult)

    async def start_campaign(self, req: StartRequest) -> StartResult:
        return await self._call("POST", "campaign/start", StartResult, json=_body(req))

    async def start_campaign_v2(self, req: StartV2Request) -> StartResult:
        return await self._call("POST", "campaign/v2/start", StartResult, json=_body(req))

    # Beta large-campaign flow.

    async def upload_csv(self, form: CampaignForm, csv_path: Path) -> UploadCsvResult:
        return await self._upload("campaign/upload-csv", form, csv_path, UploadCsvResult)

    async def upload_status(self, bulk_list_id: str) -> UploadStatus:
        path = {"bulk_list_id": bulk_list_id}
        return await self._call("GET", "campaign/upload-status/{bulk_list_id}", UploadStatus, path=path)

    async def check_balance(self, bulk_list_id: str) -> BalanceCheck:
        path = {"bulk_list_id": bulk_list_id}
        return await self._call("POST", "campaign/check-balance/{bulk_list_id}", BalanceCheck, path=path)

    async def make_call_async(self, req: MakeCallAsyncRequest) -> MakeCallAsyncResult:
        return await self._call("POST", "campaign/make-call-async", MakeCallAsyncResult, json=_body(req))

    # Monitoring and control.

    async def list_campaigns(self, *, limit: int = 50, offset: int = 0, search: str | None = None) -> CampaignPage:
        params: dict[str, str | int] = {"limit": limit, "offset": offset}
        if search is not None:
            params["search"] = search
        return await self._call("GET", "campaign/all", CampaignPage, params=params)

    async def find_campaigns(self, name_contains: str, *, page_size: int = 100, max_pages: int = 50) -> list[Campaign]:
        """Campaigns whose name contains `name_contains`; filters locally since `search` may be ignored."""

        async def fetch(limit: int, offset: int) -> tuple[list[Campaign], int | None]:
            page = await self.list_campaigns(limit=limit, offset=offset, search=name_contains)
            return page.campaigns, page.total

        found = await collect_pages(fetch, page_size, max_pages)
        return [c for c in found if c.name is not None and name_contains in c.name]

    async def call_history(self, query: HistoryQuery) -> HistoryPage:
        return await self._call("GET", "calling/history", HistoryPage, params=query.to_params())

    async def terminate(self, req: TerminateRequest) -> TerminateResult:
        return await self._call("PATCH", "campaign/terminate", TerminateResult, json=_body(req))

    # Agents.

    async def edit_event_subscriptions(self, req: EditEventSubscriptions) -> EditEventSubscriptionsResult:
        """Where Ringg posts the agent's call events (webhooks)."""
        return await self._call("PATCH", "agent/v1", EditEventSubscriptionsResult, json=_body(req))

    # Workspace.

    async def workspace_numbers(self, *, limit: int = 100, offset: int = 0) -> NumbersPage:
        params = {"limit": limit, "offset": offset}
        return await self._call("GET", "workspace/numbers", NumbersPage, params=params)

    async def all_workspace_numbers(self, *, page_size: int = 100, max_pages: int = 100) -> list[WorkspaceNumber]:
        async def fetch(limit: int, offset: int) -> tuple[list[WorkspaceNumber], int | None]:
            page = await self.workspace_numbers(limit=limit, offset=offset)
            return page.workspace_numbers, page.total

        return await collect_pages(fetch, page_size, max_pages)

    async def number_pools(self, *, limit: int = 100, offset: int = 0) -> NumberPoolPage:
        """The dashboard's pool listing (fixtures only; a workspace's public API may answer 404)."""
        return await self._call("GET", "number-pool", NumberPoolPage, params={"limit": limit, "offset": offset})

    async def all_number_pools(self, *, page_size: int = 100, max_pages: int = 20) -> list[NumberPool]:
        async def fetch(limit: int, offset: int) -> tuple[list[NumberPool], int | None]:
            page = await self.number_pools(limit=limit, offset=offset)
            return page.pools, page.total

        return await collect_pages(fetch, page_size, max_pages)

    async def workspace(self) -> WorkspaceInfo:
        return await self._call("GET", "workspace", WorkspaceInfo)

    async def download(self, url: str, dest: Path) -> int:
        """Stream an absolute URL (e.g. `invalidated_rows_csv_url`) to `dest`; returns the byte count.

        The API key goes only to Ringg's own origin, re-checked on every redirect hop.
        """
        target = httpx.URL(url)
        for _ in range(MAX_DOWNLOAD_REDIRECTS + 1):
            if not target.is_absolute_url or target.scheme not in ("http", "https"):
                raise ValueError("download needs an absolute http(s) URL")
            # Host only: signed storage links carry credentials in their path and query.
            endpoint = f"GET {target.host}"
            own = (target.scheme, target.host, target.port) == (
                self._http.base_url.scheme,
                self._http.base_url.host,
                self._http.base_url.port,
            )
            request = self._http.build_request("GET", target)
            if not own:
                request.headers.pop(API_KEY_HEADER, None)
            response = await self._send(request, endpoint, "download", stream=True, use_auth=own)
            try:
                if response.next_request is not None:
                    target = response.next_request.url
                    continue
                if not response.is_success:
                    await response.aread()
                    raise error_from_response(endpoint, response, request.headers.get(API_KEY_HEADER))
                return await stream_to_file(response, dest, endpoint)
            finally:
                await response.aclose()
        raise RinggProtocolError(f"GET {target.host}", None, "too many redirects")

    # Plumbing.

    async def _upload(self, template: str, form: CampaignForm, csv_path: Path, model: type[M]) -> M:
        handle: IO[bytes] = await open_for_upload(csv_path)
        try:
            # httpx streams a file object in 64 KiB chunks and sets the multipart Content-Type/boundary.
            files = {"file": (csv_path.name, handle, "text/csv")}
            return await self._call(
                "POST",
                template,
                model,
                data=form.form_fields(),
                files=files,
                request_timeout=self._upload_timeout,
            )
        finally:
            handle.close()  # synchronous: must also run when the task is being cancelled

    async def _call(
        self,
        method: str,
        template: str,
        model: type[M],
        *,
        path: Mapping[str, str] | None = None,
        request_timeout: httpx.Timeout | None = None,
        **options: Any,
    ) -> M:
        endpoint = f"{method} {template}"
        url = template.format(**{k: quote(v, safe="") for k, v in (path or {}).items()})
        request = self._http.build_request(method, url, timeout=request_timeout or httpx.USE_CLIENT_DEFAULT, **options)
        response = await self._send(request, endpoint, template)
        if not response.is_success:
            raise error_from_response(endpoint, response, request.headers.get(API_KEY_HEADER))
        return parse_response(response, model, endpoint)

    async def _send(
        self,
        request: httpx.Request,
        endpoint: str,
        template: str,
        *,
        stream: bool = False,
        use_auth: bool = True,
    ) -> httpx.Response:
        pacer = self._pacer if use_auth else None  # other hosts (storage links) are not Ringg's API
        if pacer is not None:
            await pacer.acquire(endpoint)
        started = time.perf_counter()
        failure: RinggError | None
        try:
            if use_auth:
                response = await self._http.send(request, stream=stream)
            else:
                response = await self._http.send(request, stream=stream, auth=None)
        except httpx.RequestError as exc:
            failure = transport_error(endpoint, exc, request.headers.get(API_KEY_HEADER))
        else:
            failure = None
        elapsed_s = time.perf_counter() - started
        status = None if failure is not None else response.status_code
        log.debug(
            "ringg_request", method=request.method, path=template, status=status, elapsed_ms=round(elapsed_s * 1000, 1)
        )
        if self._on_request is not None:
            self._on_request(request.method, template, status, elapsed_s)
        if pacer is not None:
            retry_after = parse_retry_after(response.headers.get("Retry-After")) if status == 429 else None
            await pacer.on_response(endpoint, status, retry_after)
        if failure is not None:
            # Raised outside the except block so neither __cause__ nor __context__ holds the httpx
            # exception, whose request carries the X-API-KEY header.
            raise failure from None
        return response


def _body(req: BaseModel) -> dict[str, Any]:
    return req.model_dump(mode="json", exclude_none=True)
