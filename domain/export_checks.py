"""The checks an ExportRequest must pass before the export starts."""

from __future__ import annotations

from contract.export import EXPORT_FORMATS, MAX_PAGE_SIZE, ExportRequest


def export_problems(req: ExportRequest) -> list[str]:
    problems: list[str] = []
    if not req.list_id.strip():
        problems.append("list_id is required (the Ringg list id of the campaign)")
    if not req.out_uri.strip():
        problems.append("out_uri is required (a directory on the worker: a path or file:// URI)")
    unknown = [f for f in req.formats if f not in EXPORT_FORMATS]
    if unknown or not req.formats:
        problems.append(f"formats must be one or more of {', '.join(EXPORT_FORMATS)} (got {req.formats!r})")
    if not 1 <= req.page_size <= MAX_PAGE_SIZE:
        problems.append(f"page_size must be between 1 and {MAX_PAGE_SIZE} (got {req.page_size})")
    if req.since and req.until and req.until <= req.since:
        problems.append("until must be after since")
    return problems
