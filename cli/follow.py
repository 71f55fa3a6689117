"""Following a campaign until it ends: a live view on a terminal, one line per change off it, or JSON Lines."""

from __future__ import annotations

import asyncio

from rich.live import Live
from temporalio.client import WorkflowFailureError, WorkflowHandle

from cli.common import console, fail
from cli.json_out import print_json
from cli.live_view import CampaignView
from client.lookup import campaign_progress
from contract.campaign import CampaignProgress, CampaignResult
from workflows.campaign import CampaignWorkflow


async def current_progress(handle: WorkflowHandle[CampaignWorkflow, CampaignResult]) -> CampaignProgress | None:
    return await campaign_progress(handle)


def progress_line(progress: CampaignProgress) -> str:
    """One line of progress for a log or a pipe: stage, message and calls finished of all."""
    counts = progress.calls
    calls = f"{counts.total - counts.pending:,}/{counts.total:,} calls finished" if counts.total else ""
    return " — ".join(part for part in (progress.stage, progress.message, calls) if part)


async def watch_lines(handle: WorkflowHandle[CampaignWorkflow, CampaignResult], every_s: float = 1.0) -> CampaignResult:
    """Off a terminal: one line each time the progress changes (nothing redrawn, nothing repeated)."""
    result_task = asyncio.ensure_future(handle.result())
    last = ""
    while True:
        progress = await current_progress(handle)
        line = progress_line(progress) if progress is not None else ""
        if line and line != last:
            console.print(line, highlight=False, markup=False, soft_wrap=True)
            last = line
        if result_task.done():
            return result_task.result()
        await asyncio.wait({result_task}, timeout=every_s)


async def json_lines(handle: WorkflowHandle[CampaignWorkflow, CampaignResult], every_s: float = 1.0) -> None:
    """`watch --json`: a progress document each time it changes, then {"result": …} (or {"failure": …}, exit 1)."""
    result_task = asyncio.ensure_future(handle.result())
    last = ""
    while not result_task.done():
        progress = await current_progress(handle)
        if progress is not None and (text := progress.model_dump_json()) != last:
            print_json(progress, lines=True)
            last = text
        await asyncio.wait({result_task}, timeout=every_s)
    try:
        print_json({"result": result_task.result()}, lines=True)
    except WorkflowFailureError as err:
        message = getattr(err.cause, "message", None) or str(err.cause)
        print_json({"failure": message}, lines=True)
        raise fail(f"campaign {handle.id} failed: {message}") from None


async def watch(handle: WorkflowHandle[CampaignWorkflow, CampaignResult], every_s: float = 1.0) -> CampaignResult:
    if not console.is_terminal:
        return await watch_lines(handle, every_s)
    result_task = asyncio.ensure_future(handle.result())
    view = CampaignView(handle.id)
    with Live(console=console, refresh_per_second=4, transient=False) as live:
        while not result_task.done():
            progress = await current_progress(handle)
            if progress is not None:
                live.update(view.render(progress))
            await asyncio.wait({result_task}, timeout=every_s)
        final = await current_progress(handle)
        if final is not None:
            live.update(view.render(final))
    return result_task.result()
