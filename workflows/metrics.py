"""Campaign counters recorded from workflow code through the workflow meter. Replay-safe: nothing is recorded
while history is replayed, so a campaign counts once however often its workflow is replayed."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from contract.campaign import CampaignProgress

FINAL_STAGES = frozenset({"completed", "failed", "cancelled", "duplicate"})


def stage_entered(progress: CampaignProgress) -> None:
    """campaigns_started on validation; on a final stage, campaigns_finished by stage and the campaign's
    calls by their last observed status (campaign_calls)."""
    meter = workflow.metric_meter()
    if progress.stage == "validating":
        meter.create_counter("campaigns_started", "Campaign workflows started (not counting continue-as-new)").add(1)
    elif progress.stage in FINAL_STAGES:
        meter.create_counter("campaigns_finished", "Campaign workflows finished, by final stage").add(
            1, {"stage": progress.stage}
        )
        calls = meter.create_counter("campaign_calls", "Calls of finished campaigns, by last observed status")
        for status, n in sorted(progress.calls.by_status.items()):
            if n > 0:
                calls.add(n, {"status": status})
