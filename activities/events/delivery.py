"""Events out: POSTs one signed campaign event to the request's events_url (connecting only to addresses the
CAMPAIGN_EVENTS_URL_* rules allow), and the check before any upload that this worker can send them at all."""

from __future__ import annotations

import socket
import time
from datetime import timedelta

import httpx
import structlog
from pydantic import SecretStr
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.contacts.source import checked_addresses, pinned_request
from contract.errors import EVENT_RECEIVER_ERROR, EVENT_REFUSED, EVENTS_NOT_CONFIGURED
from contract.events import CheckEventsInput, CheckEventsResult, DeliverEventInput, DeliverEventResult
from domain.csv_sources import SourceRefused, shown
from domain.event_signing import ID_HEADER, SIGNATURE_HEADER, TYPE_HEADER, signature
from domain.event_targets import EventTargets, event_address_problem, event_url_problem

log = structlog.get_logger()
# One POST: connect and answer within 10 s (a slow receiver is retried, the campaign does not wait for it).
TIMEOUT = httpx.Timeout(10.0)
RETRYABLE_4XX = (408, 429)
MAX_RETRY_AFTER_S = 300.0
SECRET_SETTING = "CAMPAIGN_EVENTS_SECRET (or CAMPAIGN_EVENTS_SECRET_FILE)"  # noqa: S105 (a setting name)


class EventActivities:
    """`secret`: the workers' CAMPAIGN_EVENTS_SECRET (None: events cannot be sent); `targets`: where they may go.
    `transport` replaces the network in unit tests."""

    def __init__(
        self, secret: SecretStr | None, targets: EventTargets, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._secret, self._targets, self._transport = secret, targets, transport

    @activity.defn
    async def check_events(self, inp: CheckEventsInput) -> CheckEventsResult:
        """Fails (non-retryable) when events could not be sent: no secret, a refused host or address."""
        self._usable(inp.url, f"Campaign {inp.campaign_name!r} was not started")
        addresses = await self._addresses(httpx.URL(inp.url), f"Campaign {inp.campaign_name!r} was not started")
        return CheckEventsResult(addresses=len(addresses))

    @activity.defn
    async def deliver_event(self, inp: DeliverEventInput) -> DeliverEventResult:
        """2xx: delivered. 5xx, 408, 429 (after its Retry-After) and transport errors: retried by the policy. Any
        other answer: refused, not retried."""
        event = inp.event
        doing = f"event {event.type} ({event.id}) of campaign {event.campaign.name!r}"
        secret = self._usable(inp.url, f"{doing} was not sent")
        target = httpx.URL(inp.url)
        body = event.model_dump_json().encode()
        stamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "ringg-campaigns-events/1",
            ID_HEADER: event.id,
            TYPE_HEADER: event.type,
            SIGNATURE_HEADER: signature(secret, stamp, body),
        }
        addresses = await self._addresses(target, f"{doing} was not sent")
        failure: httpx.ConnectError | None = None
        async with httpx.AsyncClient(
            timeout=TIMEOUT, follow_redirects=False, trust_env=False, transport=self._transport
        ) as client:
            for address in addresses:
                request = pinned_request(client, "POST", target, address, headers=headers, content=body)
                try:
                    response = await client.send(request, stream=True)
                except httpx.ConnectError as err:
                    failure = err
                    continue
                await response.aclose()  # the receiver's body is never read
                return self._answered(response, doing)
        assert failure is not None  # getaddrinfo returns at least one address or raises
        raise failure

    def _answered(self, response: httpx.Response, doing: str) -> DeliverEventResult:
        code = response.status_code
        log.info("event_delivery", event_id=response.request.headers[ID_HEADER], http_status=code)
        if 200 <= code < 300:
            return DeliverEventResult(http_status=code)
        if code >= 500 or code in RETRYABLE_4XX:
            raise ApplicationError(
                f"The events receiver answered HTTP {code} to {doing}; retrying with backoff",
                type=EVENT_RECEIVER_ERROR,
                next_retry_delay=_retry_after(response) if code == 429 else None,
            )
        why = "a redirect, which is not followed: give the final URL as events_url" if 300 <= code < 400 else "it"
        raise ApplicationError(
            f"The events receiver refused {doing} with HTTP {code} ({why}); it is not sent again",
            type=EVENT_REFUSED,
            non_retryable=True,
        )

    def _usable(self, url: str, not_done: str) -> str:
        """The secret, once the URL's host passes the rules; else a non-retryable EventsNotConfigured."""
        if self._secret is None:
            raise _not_configured(
                f"{not_done}: it has an events_url but the workers have no {SECRET_SETTING}, so events could not be "
                "signed. Set it on the workers (the receiver checks signatures with the same value) and start again"
            )
        problem = event_url_problem(url, self._targets)
        if problem:
            raise _not_configured(f"{not_done}: {problem}")
        return self._secret.get_secret_value()

    async def _addresses(self, target: httpx.URL, not_done: str) -> list[str]:
        host = target.host
        try:
            return await checked_addresses(target, lambda address: event_address_problem(host, address, self._targets))
        except SourceRefused as err:
            raise _not_configured(f"{not_done}: {err}") from None
        except socket.gaierror:
            raise ApplicationError(
                f"{not_done}: the host of events_url {shown(str(target))!r} cannot be resolved (DNS); retrying",
                type=EVENT_RECEIVER_ERROR,
            ) from None


def _not_configured(message: str) -> ApplicationError:
    return ApplicationError(message, type=EVENTS_NOT_CONFIGURED, non_retryable=True)


def _retry_after(response: httpx.Response) -> timedelta | None:
    """A 429's Retry-After in seconds (1 s to 5 min); None (the policy's backoff) when absent or a date."""
    try:
        seconds = float(response.headers.get("retry-after", "").strip())
    except ValueError:
        return None
    return timedelta(seconds=min(max(seconds, 1.0), MAX_RETRY_AFTER_S))
