"""Campaign workflow IDs that read like a campaign list: the name's slug, then the key (domain.idempotency)."""

from __future__ import annotations

import re

import pytest

from domain.idempotency import (
    SLUG_MAX,
    campaign_slug,
    claim_workflow_id_for,
    derive_key,
    legacy_claim_workflow_id_for,
    legacy_workflow_id_for,
    workflow_id_for,
)

KEY = "ik-" + "0123456789abcdef" * 2 + "01234567"
SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Renewals March", "renewals-march"),
        ("  Renewals   March  ", "renewals-march"),
        ("Renewals — März 2026!", "renewals-marz-2026"),
        ("Café crème", "cafe-creme"),
        ("ﬁle ① (copy)", "file-1-copy"),
        ("Q4/2026: win-back__leads", "q4-2026-win-back-leads"),
        ("🎉 Diwali 🎉 offers", "diwali-offers"),
        ("🎉🎉", ""),
        ("दिवाली अभियान", ""),
        ("", ""),
        ("---", ""),
    ],
)
def test_slug_is_lower_case_ascii_digits_and_hyphens(name: str, slug: str) -> None:
    assert campaign_slug(name) == slug
    assert slug == "" or SLUG.fullmatch(slug)


def test_slug_is_bounded_and_never_ends_with_a_hyphen() -> None:
    long = campaign_slug("renewals " * 30)
    assert len(long) <= SLUG_MAX and SLUG.fullmatch(long) and long.startswith("renewals-renewals")
    assert campaign_slug("x" * (SLUG_MAX - 1) + " y") == "x" * (SLUG_MAX - 1)  # cut at the hyphen, not after it


def test_ids_start_with_the_name_and_end_with_the_key() -> None:
    assert workflow_id_for(KEY, "Renewals March") == f"campaign-renewals-march-{KEY}"
    assert workflow_id_for(KEY, "Renewals March") == workflow_id_for(KEY, " renewals  march ")  # deterministic
    assert len(workflow_id_for(KEY, "a" * 1000)) == len("campaign-") + SLUG_MAX + 1 + len(KEY)


def test_a_name_without_ascii_gives_the_old_shape() -> None:
    assert workflow_id_for(KEY, "🎉") == workflow_id_for(KEY, "") == legacy_workflow_id_for(KEY) == f"campaign-{KEY}"


def test_the_default_key_fixes_the_slug() -> None:
    """The default key is derived from the name: one key, one name, one ID."""
    a = derive_key("h", "agent", "Renewals March", None, None)
    b = derive_key("h", "agent", "Renewals march", None, None)  # another name that slugs the same
    assert a != b and workflow_id_for(a, "Renewals March") != workflow_id_for(b, "Renewals march")


def test_claims_sort_and_filter_apart_from_campaigns() -> None:
    claim = claim_workflow_id_for(KEY)
    assert claim == f"zz-claim-{KEY}" and not claim.startswith("campaign-")
    assert legacy_claim_workflow_id_for(KEY) == f"campaign-claim-{KEY}"
    ids = sorted([claim, workflow_id_for(KEY, "zebra"), workflow_id_for(KEY, "Alpha"), workflow_id_for(KEY)])
    assert ids[-1] == claim
