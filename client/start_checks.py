"""What an entry point checks before it starts a campaign, beyond the request itself, with the worker's own rules:
the contacts file's place (CAMPAIGN_CSV_*), events_url's host (CAMPAIGN_EVENTS_URL_*), and the caller numbers
against the Ringg workspace when this process can ask Ringg. Each returns problems; none raises for them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from activities.contacts.source import admit
from client.caller_numbers import WorkspaceNumbers
from client.schedules import SAMPLE_DAY
from contract.campaign import CampaignRequest
from domain.csv_sources import CsvSources, SourceRefused
from domain.event_targets import EventTargets, event_url_problem, events_url_problems
from domain.fire_render import FireRenderError, render_text
from domain.request_check import checked_start


@dataclass(frozen=True)
class StartChecks:
    """The settings the worker applies, as this process has them. `numbers`: the workspace's caller numbers, None
    where this process has no RINGG_API_KEY (the worker still checks them before any upload)."""

    sources: CsvSources
    events: EventTargets = field(default_factory=EventTargets)
    numbers: WorkspaceNumbers | None = None


async def place_problems(
    csv_uri: object, events_url: object, checks: StartChecks, *, what: str = "csv_uri"
) -> list[str]:
    """The contacts file's place and events_url's host, as the worker will judge them (values of another type are
    the model's problem)."""
    problems: list[str] = []
    if isinstance(csv_uri, str) and csv_uri.strip():
        try:
            await admit(csv_uri, checks.sources, what=what)
        except SourceRefused as err:
            problems.append(str(err))
    if isinstance(events_url, str) and not events_url_problems(events_url, 0):
        problem = event_url_problem(events_url, checks.events)
        if problem is not None:
            problems.append(problem)
    return problems


async def caller_number_problems(from_numbers: object, numbers: WorkspaceNumbers | None) -> list[str]:
    """from_numbers that are not numbers of the Ringg workspace. Nothing when this process cannot ask Ringg, or
    Ringg does not answer: the worker checks again before any upload."""
    if numbers is None or not isinstance(from_numbers, list) or not from_numbers:
        return []
    if not all(isinstance(f, str) and f.strip() for f in from_numbers):
        return []  # the model's problem
    problem = await numbers.problem(from_numbers)
    return [problem] if problem else []


async def start_problems(
    data: Mapping[str, object], checks: StartChecks, now: datetime, *, window_required: bool = True
) -> tuple[CampaignRequest | None, list[str]]:
    """(the request, or None when its model refuses it; every problem the worker would find before any upload:
    the request's own, the file's and events_url's places, the caller numbers)."""
    req, problems = checked_start(data, now, window_required=window_required)
    problems += await place_problems(data.get("csv_uri"), data.get("events_url"), checks)
    problems += await caller_number_problems(data.get("from_numbers"), checks.numbers)
    return req, problems


async def template_problems_beyond(data: Mapping[str, object], checks: StartChecks) -> list[str]:
    """A schedule template's: its csv_uri as a fire renders it (on a sample day: placeholders fill in the file
    name, not the folder or host), events_url's host, the caller numbers."""
    csv_uri = data.get("csv_uri")
    if isinstance(csv_uri, str):
        try:
            csv_uri = render_text(csv_uri, SAMPLE_DAY)
        except FireRenderError:
            csv_uri = None  # the template's own problem, listed with the others
    what = f"csv_uri (the template's, for a fire on {SAMPLE_DAY:%Y-%m-%d})"
    problems = await place_problems(csv_uri, data.get("events_url"), checks, what=what)
    return problems + await caller_number_problems(data.get("from_numbers"), checks.numbers)
