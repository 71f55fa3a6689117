"""When invalid rows stop a campaign: remove_invalid_rows, the share a request allows (max_invalid_row_share), and
the operator's message when Ringg itself invalidated rows (the docs' "fix and re-upload")."""

from __future__ import annotations

import re

# Ringg's refusal of a whole upload for its invalid rows, and the count it names, in the phrasings seen or likely:
# "3 invalid rows", "invalid rows: 3", "3 of 40 rows are invalid", "rows with invalid numbers".
_ABOUT_ROWS = re.compile(r"\binvalid\W+(?:\w+\W+){0,4}?rows?\b|\brows?\W+(?:\w+\W+){0,4}?invalid", re.IGNORECASE)
_COUNTS = (
    re.compile(r"(\d[\d,]*)\s+(?:of\s+\d[\d,]*\s+)?rows?\s+(?:are\s+|were\s+|is\s+)?invalid", re.IGNORECASE),
    re.compile(r"(\d[\d,]*)\s+(?:\w+\s+){0,2}?invalid\s+rows?", re.IGNORECASE),
    # not inside "remove_invalid_rows"
    re.compile(r"\binvalid[\s-]*rows?\b\D{0,20}?(\d[\d,]*)", re.IGNORECASE),
)


def share_allows(invalid: int, rows: int, share: float) -> bool:
    """True when `invalid` of `rows` is within the allowed share (0 allows none)."""
    if invalid <= 0:
        return True
    return rows > 0 and share > 0 and invalid / rows <= share


def ringg_skips_invalid_rows(remove_invalid_rows: bool, max_invalid_row_share: float) -> bool:
    """What the upload asks Ringg (`remove_invalid_rows`): skip invalid rows whenever the request tolerates any,
    so a tolerated row is never dialled; the share is then checked on Ringg's counts before the launch."""
    return remove_invalid_rows or max_invalid_row_share > 0


def refusal_names_invalid_rows(server_message: str) -> tuple[bool, int | None]:
    """Whether Ringg's refusal of an upload is about invalid rows, and the count it names (None: not named)."""
    if not _ABOUT_ROWS.search(server_message):
        return False, None
    for pattern in _COUNTS:
        match = pattern.search(server_message)
        if match:
            return True, int(match.group(1).replace(",", ""))
    return True, None


def _percent(share: float) -> str:
    return f"{share * 100:g}%"


def ringg_invalid_rows_tolerated(
    ringg_invalid: int, *, preflight_rejected: int, data_rows: int, remove_invalid_rows: bool, max_share: float
) -> bool:
    """Whether the campaign may go on although Ringg invalidated rows. The share counts every row of the CSV
    that will not be called (pre-flight's and Ringg's) against the CSV's data rows."""
    if remove_invalid_rows or ringg_invalid <= 0:
        return True
    return share_allows(ringg_invalid + preflight_rejected, data_rows, max_share)


def ringg_invalid_rows_message(
    campaign_name: str,
    list_id: str,
    *,
    ringg_invalid: int,
    preflight_rejected: int,
    data_rows: int,
    max_share: float,
    report: str | None,
    ringg_kept_them: bool,
) -> str:
    """Why the campaign stops before its launch. `ringg_kept_them`: the list was uploaded without
    remove_invalid_rows, so Ringg keeps the invalid rows in it (a rerun under the same idempotency key would
    reuse that list)."""
    invalid = ringg_invalid + preflight_rejected
    where = f" Ringg's report of them: {report}." if report else " Ringg gave no report of them."
    allowed = f"more than the {_percent(max_share)} max_invalid_row_share allows" if max_share > 0 else "none allowed"
    rerun = (
        "start again with remove_invalid_rows=true and a new idempotency_key (this key's list keeps the invalid rows)"
        if ringg_kept_them
        else "start the same request again with remove_invalid_rows=true"
    )
    return (
        f"Campaign {campaign_name!r} (list {list_id}) was not launched: Ringg found {ringg_invalid:,} invalid "
        f"row{'s' if ringg_invalid != 1 else ''} ({invalid:,} of {data_rows:,} rows not callable in all, "
        f"{allowed}).{where} Fix the CSV and re-upload it (start again), or {rerun} to call only the valid rows, "
        "or allow a share with max_invalid_row_share (0..1)."
    )


def ringg_refused_upload_message(campaign_name: str, count: int | None, detail: str) -> str:
    """Ringg refused the whole upload for its invalid rows (save without remove_invalid_rows): nothing exists."""
    rows = f"{count:,} invalid row{'s' if count != 1 else ''}" if count is not None else "invalid rows"
    return (
        f"Campaign {campaign_name!r} was not started: Ringg found {rows} and refused the whole contact list "
        f"(Ringg: {detail}); nothing was uploaded or launched. Fix the CSV and re-upload it (start again), or set "
        "remove_invalid_rows=true to call only the valid rows, or allow a share with max_invalid_row_share (0..1)."
    )
