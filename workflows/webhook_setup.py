"""SubscribeWebhooksWorkflow: runs the subscription on a worker, which holds the Ringg API key and the secret."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.ringg.webhook_setup import WebhookSetupActivities
    from contract.names import SUBSCRIBE_WEBHOOKS_WORKFLOW
    from contract.webhooks import SubscribeWebhooksInput, SubscribeWebhooksResult

from workflows import options
from workflows.activity_calls import execute


@workflow.defn(name=SUBSCRIBE_WEBHOOKS_WORKFLOW)
class SubscribeWebhooksWorkflow:
    @workflow.run
    async def run(self, inp: SubscribeWebhooksInput) -> SubscribeWebhooksResult:
        return await execute(
            WebhookSetupActivities.subscribe_webhooks,
            inp,
            start_to_close_timeout=options.RINGG_CALL_TIMEOUT,
            retry_policy=options.RINGG_RETRY,
            summary=f"subscribe agent {inp.agent_id}'s call events"[:190],
        )
