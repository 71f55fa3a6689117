"""The names other services start and find things by: the task queue and the workflow types."""

from __future__ import annotations

TASK_QUEUE = "ringg-campaigns"

CAMPAIGN_WORKFLOW = "CampaignWorkflow"
CLAIM_WORKFLOW = "CampaignKeyClaim"
FIRE_WORKFLOW = "ScheduledCampaignWorkflow"
EXPORT_WORKFLOW = "ExportCampaignWorkflow"
SUBSCRIBE_WEBHOOKS_WORKFLOW = "SubscribeWebhooksWorkflow"
PROGRAM_WORKFLOW = "CampaignProgramWorkflow"
