"""The custom search attributes (all Keyword) the workflow sets; whoever runs the server registers them."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

CAMPAIGN_NAME = SearchAttributeKey.for_keyword("CampaignName")
CAMPAIGN_STAGE = SearchAttributeKey.for_keyword("CampaignStage")
BULK_LIST_ID = SearchAttributeKey.for_keyword("BulkListId")
AGENT_ID = SearchAttributeKey.for_keyword("AgentId")
IDEMPOTENCY_KEY = SearchAttributeKey.for_keyword("IdempotencyKey")

ALL_KEYS = (CAMPAIGN_NAME, CAMPAIGN_STAGE, BULK_LIST_ID, AGENT_ID, IDEMPOTENCY_KEY)
