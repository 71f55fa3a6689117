"""Idempotency keys: how a campaign is named in Temporal (workflow IDs) and tagged in Ringg (campaign name)."""

from __future__ import annotations

import hashlib
import json


def derive_key(
    content_hash: str,
    agent_id: str,
    campaign_name: str,
    campaign_start_time: str | None,
    campaign_end_time: str | None,
) -> str:
    """The default key: the same CSV bytes, agent, name and window always give the same key."""
    material = json.dumps(
        [content_hash, agent_id, campaign_name.strip(), campaign_start_time, campaign_end_time],
        separators=(",", ":"),
    )
    return "ik-" + hashlib.sha256(material.encode()).hexdigest()[:40]


def ringg_tag(key: str) -> str:
    """A short, fixed-shape tag for the key, embedded in the campaign name sent to Ringg so that Ringg's
    own state (/campaign/all) tells whether this key was already uploaded or launched."""
    return "rc-" + hashlib.sha256(key.encode()).hexdigest()[:16]


def tagged_campaign_name(campaign_name: str, key: str) -> str:
    return f"{campaign_name.strip()} [{ringg_tag(key)}]"


def workflow_id_for(key: str) -> str:
    return f"campaign-{key}"


def claim_workflow_id_for(key: str) -> str:
    return f"campaign-claim-{key}"
