"""Checks on a CampaignRequest that need no I/O: run by the starter before starting and by the workflow
first thing, so a raw start with a bad request fails at once with every problem listed."""

from __future__ import annotations

from datetime import datetime

from contract.campaign import IDEMPOTENCY_KEY_PATTERN, CampaignRequest
from contract.preflight import PreflightResult
from domain.event_targets import events_url_problems
from domain.invalid_rows import share_allows
from domain.ledger_rules import ledger_problems
from domain.phones import dial_code, number_types_problem
from domain.window import parse_window_time

SCHEDULE_FIELDS = ("campaign_start_time", "campaign_end_time", "call_config")


def request_problems(
    req: CampaignRequest,
    *,
    concurrency_rule: bool = True,
    schedule_required: bool = True,
    window_from_schedule: bool = False,
) -> list[str]:
    """Every problem of the request. The flags are False only to replay workflows started before a rule existed
    (the workflow's patches): `concurrency_rule`, the standard flow refusing concurrency_percentage;
    `schedule_required`, the window and call_config required for the large flow too. `window_from_schedule`: a
    schedule's template, whose window each fire sets (the fire's request is checked with it)."""
    problems: list[str] = []
    for name in ("campaign_name", "agent_id", "csv_uri"):
        if not str(getattr(req, name)).strip():
            problems.append(f"{name} is required and must not be empty")
    if len(req.campaign_name) > 200:
        problems.append("campaign_name is longer than 200 characters")
    if not req.variables_map.get("mobile_number", "").strip():
        problems.append(
            'variables_map must map "mobile_number" to the CSV column holding phone numbers, '
            'e.g. {"mobile_number": "Mobile Number"}'
        )
    if bool(req.from_numbers) == bool((req.number_pool_id or "").strip()):
        problems.append("give exactly one of from_numbers (a non-empty list) or number_pool_id")
    try:
        dial_code(req.country_code)
    except ValueError as err:
        problems.append(str(err))
    if (types_problem := number_types_problem(req.number_types)) is not None:
        problems.append(types_problem)
    if not 0 <= req.concurrency_percentage <= 100:
        problems.append(f"concurrency_percentage must be between 0 and 100, got {req.concurrency_percentage}")
    if not 0 <= req.max_invalid_row_share <= 1:
        problems.append(
            "max_invalid_row_share must be between 0 and 1 (a share of the CSV's rows), "
            f"got {req.max_invalid_row_share}"
        )
    if req.max_balance_wait_seconds < 0:
        problems.append("max_balance_wait_seconds must be 0 or more")
    if req.idempotency_key is not None and not IDEMPOTENCY_KEY_PATTERN.fullmatch(req.idempotency_key):
        problems.append(
            "idempotency_key must be 1-128 characters of letters, digits, '.', '_', ':' or '-' "
            "and start with a letter or digit"
        )
    problems.extend(events_url_problems(req.events_url, req.events_progress_step))
    required = schedule_required or req.flow == "standard"
    if not window_from_schedule:
        problems.extend(_window_problems(req, required=required))
        if required:
            problems.extend(schedule_problems(req))
    if req.flow == "standard":
        problems.extend(_concurrency_problems(req, concurrency_rule))
    problems.extend(ledger_problems(req))
    return problems


def flow_problems(req: CampaignRequest, flow: str, *, concurrency_rule: bool = True) -> list[str]:
    """What the chosen flow needs beyond request_problems: /campaign/save requires the window and call_config;
    /campaign/start and /campaign/v2/start take no concurrency_percentage (only make-call-async does). Workflows
    replayed from before the window was required for every flow checked it here, for the standard flow only."""
    if flow != "standard":
        return []
    return schedule_problems(req) + _concurrency_problems(req, concurrency_rule)


