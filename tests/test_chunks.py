"""domain.chunks: the chunk plan, each chunk's tag from the key and the chunk's number, the fallback decision and
one Ringg status for several lists."""

from __future__ import annotations

import itertools

import pytest

from contract.errors import CAMPAIGN_IN_CHUNKS, INSUFFICIENT_BALANCE, LARGE_FLOW_NOT_ENABLED, LARGE_FLOW_OFF, RINGG_AUTH
from domain.chunks import (
    CHUNK_ROWS,
    ChunkSpan,
    chunk_campaign_name,
    chunk_fallback,
    chunk_family_tag,
    chunk_plan,
    chunk_tag,
    combined_status,
    flow_note,
)
from domain.idempotency import ringg_tag, tagged_campaign_name


@pytest.mark.parametrize(
    ("rows", "sizes"),
    [
        (12_000, [4000, 4000, 4000]),
        (11_988, [3996, 3996, 3996]),
        (5_000, [2500, 2500]),
        (4_000, [4000]),
        (4_001, [2001, 2000]),
        (8_001, [2667, 2667, 2667]),
        (1, [1]),
    ],
)
def test_plan_splits_into_the_fewest_even_chunks(rows: int, sizes: list[int]) -> None:
    plan = chunk_plan(rows)
    assert [s.rows for s in plan] == sizes
    assert [s.number for s in plan] == list(range(1, len(sizes) + 1))
    assert [s.skip for s in plan] == list(itertools.accumulate([0, *sizes[:-1]]))
    assert all(s.rows <= CHUNK_ROWS for s in plan) and sum(sizes) == rows


def test_plan_of_a_million_rows_is_250_chunks() -> None:
    plan = chunk_plan(1_000_000)
    assert len(plan) == 250 and plan[-1] == ChunkSpan(250, 996_000, 4000)


def test_chunk_tags_come_from_the_key_and_the_chunk_number_only() -> None:
    key = "ik-0123"
    tags = [chunk_tag(key, n) for n in range(1, 1000)]
    assert len(set(tags)) == 999, "two chunks share a tag"
    assert chunk_tag(key, 2) == chunk_tag(key, 2) and chunk_tag(key, 2) != chunk_tag("ik-0124", 2)
    assert all(t.startswith(chunk_family_tag(key)) for t in tags)
    # Ringg's state is searched by substring: no chunk tag may hold another, nor the key's own whole-list tag.
    assert not [(a, b) for a in tags[:120] for b in tags if a != b and a in b]
    assert ringg_tag(key) not in chunk_campaign_name("Renewals", key, 1, 3)
    assert chunk_family_tag(key) not in tagged_campaign_name("Renewals", key)
    assert chunk_tag(key, 7) == chunk_family_tag(key) + "007" and chunk_family_tag(key)[3:-1] == ringg_tag(key)[3:]
    with pytest.raises(ValueError, match=r"outside 1\.\.999"):
        chunk_tag(key, 1000)


def test_chunk_names_say_which_part_they_are() -> None:
    assert chunk_campaign_name(" Renewals ", "ik-1", 2, 3) == f"Renewals (part 2/3) [{chunk_tag('ik-1', 2)}]"


@pytest.mark.parametrize(
    ("flow", "error_type", "reason"),
    [
        ("auto", LARGE_FLOW_NOT_ENABLED, "large flow not enabled on this workspace"),
        ("auto", LARGE_FLOW_OFF, "large flow turned off on the worker (RINGG_LARGE_FLOW=off)"),
        ("auto", CAMPAIGN_IN_CHUNKS, "this campaign already runs in chunks on Ringg"),
        ("large", LARGE_FLOW_NOT_ENABLED, None),
        ("large", LARGE_FLOW_OFF, None),
        ("large", CAMPAIGN_IN_CHUNKS, "this campaign already runs in chunks on Ringg"),
        ("auto", RINGG_AUTH, None),
        ("auto", INSUFFICIENT_BALANCE, None),
        ("auto", None, None),
    ],
)
def test_fallback_decision(flow: str, error_type: str | None, reason: str | None) -> None:
    assert chunk_fallback(flow, error_type) == reason


def test_flow_note() -> None:
    assert flow_note("large flow not enabled on this workspace", 3) == (
        "large flow not enabled on this workspace: standard flow in 3 chunks"
    )
    assert flow_note("x", 1) == "x: standard flow in 1 chunk"


@pytest.mark.parametrize(
    ("statuses", "combined"),
    [
        (["completed", "completed"], "completed"),
        (["completed", "terminated"], "terminated"),
        (["failed", "completed"], "failed"),
        (["completed", "ongoing", "scheduled"], "ongoing"),
        (["scheduled", "completed"], "scheduled"),
        (["completed", None], None),
        (["ongoing", None], "ongoing"),
        ([None, None], None),
        ([], None),
        (["completed", "someday"], "someday"),
    ],
)
def test_combined_status(statuses: list[str | None], combined: str | None) -> None:
    assert combined_status(statuses) == combined
