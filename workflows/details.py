"""Markdown shown in the Temporal UI: the static details at start and the live progress table."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from contract.campaign import CampaignProgress, CampaignRequest
    from contract.statuses import CALL_STATUS_ORDER


def static_summary(req: CampaignRequest) -> str:
    return f"Ringg campaign {req.campaign_name!r}"[:190]


def static_details(req: CampaignRequest) -> str:
    numbers = (
        f"pool `{req.number_pool_id}`" if req.number_pool_id else f"{len(req.from_numbers or [])} caller number(s)"
    )
    window = f"{req.campaign_start_time} → {req.campaign_end_time}" if req.campaign_start_time else "Ringg default"
    # Only make-call-async takes concurrency_percentage: a standard-flow campaign with one is refused, not dropped.
    concurrency = (
        f", concurrency {req.concurrency_percentage}% (large flow only)"
        if req.concurrency_percentage
        else ", concurrency shared by Ringg"
    )
    return "\n".join(
        [
            f"**Campaign** {req.campaign_name}",
            "",  # the UI's Markdown renderer starts a list only after a blank line
            f"- agent `{req.agent_id}`, flow `{req.flow}`, {numbers}",
            f"- window {window}{concurrency}",
            f"- contacts from `{req.csv_uri}`",
        ]
    )


def screened_out(suppressed: int, capped: int) -> str:
    """The contacts the ledger's screening removed before upload, in words (the contacts report lists each)."""
    return f"{suppressed} on the suppression list, {capped} at the frequency cap"


def progress_markdown(p: CampaignProgress) -> str:
    lines = [
        f"**Stage:** `{p.stage}`" + (f" — {p.message}" if p.message else ""),
        "",
        "| field | value |",
        "|---|---|",
        f"| list id | `{p.list_id or '—'}` |",
        f"| flow | {p.flow or '—'}{f' — {p.flow_note}' if p.flow_note else ''} |",
        f"| Ringg status | {p.ringg_status or '—'} |",
        f"| contacts | {p.contacts if p.contacts is not None else '—'} (rejected by Ringg: {p.invalid_rows}) |",
    ]
    if p.chunks:
        lines.append(f"| chunk lists | {chunk_lists(p)} |")
    if p.upload is not None:
        lines.append(f"| upload | {p.upload.describe()} |")
    if p.unusable_rows or p.duplicate_rows:
        lines.append(f"| not called | {p.unusable_rows} unusable rows, {p.duplicate_rows} duplicate numbers |")
    if p.suppressed_rows or p.capped_rows:
        lines.append(f"| left out by the ledger | {screened_out(p.suppressed_rows, p.capped_rows)} |")
    if p.contacts_report:
        lines.append(f"| contacts report | `{p.contacts_report}` |")
    if p.ledger_calls is not None:
        added = f", {p.suppressed_added} numbers added to the suppression list" if p.suppressed_added else ""
        lines.append(f"| ledger | {p.ledger_calls} calls recorded{added} |")
    if p.missing_credits is not None or p.required_credits is not None:
        lines.append(
            f"| credits | required {p.required_credits}, available {p.available_credits}, missing {p.missing_credits} |"
        )
    for warning in p.warnings:
        lines.append(f"| warning | {warning} |")
    if p.workspace_has_ongoing_calls:
        lines.append("| workspace | other calls in progress share its capacity |")
    if p.calls.total:
        lines.append(f"| calls | {p.calls.total} |")
        for status in CALL_STATUS_ORDER:
            if p.calls.by_status.get(status):
                lines.append(f"| · {status} | {p.calls.by_status[status]} |")
    if p.not_called is not None:
        lines.append(f"| never called | {p.not_called} (window closed or stopped first; not failed calls) |")
    lines.append(f"| polls | {p.polls} (updated {p.updated_at or '—'}) |")
    if p.ringg_budget is not None:
        lines.append(f"| Ringg budget | {p.ringg_budget.describe()} |")
    return "\n".join(lines)


def chunk_lists(p: CampaignProgress) -> str:
    """The chunks' lists in a line of bounded length: how many are saved, the first and the last."""
    ids = [f"`{i}`" for i in p.list_ids]
    shown = ", ".join(ids if len(ids) <= 2 else [ids[0], "…", ids[-1]])
    return f"{len(ids)} of {p.chunks} saved" + (f": {shown}" if ids else "")
