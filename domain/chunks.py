"""A campaign on the standard flow in chunks, for when the large flow is unavailable: the chunk plan, each chunk's
tag and name in Ringg, when to fall back, and one Ringg status for all the chunks' lists."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from typing import NamedTuple

from contract.errors import CAMPAIGN_IN_CHUNKS, LARGE_FLOW_NOT_ENABLED, LARGE_FLOW_OFF
from contract.statuses import FINAL_CAMPAIGN_STATUSES

# Rows a chunk holds at most. Ringg's bulk-calls guide sends CSVs "with 5,000 or more rows" to the large flow and
# keeps POST /campaign/save for the others; 4,000 stays a fifth below that line (Ringg may count rows the product
# cannot see as rows, such as those it invalidates itself), keeps each synchronous save small (~200 KB, answered
# well inside the client's 120 s upload timeout) and still needs only 250 lists for a million rows.
CHUNK_ROWS = 4_000
# Lists one campaign may be split into (1,000,000 rows); tags number chunks with three digits.
MAX_CHUNKS = 250

_REASONS = {
    LARGE_FLOW_NOT_ENABLED: "large flow not enabled on this workspace",
    LARGE_FLOW_OFF: "large flow turned off on the worker (RINGG_LARGE_FLOW=off)",
    CAMPAIGN_IN_CHUNKS: "this campaign already runs in chunks on Ringg",
}
# Which Ringg status stands for lists that have not all finished, most telling first.
_ACTIVE_ORDER = ("ongoing", "running", "paused", "scheduled", "insufficient_balance", "draft")


class ChunkSpan(NamedTuple):
    number: int  # 1-based
    skip: int  # valid rows before this chunk
    rows: int


def chunk_plan(rows: int, size: int = CHUNK_ROWS) -> list[ChunkSpan]:
    """`rows` valid rows in as few chunks of at most `size` as possible, of sizes differing by one at most (12,000
    -> 3 x 4,000; 5,000 -> 2 x 2,500). The same rows always give the same plan."""
    count = max(1, math.ceil(rows / size))
    base, extra = divmod(rows, count)
    spans, skip = [], 0
    for number in range(1, count + 1):
        n = base + (1 if number <= extra else 0)
        spans.append(ChunkSpan(number, skip, n))
        skip += n
    return spans


def chunk_family_tag(key: str) -> str:
    """What every chunk tag of the key starts with: `rp-` and the 16 hex digits of the key's own `rc-` tag. No
    chunk tag contains the `rc-` tag, so a list uploaded whole and a chunk's list are never mistaken for each
    other, and one `/campaign/all` search finds all the chunks of a key."""
    return "rp-" + hashlib.sha256(key.encode()).hexdigest()[:16] + "-"


def chunk_tag(key: str, number: int) -> str:
    """Chunk `number`'s idempotency tag in Ringg, from the campaign's key and the chunk's number (not the number of
    chunks: a re-run finds the same chunk under the same tag). Fixed width: no tag is part of another."""
    if not 1 <= number <= 999:
        raise ValueError(f"chunk number {number} is outside 1..999")
    return f"{chunk_family_tag(key)}{number:03d}"


def chunk_campaign_name(campaign_name: str, key: str, number: int, total: int) -> str:
    return f"{campaign_name.strip()} (part {number}/{total}) [{chunk_tag(key, number)}]"


def chunk_fallback(requested_flow: str, error_type: str | None) -> str | None:
    """Why a campaign whose large-flow upload was refused runs on the standard flow in chunks, or None when the
    refusal stands. A request for flow "large" is not moved to another flow (it fails, saying how to run it),
    except where its chunks are already on Ringg: a key never gets a second list that could be launched."""
    reason = _REASONS.get(error_type or "")
    if reason is None or (requested_flow == "large" and error_type != CAMPAIGN_IN_CHUNKS):
        return None
    return reason


def flow_note(reason: str, chunks: int) -> str:
    """What the progress, the UI and the result say about the flow that ran and why."""
    return f"{reason}: standard flow in {chunks} chunk{'s' if chunks != 1 else ''}"


def combined_status(statuses: Iterable[str | None]) -> str | None:
    """One Ringg campaign status for several lists: final only when every list is (terminated or failed when any
    list ended so), else the most telling status of the lists still going; None when that is not known."""
    given = list(statuses)
    known = [s for s in given if s]
    if not known:
        return None
    if all(s in FINAL_CAMPAIGN_STATUSES for s in known):
        if len(known) < len(given):
            return None  # a list of unknown status may still be going
        return next((s for s in ("terminated", "failed") if s in known), "completed")
    active = [s for s in known if s not in FINAL_CAMPAIGN_STATUSES]
    return next((s for s in _ACTIVE_ORDER if s in active), active[0])