def _concurrency_problems(req: CampaignRequest, concurrency_rule: bool) -> list[str]:
    if not concurrency_rule or not req.concurrency_percentage:
        return []
    return [
        f"concurrency_percentage ({req.concurrency_percentage}) is only sent by the large flow "
        "(/campaign/make-call-async); the standard flow's /campaign/start and /campaign/v2/start do not accept "
        "it. Drop it (0: Ringg shares the workspace's capacity across campaigns) or use flow large"
    ]


def schedule_problems(req: CampaignRequest) -> list[str]:
    """Ringg requires the window and call_config on both flows: /campaign/save and /campaign/upload-csv take them
    (D-save, D-upcsv's field table) and make-call-async refuses a launch without them with a 422 (D-async's
    schema), so a request without them is refused before anything is uploaded."""
    missing = [name for name in SCHEDULE_FIELDS if not getattr(req, name)]
    if not missing:
        return []
    return [
        f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} required: Ringg needs the campaign window and "
        "call_config to upload and to launch any campaign (large or standard flow); give them, e.g. "
        '"campaign_start_time": "18/10/2026, 09:00", "campaign_end_time": "18/10/2026, 18:00" and '
        '"call_config": {"call_time": {"call_start_time": "09:00", "call_end_time": "18:00", '
        '"timezone": "Asia/Kolkata"}}'
    ]


def _window_problems(req: CampaignRequest, *, required: bool) -> list[str]:
    """The window's format and order (a missing end is schedule_problems' when the window is required)."""
    start_s, end_s = req.campaign_start_time, req.campaign_end_time
    if start_s is None or end_s is None:
        return [] if required or (start_s is None and end_s is None) else ["give both ends of the window, or neither"]
    parsed: list[datetime] = []
    problems: list[str] = []
    for name, value in (("campaign_start_time", start_s), ("campaign_end_time", end_s)):
        try:
            parsed.append(parse_window_time(value))
        except ValueError:
            problems.append(f'{name} must look like "DD/MM/YYYY, HH:MM" (e.g. "18/10/2026, 09:00"), got {value!r}')
    if len(parsed) == 2 and parsed[0] >= parsed[1]:
        problems.append(f"campaign_start_time ({start_s}) must be before campaign_end_time ({end_s})")
    return problems


def rejected_rows_problem(
    campaign_name: str, pre: PreflightResult, *, remove_invalid_rows: bool, max_invalid_row_share: float = 0.0
) -> str | None:
    """Why the campaign cannot go on with the rows pre-flight rejected (unusable rows: a bad phone number or a
    row that does not fit the header; duplicate numbers), or None.
    With remove_invalid_rows, or rejected rows within max_invalid_row_share, it goes on with the valid rows,
    unless there are none."""
    tolerated = remove_invalid_rows or share_allows(pre.rejected_rows, pre.data_rows, max_invalid_row_share)
    if not pre.rejected_rows or (tolerated and pre.valid_rows):
        return None
    kinds = [
        f"{n:,} {what}{'s' if n > 1 else ''}"
        for n, what in ((pre.unusable_rows, "unusable row"), (pre.duplicate_rows, "duplicate number"))
        if n
    ]
    rows = ", ".join(str(r) for r in pre.first_problem_rows)
    more = ", …" if len(pre.first_problem_rows) < pre.rejected_rows else ""
    where = f" (on worker {pre.report_host})" if pre.report_host else ""
    head = (
        f"Campaign {campaign_name!r} was not started: {pre.rejected_rows:,} of {pre.data_rows:,} rows cannot be "
        f"called ({', '.join(kinds)}; rows {rows}{more}). Each row and its problem is listed in "
        f"{pre.report_path}{where}. "
    )
    if not pre.valid_rows:
        return head + "No row is left to call: fix the CSV and start again."
    over = (
        f" That is more than the {max_invalid_row_share * 100:g}% max_invalid_row_share allows."
        if max_invalid_row_share > 0
        else ""
    )
    return head + (
        f"Fix the CSV and start again, or set remove_invalid_rows=true to call only the {pre.valid_rows:,} valid rows."
        + over
    )
