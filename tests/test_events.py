"""Events out, without a server: signatures (domain.event_signing), the events_url rules (domain.event_targets and
request_problems), the CAMPAIGN_EVENTS_* settings, and the delivery activity against httpx.MockTransport."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.events.delivery import EventActivities
from contract.campaign import CampaignRequest
from contract.errors import EVENT_RECEIVER_ERROR, EVENT_REFUSED, EVENTS_NOT_CONFIGURED
from contract.events import CampaignEvent, CheckEventsInput, DeliverEventInput, EventCampaign
from contract.program import ProgramRequest
from domain.event_signing import SignatureInvalid, event_id, signature, verify
from domain.event_targets import EventTargets, event_targets_from_env, event_url_problem, events_url_problems
from domain.validation import request_problems
from runtime.settings import SettingsError, WorkerSettings
from tests.event_helpers import doc_verifier

SECRET = "events-secret-for-tests-0123456789"
URL = "http://127.0.0.1:9/hooks/campaigns"
LOOPBACK = EventTargets(hosts=frozenset({"127.0.0.1"}), allow_private=True)


def event(sequence: int = 1, event_type: str = "campaign.started") -> CampaignEvent:
    return CampaignEvent(
        id=event_id("wf-1", event_type, sequence),
        type=event_type,
        sequence=sequence,
        occurred_at="2026-12-04T10:00:00.000+00:00",
        campaign=EventCampaign(workflow_id="wf-1", name="Renewals", idempotency_key="k-1", list_id=None),
        data={"data_rows": 3},
    )


# -- signatures -------------------------------------------------------------------------------------------


def test_a_signature_verifies_and_names_its_timestamp() -> None:
    body = b'{"id":"evt_1"}'
    header = signature(SECRET, 1_800_000_000, body)
    assert header.startswith("t=1800000000,v1=") and len(header.split("v1=")[1]) == 64
    assert verify(SECRET, header, body, now=1_800_000_010) == 1_800_000_000


@pytest.mark.parametrize(
    ("header_secret", "body", "now", "why"),
    [
        (SECRET, b'{"id":"evt_2"}', 1_800_000_000, "no v1 signature matches the body"),  # tampered body
        ("another-secret-entirely-0000", b'{"id":"evt_1"}', 1_800_000_000, "no v1 signature matches"),
        (SECRET, b'{"id":"evt_1"}', 1_800_000_301, "more than 300s away from now"),  # an old delivery replayed
        (SECRET, b'{"id":"evt_1"}', 1_799_999_699, "more than 300s away from now"),  # from the future
    ],
)
def test_a_signature_is_refused_for_a_changed_body_a_wrong_secret_or_an_old_timestamp(
    header_secret: str, body: bytes, now: int, why: str
) -> None:
    header = signature(header_secret, 1_800_000_000, b'{"id":"evt_1"}')
    with pytest.raises(SignatureInvalid, match=why):
        verify(SECRET, header, body, now=now)


@pytest.mark.parametrize("header", ["", "v1=abc", "t=abc,v1=00", "t=1,t=2,v1=00"])
def test_a_malformed_signature_header_is_refused(header: str) -> None:
    with pytest.raises(SignatureInvalid):
        verify(SECRET, header, b"{}", now=1)


def test_an_event_id_is_the_same_for_the_same_event_and_differs_otherwise() -> None:
    assert event_id("wf", "campaign.progress", 4) == event_id("wf", "campaign.progress", 4)
    assert len({event_id("wf", "campaign.progress", 4), event_id("wf", "campaign.progress", 5),
                event_id("wf2", "campaign.progress", 4), event_id("wf", "campaign.launched", 4)}) == 4  # fmt: skip


# -- the events_url rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "step", "problems"),
    [
        ("https://hooks.example.com/campaigns?k=1", 10, []),
        (None, 0, []),
        ("ftp://hooks.example.com/x", 10, ["events_url must be an http:// or https:// URL"]),
        ("https://user:pw@hooks.example.com/x", 10, [
            "events_url must not carry a user name or password: the receiver checks the X-Campaign-Signature header"
        ]),
        ("https:///x", 10, ["events_url 'https:///x' names no host"]),
        ("https://hooks.example.com:99999/x", 10, [
            "events_url 'https://hooks.example.com/x' has a port that is not a number from 0 to 65535"
        ]),
        ("https://hooks.example.com/" + "a" * 2048, 10, ["events_url is longer than 2048 characters"]),
        (None, 101, ["events_progress_step must be between 0 (no progress events) and 100, got 101"]),
        (None, -1, ["events_progress_step must be between 0 (no progress events) and 100, got -1"]),
    ],
)  # fmt: skip
def test_events_url_shape_rules(url: str | None, step: int, problems: list[str]) -> None:
    assert events_url_problems(url, step) == problems


def test_request_problems_apply_the_events_rules_and_old_requests_mean_the_same() -> None:
    base: dict[str, Any] = {
        "campaign_name": "Renewals",
        "agent_id": "agent-1",
        "csv_uri": "/tmp/x.csv",
        "from_numbers": ["n1"],
        "campaign_start_time": "18/10/2026, 09:00",
        "campaign_end_time": "18/10/2026, 18:00",
        "call_config": {"call_time": {"call_start_time": "09:00", "call_end_time": "18:00"}},
    }
    old = CampaignRequest.model_validate(base)
    assert old.events_url is None and old.events_progress_step == 10 and request_problems(old) == []
    bad = CampaignRequest.model_validate(
        {**base, "events_url": "http://u:p@h.example.com/", "events_progress_step": 200}
    )
    assert request_problems(bad) == [
        "events_progress_step must be between 0 (no progress events) and 100, got 200",
        "events_url must not carry a user name or password: the receiver checks the X-Campaign-Signature header",
    ]
    # A program's waves are CampaignRequests built from wave_base: they carry the events settings.
    program = ProgramRequest.model_validate(
        {**base, "events_url": "https://h.example.com/e", "events_progress_step": 25, "follow_up": [
            {"statuses": ["no_answer"], "after": "1h"}]}
    )  # fmt: skip
    wave = CampaignRequest.model_validate({**program.wave_base(), "csv_uri": "/tmp/w.csv"})
    assert (wave.events_url, wave.events_progress_step) == ("https://h.example.com/e", 25)


@pytest.mark.parametrize(
    ("url", "targets", "problem"),
    [
        ("https://hooks.example.com/x", EventTargets(frozenset({"hooks.example.com"})), None),
        ("https://a.hooks.example.com/x", EventTargets(frozenset({"*.hooks.example.com"})), None),
        (
            "https://other.example.com/x?token=s3cret",
            EventTargets(frozenset({"hooks.example.com"})),
            "events_url 'https://other.example.com/x?…': the host 'other.example.com' is not one events may be sent "
            "to (CAMPAIGN_EVENTS_URL_HOSTS=hooks.example.com); add it to CAMPAIGN_EVENTS_URL_HOSTS on the workers",
        ),
        (
            "http://127.0.0.1:8080/x",
            EventTargets(frozenset({"127.0.0.1"})),
            "events_url: the host '127.0.0.1' resolves to 127.0.0.1, a loopback address; events are sent to public "
            "addresses only, unless CAMPAIGN_EVENTS_URL_ALLOW_PRIVATE=1 on the workers",
        ),
        ("http://127.0.0.1:8080/x", LOOPBACK, None),
        (
            "http://169.254.169.254/latest",
            EventTargets(frozenset({"169.254.169.254"}), allow_private=True),
            "events_url: the host '169.254.169.254' resolves to 169.254.169.254, a link-local address, where cloud "
            "metadata services answer; events are never sent there",
        ),
    ],
)
def test_events_url_host_and_address_rules(url: str, targets: EventTargets, problem: str | None) -> None:
    assert event_url_problem(url, targets) == problem


def test_events_settings_are_read_like_the_csv_ones(tmp_path: Path) -> None:
    env = {
        "CAMPAIGN_EVENTS_URL_HOSTS": " Hooks.Example.com., *.crm.example.net ",
        "CAMPAIGN_EVENTS_URL_ALLOW_PRIVATE": "1",
    }
    assert event_targets_from_env(env) == EventTargets(frozenset({"hooks.example.com", "*.crm.example.net"}), True)
    with pytest.raises(ValueError, match=r"CAMPAIGN_EVENTS_URL_HOSTS entry 'https://x.example.com' must be a host"):
        event_targets_from_env({"CAMPAIGN_EVENTS_URL_HOSTS": "https://x.example.com"})
    secret_file = tmp_path / "events.secret"
    secret_file.write_text("from-the-file-0123456789\n")
    base = {"RINGG_API_KEY": "k", "TEMPORAL_ADDRESS": "localhost:7233", "TEMPORAL_NAMESPACE": "default"}
    settings = WorkerSettings.from_env(
        {**base, "CAMPAIGN_EVENTS_SECRET": "from-the-env-0123456789", "CAMPAIGN_EVENTS_SECRET_FILE": str(secret_file)}
    )
    assert settings.events_secret is not None
    assert settings.events_secret.get_secret_value() == "from-the-file-0123456789", "the file wins"
    assert WorkerSettings.from_env(base).events_secret is None
    with pytest.raises(SettingsError, match="CAMPAIGN_EVENTS_SECRET must be a random string of 16 characters"):
        WorkerSettings.from_env({**base, "CAMPAIGN_EVENTS_SECRET": "short"})
    with pytest.raises(SettingsError, match="CAMPAIGN_EVENTS_SECRET_FILE='/nonexistent/s' cannot be read"):
        WorkerSettings.from_env({**base, "CAMPAIGN_EVENTS_SECRET_FILE": "/nonexistent/s"})


# -- the delivery activity --------------------------------------------------------------------------------


class Receiver:
    """A MockTransport handler answering `status`, keeping every request it got."""

    def __init__(self, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self.status, self.headers = status, headers or {}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status, headers=self.headers, text="receiver body is never read")


def activities(receiver: Receiver, secret: str | None = SECRET, targets: EventTargets = LOOPBACK) -> EventActivities:
    return EventActivities(SecretStr(secret) if secret else None, targets, transport=httpx.MockTransport(receiver))


async def test_a_2xx_answer_delivers_a_signed_event_with_its_id_and_type() -> None:
    receiver = Receiver(204)
    sent = event()
    result = await ActivityEnvironment().run(activities(receiver).deliver_event, DeliverEventInput(url=URL, event=sent))
    assert result.status == "delivered" and result.http_status == 204
    (request,) = receiver.requests
    assert request.method == "POST" and str(request.url) == URL
    assert request.headers["X-Campaign-Event-Id"] == sent.id
    assert request.headers["X-Campaign-Event-Type"] == "campaign.started"
    assert verify(SECRET, request.headers["X-Campaign-Signature"], request.content, now=time.time())
    body = json.loads(request.content)
    assert set(body) == {"id", "type", "sequence", "occurred_at", "campaign", "data"}
    assert body["campaign"] == {"workflow_id": "wf-1", "name": "Renewals", "idempotency_key": "k-1", "list_id": None}


@pytest.mark.parametrize(("status", "retry_after"), [(500, None), (503, None), (408, None), (429, 7.0)])
async def test_a_server_error_timeout_or_rate_limit_is_retried(status: int, retry_after: float | None) -> None:
    receiver = Receiver(status, {"Retry-After": "7"} if status == 429 else None)
    with pytest.raises(ApplicationError) as info:
        await ActivityEnvironment().run(activities(receiver).deliver_event, DeliverEventInput(url=URL, event=event()))
    assert info.value.type == EVENT_RECEIVER_ERROR and not info.value.non_retryable
    assert f"answered HTTP {status}" in info.value.message
    delay = info.value.next_retry_delay
    assert (delay.total_seconds() if delay else None) == retry_after


@pytest.mark.parametrize(("status", "why"), [(410, "(it)"), (400, "(it)"), (302, "a redirect, which is not followed")])
async def test_a_4xx_or_a_redirect_is_refused_and_not_retried(status: int, why: str) -> None:
    receiver = Receiver(status, {"Location": "http://127.0.0.1:9/elsewhere"})
    with pytest.raises(ApplicationError) as info:
        await ActivityEnvironment().run(activities(receiver).deliver_event, DeliverEventInput(url=URL, event=event()))
    assert info.value.type == EVENT_REFUSED and info.value.non_retryable
    assert "refused event campaign.started" in info.value.message and why in info.value.message
    assert len(receiver.requests) == 1, "a redirect was followed"


async def test_without_a_secret_nothing_is_sent_and_the_error_names_the_setting() -> None:
    receiver = Receiver(200)
    acts = activities(receiver, secret=None)
    for run in (
        ActivityEnvironment().run(acts.deliver_event, DeliverEventInput(url=URL, event=event())),
        ActivityEnvironment().run(acts.check_events, CheckEventsInput(url=URL, campaign_name="Renewals")),
    ):
        with pytest.raises(ApplicationError) as info:
            await run
        assert info.value.type == EVENTS_NOT_CONFIGURED and info.value.non_retryable
        assert "the workers have no CAMPAIGN_EVENTS_SECRET (or CAMPAIGN_EVENTS_SECRET_FILE)" in info.value.message
    assert receiver.requests == []


async def test_a_host_or_address_the_settings_refuse_fails_the_check_before_anything_is_sent() -> None:
    receiver = Receiver(200)
    for targets, why in (
        (EventTargets(), "is not one events may be sent to (CAMPAIGN_EVENTS_URL_HOSTS=(none))"),
        (EventTargets(frozenset({"127.0.0.1"})), "unless CAMPAIGN_EVENTS_URL_ALLOW_PRIVATE=1"),
        (EventTargets(frozenset({"localhost"})), "a loopback address"),  # a name resolved, then its address checked
    ):
        acts = activities(receiver, targets=targets)
        url = URL if "localhost" not in targets.hosts else "http://localhost:9/x"
        with pytest.raises(ApplicationError) as info:
            await ActivityEnvironment().run(acts.check_events, CheckEventsInput(url=url, campaign_name="Renewals"))
        assert info.value.type == EVENTS_NOT_CONFIGURED and info.value.non_retryable
        assert info.value.message.startswith("Campaign 'Renewals' was not started: ") and why in info.value.message
    assert receiver.requests == []
    ok = await ActivityEnvironment().run(activities(receiver).check_events, CheckEventsInput(url=URL))
    assert ok.addresses == 1 and receiver.requests == [], "the check sends nothing"


async def test_the_verification_snippet_in_the_docs_accepts_a_real_delivery_and_refuses_a_changed_one() -> None:
    receiver = Receiver(200)
    await ActivityEnvironment().run(activities(receiver).deliver_event, DeliverEventInput(url=URL, event=event()))
    (request,) = receiver.requests
    verify_campaign_event = doc_verifier()
    header = request.headers["X-Campaign-Signature"]
    assert verify_campaign_event(SECRET, header, request.content) is True
    assert verify_campaign_event(SECRET, header, request.content.replace(b"Renewals", b"Renewal5")) is False
    assert verify_campaign_event("another-secret-entirely-0000", header, request.content) is False
    old = signature(SECRET, int(time.time()) - 3600, request.content)
    assert verify_campaign_event(SECRET, old, request.content) is False
