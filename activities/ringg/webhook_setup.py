"""Subscribes an agent's call events to the webhook receiver (`PATCH agent/v1`), with the shared secret
header Ringg echoes back on every event. The secret is the workers' (WEBHOOK_SECRET), never an input."""

from __future__ import annotations

import structlog
from pydantic import SecretStr
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.ringg.errors import map_ringg_error
from contract.errors import WEBHOOK_SETUP
from contract.webhooks import SubscribeWebhooksInput, SubscribeWebhooksResult
from domain.webhook_checks import subscription_problems
from ringg import EditEventSubscriptions, EventSubscription, RinggClient, RinggError

log = structlog.get_logger()


class WebhookSetupActivities:
    def __init__(self, ringg: RinggClient, secret: SecretStr | None, header: str) -> None:
        self._ringg, self._secret, self._header = ringg, secret, header

    @activity.defn
    async def subscribe_webhooks(self, inp: SubscribeWebhooksInput) -> SubscribeWebhooksResult:
        problems = subscription_problems(inp)
        if self._secret is None:
            problems.append(
                "the workers have no WEBHOOK_SECRET: set it (or WEBHOOK_SECRET_FILE) on the workers and the receiver "
                "to the same random string, restart the workers, and subscribe again"
            )
        if problems:
            raise ApplicationError(
                f"Webhooks of agent {inp.agent_id!r} were not subscribed: " + "; ".join(problems),
                type=WEBHOOK_SETUP,
                non_retryable=True,
            )
        assert self._secret is not None
        headers = {self._header: self._secret.get_secret_value(), "Content-Type": "application/json"}
        request = EditEventSubscriptions(
            agent_id=inp.agent_id,
            event_subscriptions=[
                EventSubscription(event_type=t, callback_url=inp.callback_url, headers=headers) for t in inp.event_types
            ],
        )
        try:
            result = await self._ringg.edit_event_subscriptions(request)
        except RinggError as err:
            raise map_ringg_error(err, doing=f"subscribing agent {inp.agent_id}'s webhooks") from None
        log.info("webhooks_subscribed", agent_id=inp.agent_id, event_types=inp.event_types)
        return SubscribeWebhooksResult(
            agent_id=inp.agent_id,
            callback_url=inp.callback_url,
            event_types=inp.event_types,
            header=self._header,
            message=result.message,
        )
