"""Where campaign events may be POSTed: the request's events_url shape (checked with the request everywhere) and the
CAMPAIGN_EVENTS_URL_* host and address rules (checked by the delivering activity), parsed with csv_sources' helpers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from domain.csv_sources import (
    CsvSettingError,
    host_allowed,
    is_ip,
    parse_flag,
    parse_hosts,
    refused_address,
    shown,
)

URL_HOSTS = "CAMPAIGN_EVENTS_URL_HOSTS"
ALLOW_PRIVATE = "CAMPAIGN_EVENTS_URL_ALLOW_PRIVATE"
MAX_URL_CHARS = 2048


class EventSettingError(ValueError):
    """A CAMPAIGN_EVENTS_URL_* setting is not valid; the message names it."""


@dataclass(frozen=True)
class EventTargets:
    """Hosts events may be sent to (exact names, or `*.domain`), and whether loopback/private addresses may be."""

    hosts: frozenset[str] = frozenset()
    allow_private: bool = False


def event_targets_from_env(env: Mapping[str, str]) -> EventTargets:
    try:
        return EventTargets(
            hosts=parse_hosts(env.get(URL_HOSTS, ""), URL_HOSTS), allow_private=parse_flag(env, ALLOW_PRIVATE)
        )
    except CsvSettingError as err:
        raise EventSettingError(str(err)) from None


def events_url_problems(url: str | None, progress_step: int) -> list[str]:
    """The request-level rules (no setting needed): an http(s) URL with a host, no credentials, at most
    MAX_URL_CHARS; events_progress_step 0..100."""
    problems: list[str] = []
    if not 0 <= progress_step <= 100:
        problems.append(f"events_progress_step must be between 0 (no progress events) and 100, got {progress_step}")
    if url is None:
        return problems
    if len(url) > MAX_URL_CHARS:
        return [*problems, f"events_url is longer than {MAX_URL_CHARS} characters"]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return [*problems, "events_url must be an http:// or https:// URL"]
    if not parts.hostname:
        problems.append(f"events_url {shown(url)!r} names no host")
    if parts.username is not None or parts.password is not None:
        problems.append(
            "events_url must not carry a user name or password: the receiver checks the X-Campaign-Signature header"
        )
    try:
        parts.port  # noqa: B018 (a port that is not a number raises)
    except ValueError:
        problems.append(f"events_url {shown(url)!r} has a port that is not a number from 0 to 65535")
    return problems


def event_url_problem(url: str, targets: EventTargets) -> str | None:
    """Why events may not be sent to the URL before any DNS lookup (its host, a literal address), or None."""
    host = (urlsplit(url).hostname or "").strip("[]").lower().rstrip(".")
    if not host_allowed(host, targets.hosts):
        allowed = ",".join(sorted(targets.hosts)) or "(none)"
        return (
            f"events_url {shown(url)!r}: the host {host!r} is not one events may be sent to ({URL_HOSTS}={allowed}); "
            f"add it to {URL_HOSTS} on the workers"
        )
    return event_address_problem(host, host, targets) if is_ip(host) else None


def event_address_problem(host: str, address: str, targets: EventTargets) -> str | None:
    """Why an address the events_url's host resolved to may not be connected to, or None."""
    return refused_address(
        host,
        address,
        targets.allow_private,
        what="events_url",
        never="events are never sent there",
        public="events are sent to public addresses only",
        unless=f"{ALLOW_PRIVATE}=1 on the workers",
    )
