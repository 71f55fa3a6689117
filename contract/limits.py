"""How big and how deep anything a caller sends may be: one set of limits the request models enforce themselves,
so the HTTP API, the starter and the worker refuse the same requests."""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import StringConstraints

# Ringg's own call_config nests three levels (call_config.call_time.timezone); eight leaves room for documented
# keys we do not know yet, and stays far below the JSON parsers' own limits (pydantic's is 200 levels: deeper
# input cannot even be decoded by the worker).
MAX_FREE_FORM_DEPTH = 8
# A call_config is a few hundred bytes; 64 KiB is generous and keeps every history event carrying it small.
MAX_FREE_FORM_BYTES = 64 * 1024
MAX_VARIABLES = 200
MAX_NAME_CHARS = 200  # campaign_name: also the CampaignName search attribute
MAX_ID_CHARS = 128  # agent_id, number_pool_id, numbers' ids, user ids, schedule ids
MAX_URI_CHARS = 4096  # csv_uri, numbers_uri, out_uri, callback_url (pre-signed URLs are long)
MAX_FROM_NUMBERS = 1000
MAX_EMAIL_USER_IDS = 100
MAX_PASSTHROUGH_COLUMNS = 50  # columns kept with each contact in the ledger
MAX_STATUSES = 50  # suppress_on, follow_up statuses
MAX_SHORT_CHARS = 64  # country_code, window times, formats

Id = Annotated[str, StringConstraints(max_length=MAX_ID_CHARS)]
ColumnName = Annotated[str, StringConstraints(max_length=MAX_NAME_CHARS)]
Short = Annotated[str, StringConstraints(max_length=MAX_SHORT_CHARS)]
Uri = Annotated[str, StringConstraints(max_length=MAX_URI_CHARS)]


def json_depth(value: Any) -> int:
    """How deeply `value` nests lists and dicts (a scalar is 0, `{}` is 1), counted without recursion so no
    input can exhaust the interpreter's stack."""
    depth = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            depth = max(depth, level + 1)
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list | tuple):
            depth = max(depth, level + 1)
            stack.extend((v, level + 1) for v in item)
    return depth


def free_form_problem(name: str, value: Any) -> str | None:
    """Why a free-form JSON field (`call_config`, a template's extras) cannot be accepted, or None."""
    depth = json_depth(value)
    if depth > MAX_FREE_FORM_DEPTH:
        return f"{name} nests {depth} levels deep; at most {MAX_FREE_FORM_DEPTH} are accepted"
    try:
        size = len(json.dumps(value, ensure_ascii=False, default=str).encode("utf-8"))
    except (TypeError, ValueError):
        return f"{name} must be plain JSON (objects, arrays, strings, numbers, booleans, null)"
    if size > MAX_FREE_FORM_BYTES:
        return f"{name} is {size} bytes as JSON; at most {MAX_FREE_FORM_BYTES} are accepted"
    return None
