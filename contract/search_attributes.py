"""The custom search attributes (all Keyword) the workflow sets; whoever runs the server registers them."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

CAMPAIGN_NAME = SearchAttributeKey.for_keyword("CampaignName")
CAMPAIGN_STAGE = SearchAttributeKey.for_keyword("CampaignStage")
BULK_LIST_ID = SearchAttributeKey.for_keyword("BulkListId")
AGENT_ID = SearchAttributeKey.for_keyword("AgentId")
IDEMPOTENCY_KEY = SearchAttributeKey.for_keyword("IdempotencyKey")

# Temporal's own attribute: a workflow that sets it is left out of every list whose query does not name it (the
# UI's default list, `temporal workflow list`), as the server does with its schedulers' workflows. Key claims set it.
NAMESPACE_DIVISION = SearchAttributeKey.for_keyword("TemporalNamespaceDivision")
CLAIM_DIVISION = "CampaignKeyClaims"
CLAIMS_QUERY = f'{NAMESPACE_DIVISION.name} = "{CLAIM_DIVISION}"'

ALL_KEYS = (CAMPAIGN_NAME, CAMPAIGN_STAGE, BULK_LIST_ID, AGENT_ID, IDEMPOTENCY_KEY)
# Keyword values are capped by the server; a campaign name is cut to this length in search attributes.
NAME_MAX = 200


def start_attributes(campaign_name: str, agent_id: str, key: str | None = None) -> TypedSearchAttributes:
    """What a campaign (or a schedule fire) is started with, so that it can be found before its first task."""
    pairs = [SearchAttributePair(CAMPAIGN_NAME, campaign_name[:NAME_MAX]), SearchAttributePair(AGENT_ID, agent_id)]
    if key is not None:
        pairs.append(SearchAttributePair(IDEMPOTENCY_KEY, key))
    return TypedSearchAttributes(pairs)


def claim_attributes() -> TypedSearchAttributes:
    """A key claim's: out of the campaign list, listed with CLAIMS_QUERY."""
    return TypedSearchAttributes([SearchAttributePair(NAMESPACE_DIVISION, CLAIM_DIVISION)])
