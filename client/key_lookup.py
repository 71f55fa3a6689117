"""Which workflow an idempotency key already names, so that a repeat of a request reuses it: started under the
campaign's name, under the old ID shape (`campaign-<key>`), or by another trigger under another name."""

from __future__ import annotations

import asyncio

from temporalio.client import Client, WorkflowExecutionDescription
from temporalio.service import RPCError, RPCStatusCode

from contract import search_attributes as sa
from contract.campaign import IDEMPOTENCY_KEY_PATTERN
from contract.names import CAMPAIGN_WORKFLOW, CLAIM_WORKFLOW
from domain.idempotency import (
    claim_workflow_id_for,
    legacy_claim_workflow_id_for,
    legacy_workflow_id_for,
    workflow_id_for,
)


async def describe_or_none(client: Client, workflow_id: str) -> WorkflowExecutionDescription | None:
    try:
        return await client.get_workflow_handle(workflow_id).describe()
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return None
        raise


async def existing_campaign_id(client: Client, key: str, campaign_name: str = "") -> str | None:
    """The workflow ID of a campaign already started under `key` (running or closed, within retention), or None.

    First from Temporal's own records: the ID the name gives, the old-shape ID, then the owner of the key's claim
    (new or old claim ID), which names a campaign started under any ID; then from visibility (which lags a moment
    behind), a campaign started under another name that has not taken the claim yet (still in pre-flight)."""
    ids = tuple(dict.fromkeys((workflow_id_for(key, campaign_name), legacy_workflow_id_for(key))))  # one if no slug
    claims = (claim_workflow_id_for(key), legacy_claim_workflow_id_for(key))
    found = await asyncio.gather(*(describe_or_none(client, i) for i in (*ids, *claims)))
    for workflow_id, description in zip(ids, found[: len(ids)], strict=True):
        # A name slugged to "claim" reads as an old claim ID: only a campaign counts.
        if description is not None and description.workflow_type == CAMPAIGN_WORKFLOW:
            return workflow_id
    for description in found[len(ids) :]:
        if description is not None and description.workflow_type == CLAIM_WORKFLOW and description.parent_id:
            return description.parent_id
    if not IDEMPOTENCY_KEY_PATTERN.fullmatch(key):  # only such keys are quoted into a query
        return None
    query = f'WorkflowType = "{CAMPAIGN_WORKFLOW}" AND {sa.IDEMPOTENCY_KEY.name} = "{key}"'
    try:
        async for execution in client.list_workflows(query, limit=1):
            return execution.id
    except RPCError as err:
        # A server without visibility (Temporal's time-skipping test server), or one without the IdempotencyKey
        # attribute (then no campaign carries it; `starter.py setup-search-attributes` adds it): the claims answer.
        if err.status not in (RPCStatusCode.UNIMPLEMENTED, RPCStatusCode.INVALID_ARGUMENT):
            raise
    return None


async def launch_workflow_id(client: Client, key: str, campaign_name: str) -> str:
    """The ID to start a campaign under: the one its key already names, else `campaign-<name slug>-<key>`.
    Two first triggers of one caller-given key with different names, within visibility's lag, may still start two
    workflows; the key's claim lets only one of them upload and launch (the other ends as "duplicate")."""
    return await existing_campaign_id(client, key, campaign_name) or workflow_id_for(key, campaign_name)
