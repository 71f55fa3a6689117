"""Idempotency keys: how a campaign is named in Temporal (workflow IDs) and tagged in Ringg (campaign name)."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata

# The campaign-name part of a workflow ID: at most this many characters of lower-case ASCII, digits and hyphens.
SLUG_MAX = 40
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
# Key claims (workflows.claim) run under this prefix: it sorts after every campaign and filters apart from them.
CLAIM_PREFIX = "zz-claim-"


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


def campaign_slug(campaign_name: str) -> str:
    """The name as it reads in a workflow ID: "Renewals März 2026!" -> "renewals-marz-2026"; "" when nothing of
    it is ASCII (emoji, Devanagari...). Written with the standard library on purpose: a transliteration library's
    tables change between releases, and the same request must always give the same workflow ID."""
    ascii_name = unicodedata.normalize("NFKD", campaign_name).encode("ascii", "ignore").decode("ascii")
    slug = _NOT_SLUG.sub("-", ascii_name.lower()).strip("-")
    return slug[:SLUG_MAX].rstrip("-")


def workflow_id_for(key: str, campaign_name: str = "") -> str:
    """A campaign's workflow ID: `campaign-<slug of its name>-<key>`, or `campaign-<key>` (the only shape before
    names were shown, and still the one for a name with no ASCII) when the slug is empty. The key decides: the
    default key is derived from the name, and a key given by the caller is looked up before an ID is chosen
    (client.key_lookup), so one key keeps one workflow ID."""
    slug = campaign_slug(campaign_name)
    return f"campaign-{slug}-{key}" if slug else f"campaign-{key}"


def legacy_workflow_id_for(key: str) -> str:
    """The ID campaigns were started under before their IDs held their names (and still the empty-slug shape)."""
    return workflow_id_for(key)


def claim_workflow_id_for(key: str) -> str:
    """The key's claim (workflows.claim): out of the way of campaigns in the UI's list, sorted and filtered apart."""
    return f"{CLAIM_PREFIX}{key}"


def legacy_claim_workflow_id_for(key: str) -> str:
    """The claim's ID for runs that took it before the claim prefix (replayed as they ran; see workflows.patches)."""
    return f"campaign-claim-{key}"
