"""RinggActivities against a fake Ringg: launch_campaign (the documented bodies of each flow, never sent twice, a 400
for an already started list) and its retry after an attempt that died mid-POST."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from pydantic import SecretStr
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.ringg.activities import RinggActivities
from ringg import RinggClient, make_http_client
from tests.ringg_activity_helpers import (
    AGENT,
    BASE,
    KEY,
    LIST_ID,
    SCHEDULE,
    TAGGED_NAME,
    FakeRingg,
    failure,
    launch_input,
    posts,
    run,
    run_with_retry,
)
from tests.ringg_activity_helpers import acts as acts  # fixtures: pytest finds them by these names
from tests.ringg_activity_helpers import ringg as ringg

# --- launch_campaign -----------------------------------------------------------------------------------------


async def test_large_launch_posts_make_call_async_once_with_the_documented_fields(
    ringg: FakeRingg, acts: RinggActivities
) -> None:
    ringg.add_campaign(LIST_ID, TAGGED_NAME, "draft")
    inp = launch_input(
        campaign_start_time="18/10/2026, 09:00",
        campaign_end_time="18/10/2026, 18:00",
        call_config={"timezone": "Asia/Kolkata", "max_retries": 2},
        from_numbers=["num-1", "num-2"],
        concurrency_percentage=40,
        callback_url="https://hooks.example.test/ringg",
        email_completion_user_ids=["user-1"],
    )

    result = await run(acts.launch_campaign, inp)

    assert result.ringg_status == "scheduled" and not result.already_launched
    assert posts(ringg) == ["POST campaign/make-call-async"]
    assert json.loads(ringg.sent("POST campaign/make-call-async")[0].content) == {
        "bulk_list_id": LIST_ID,
        "agent_id": AGENT,
        "country_code": "+91",
        "campaign_start_time": "18/10/2026, 09:00",
        "campaign_end_time": "18/10/2026, 18:00",
        "call_config": {"timezone": "Asia/Kolkata", "max_retries": 2},
        "from_numbers": ["num-1", "num-2"],
        "concurrency_percentage": 40,
        "callback_url": "https://hooks.example.test/ringg",
        "email_completion_user_ids": ["user-1"],
    }


async def test_large_launch_with_a_pool_omits_absent_fields(ringg: FakeRingg, acts: RinggActivities) -> None:
    ringg.add_campaign(LIST_ID, TAGGED_NAME, "draft")

    await run(acts.launch_campaign, launch_input(number_pool_id="pool-9"))

    assert posts(ringg) == ["POST campaign/make-call-async"]
    assert json.loads(ringg.sent("POST campaign/make-call-async")[0].content) == {
        "bulk_list_id": LIST_ID,
        "agent_id": AGENT,
        "country_code": "+91",
        **SCHEDULE,
        "number_pool_id": "pool-9",
        "concurrency_percentage": 0,
    }


@pytest.mark.parametrize("missing", ["campaign_start_time", "campaign_end_time", "call_config"])
async def test_a_large_launch_without_the_window_is_refused_before_sending(
    ringg: FakeRingg, acts: RinggActivities, missing: str
) -> None:
    """Ringg's make-call-async answers 422 without them (D-async's schema): nothing is sent."""
    ringg.add_campaign(LIST_ID, TAGGED_NAME, "draft")

    absent: dict[str, Any] = {missing: {} if missing == "call_config" else None}
    err = await failure(acts.launch_campaign, launch_input(**absent))

    assert err.non_retryable and err.type == "InvalidCampaignRequest"
    assert missing in str(err) and posts(ringg) == []


async def test_standard_launch_with_a_pool_uses_v2_start(ringg: FakeRingg, acts: RinggActivities) -> None:
    ringg.add_campaign(LIST_ID, TAGGED_NAME, "draft")
    inp = launch_input("standard", number_pool_id="pool-9", callback_url="https://hooks.example.test/ringg")

    result = await run(acts.launch_campaign, inp)

    assert result.ringg_status == "scheduled" and not result.already_launched
    assert posts(ringg) == ["POST campaign/v2/start"]
    assert json.loads(ringg.sent("POST campaign/v2/start")[0].content) == {
        "agent_id": AGENT,
        "list_id": LIST_ID,
        "number_pool_id": "pool-9",
        "callback_url": "https://hooks.example.test/ringg",
    }


async def test_standard_launch_with_numbers_uses_start(ringg: FakeRingg, acts: RinggActivities) -> None:
    ringg.add_campaign(LIST_ID, TAGGED_NAME, "draft")

    result = await run(acts.launch_campaign, launch_input("standard", from_numbers=["num-1"]))

    assert result.ringg_status == "scheduled"
    assert posts(ringg) == ["POST campaign/start"]
    assert json.loads(ringg.sent("POST campaign/start")[0].content) == {
        "agent_id": AGENT,
        "list_id": LIST_ID,
        "from_numbers": ["num-1"],
    }


@pytest.mark.parametrize("flow", ["large", "standard"])
@pytest.mark.parametrize("status", ["scheduled", "ongoing", "completed"])
async def test_launch_of_an_already_launched_list_sends_nothing(
    ringg: FakeRingg, acts: RinggActivities, flow: str, status: str
) -> None:
    ringg.add_campaign(LIST_ID, TAGGED_NAME, status)

    result = await run(acts.launch_campaign, launch_input(flow, from_numbers=["num-1"]))

    assert result.already_launched and result.ringg_status == status
    assert posts(ringg) == []


async def test_launch_after_a_lost_response_is_not_sent_twice(ringg: FakeRingg, acts: RinggActivities) -> None:
    ringg.add_campaign(LIST_ID, TAGGED_NAME, "draft")
    ringg.lose_response.add("POST campaign/make-call-async")

    result = await run_with_retry(acts.launch_campaign, launch_input(from_numbers=["num-1"]))

    assert result.already_launched and result.ringg_status == "scheduled"
    assert posts(ringg) == ["POST campaign/make-call-async"]


@pytest.mark.parametrize("flow", ["large", "standard"])
async def test_launch_400_already_started_is_a_success_once_ringg_shows_it_ongoing(
    ringg: FakeRingg, acts: RinggActivities, flow: str
) -> None:
    ringg.add_campaign(LIST_ID, TAGGED_NAME, "draft")
    ringg.launch_rejection = ("campaign already started", "ongoing")

    result = await run(acts.launch_campaign, launch_input(flow, from_numbers=["num-1"]))

    assert result.already_launched and result.ringg_status == "ongoing"
    assert len(posts(ringg)) == 1


async def test_launch_400_while_ringg_still_shows_draft_is_rejected(ringg: FakeRingg, acts: RinggActivities) -> None:
    ringg.add_campaign(LIST_ID, TAGGED_NAME, "draft")
    ringg.launch_rejection = ("CSV processing is not complete for this list yet", None)

    err = await failure(acts.launch_campaign, launch_input(from_numbers=["num-1"]))

    assert err.type == "RinggRejected" and err.non_retryable
    assert "CSV processing is not complete for this list yet" in err.message
    assert posts(ringg) == ["POST campaign/make-call-async"]
    assert ringg.status_of(LIST_ID) == "draft"


async def test_large_launch_treats_an_empty_from_numbers_list_as_absent(
    ringg: FakeRingg, acts: RinggActivities
) -> None:
    ringg.add_campaign(LIST_ID, TAGGED_NAME, "draft")

    result = await run(acts.launch_campaign, launch_input(from_numbers=[], number_pool_id="pool-9"))

    assert result.ringg_status == "scheduled"
    body = json.loads(ringg.sent("POST campaign/make-call-async")[0].content)
    assert body["number_pool_id"] == "pool-9" and "from_numbers" not in body


# -- a retry after an attempt that died (worker killed mid-POST) -------------------------------------------


def attempt_env(attempt: int, details: list[Any]) -> tuple[ActivityEnvironment, list[Any]]:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(
        env.info, attempt=attempt, heartbeat_details=details, heartbeat_timeout=timedelta(seconds=30)
    )
    beats: list[Any] = []
    env.on_heartbeat = lambda *d: beats.append(d)
    return env, beats


@pytest_asyncio.fixture
async def quick_acts(ringg: FakeRingg) -> AsyncIterator[RinggActivities]:
    async with make_http_client(BASE, SecretStr(KEY), transport=httpx.MockTransport(ringg)) as http:
        yield RinggActivities(RinggClient(http), confirm_within_s=0.5, confirm_every_s=0.05)


async def test_retry_after_a_dead_attempt_waits_for_its_launch_instead_of_sending_again(
    ringg: FakeRingg, quick_acts: RinggActivities
) -> None:
    ringg.add_campaign(LIST_ID, TAGGED_NAME, "draft")
    real_answer = ringg._answer
    gets = 0

    def answer(route: str, request: httpx.Request) -> httpx.Response:
        nonlocal gets
        if route == "GET campaign/all":
            gets += 1
            if gets == 2:  # the dead attempt's POST lands while this attempt watches
                ringg.campaigns[0]["status"] = "scheduled"
        return real_answer(route, request)

    ringg._answer = answer  # type: ignore[method-assign]
    env, _ = attempt_env(2, [{"attempt": 2, "settled": False}])
    result = await run(quick_acts.launch_campaign, launch_input(from_numbers=["num-1"]), env)
    assert result.already_launched and posts(ringg) == []


async def test_retry_after_a_dead_attempt_launches_once_its_window_passed(
    ringg: FakeRingg, quick_acts: RinggActivities
) -> None:
    ringg.add_campaign(LIST_ID, TAGGED_NAME, "draft")
    env, _ = attempt_env(3, [])  # the previous attempt never heartbeated: nothing is known of it
    result = await run(quick_acts.launch_campaign, launch_input(from_numbers=["num-1"]), env)
    assert not result.already_launched and posts(ringg) == ["POST campaign/make-call-async"]
    assert len(ringg.sent("GET campaign/all")) > 2, "the confirm window was skipped"


async def test_retry_after_a_definite_failure_sends_without_waiting(
    ringg: FakeRingg, quick_acts: RinggActivities
) -> None:
    ringg.add_campaign(LIST_ID, TAGGED_NAME, "draft")
    env, _ = attempt_env(2, [{"attempt": 1, "settled": True}])
    await run(quick_acts.launch_campaign, launch_input(from_numbers=["num-1"]), env)
    assert ringg.routes() == ["GET campaign/all", "POST campaign/make-call-async"]


@pytest.mark.parametrize(
    ("reply", "settled"),
    [
        (httpx.Response(429, json={"detail": "slow down"}), True),
        (httpx.Response(500, json={"detail": "boom"}), True),
        (httpx.ReadTimeout("timed out"), True),  # ambiguous: settled only after the confirm window found nothing
    ],
)
async def test_a_failed_attempt_records_whether_its_post_may_still_be_in_flight(
    ringg: FakeRingg, quick_acts: RinggActivities, reply: httpx.Response | Exception, settled: bool
) -> None:
    ringg.add_campaign(LIST_ID, TAGGED_NAME, "draft")
    ringg.fail("POST campaign/make-call-async", reply)
    env, beats = attempt_env(1, [])
    with pytest.raises(ApplicationError):
        await run(quick_acts.launch_campaign, launch_input(from_numbers=["num-1"]), env)
    assert beats[-1] == ({"attempt": 1, "settled": settled},)
    assert all(beat == ({"attempt": 1, "settled": False},) for beat in beats[:-1])
