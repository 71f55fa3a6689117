"""The Ringg client against the simulator over real HTTP: every endpoint, every upload-status vocabulary and
both check-balance shapes, parsed into the typed models."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from pydantic import SecretStr

from devtools.sample_csv import DEFAULT_MAP, write_sample_csv
from ringg import (
    CampaignForm,
    HistoryQuery,
    MakeCallAsyncRequest,
    RinggClient,
    RinggUnauthorized,
    StartRequest,
    StartV2Request,
    TerminateRequest,
    UploadState,
    make_http_client,
)
from ringg_sim.config import DEFAULT_POOL_ID
from ringg_sim.testing import RunningSimulator, SimAdmin, running_simulator

pytestmark = pytest.mark.integration

KEY = "sim-client-key-0c4d"
NUMBER_ID = "3b1f5c2e-8a41-4d0b-9c7e-1a2b3c4d5e01"
AGENT = "agent-client"


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with running_simulator(api_key=KEY, time_scale=0.002) as running:
        yield running


@pytest_asyncio.fixture
async def client(sim: RunningSimulator) -> AsyncIterator[RinggClient]:
    async with make_http_client(sim.base_url, SecretStr(KEY)) as http:
        yield RinggClient(http)


@pytest.fixture
def window(sim: RunningSimulator) -> dict[str, Any]:
    """The window and call_config of a campaign open now on the simulator's clock."""
    with SimAdmin(sim) as admin:
        return admin.window()


def form(name: str, window: dict[str, Any], **fields: Any) -> CampaignForm:
    return CampaignForm(
        agent_id=AGENT, campaign_name=name, country_code="+91", variables_map=DEFAULT_MAP, **window, **fields
    )


async def wait_ready(client: RinggClient, list_id: str) -> None:
    for _ in range(200):
        status = await client.upload_status(list_id)
        if status.state is not UploadState.PENDING:
            assert status.state is UploadState.READY, status
            return
        await asyncio.sleep(0.05)
    raise AssertionError("upload never finished processing")


@pytest.mark.parametrize("vocabulary", ["documented", "verifying", "fixture"])
@pytest.mark.parametrize("shape", ["A", "B"])
async def test_large_flow_endpoints(
    client: RinggClient, sim: RunningSimulator, tmp_path: Path, vocabulary: str, shape: str, window: dict[str, Any]
) -> None:
    with SimAdmin(sim) as admin:
        admin.configure(upload_vocabulary=vocabulary, balance_shape=shape, call_rate=200.0)
    csv_path = write_sample_csv(tmp_path / "c.csv", 30, invalid_every=10)
    name = f"client-large-{uuid.uuid4().hex[:6]}"
    uploaded = await client.upload_csv(form(name, window, remove_invalid_rows=True), csv_path)
    assert uploaded.bulk_list_id
    await wait_ready(client, uploaded.bulk_list_id)
    status = await client.upload_status(uploaded.bulk_list_id)
    assert status.total == 27 and status.invalidated_rows_count == 3 and status.invalidated_rows_csv_url
    assert await client.download(status.invalidated_rows_csv_url, tmp_path / "invalid.csv") > 0
    balance = await client.check_balance(uploaded.bulk_list_id)
    assert balance.is_sufficient is True
    launched = await client.make_call_async(
        MakeCallAsyncRequest(
            bulk_list_id=uploaded.bulk_list_id, agent_id=AGENT, country_code="+91", from_numbers=[NUMBER_ID], **window
        )
    )
    assert launched.status == "scheduled"
    found = await client.find_campaigns(name)
    assert [c.id for c in found] == [uploaded.bulk_list_id] and found[0].campaign_status in ("scheduled", "ongoing")
    now = datetime.now(UTC)
    page = await client.call_history(
        HistoryQuery(
            bulk_list_id=uploaded.bulk_list_id, start_date=now - timedelta(days=1), end_date=now + timedelta(days=1)
        )
    )
    assert page.total == 27 and len(page.calls) == 27
    terminated = await client.terminate(TerminateRequest(campaign_id=uploaded.bulk_list_id))
    assert terminated.message


async def test_standard_flow_endpoints(client: RinggClient, tmp_path: Path, window: dict[str, Any]) -> None:
    csv_path = write_sample_csv(tmp_path / "c.csv", 12)
    first = await client.save_campaign(form(f"client-std-{uuid.uuid4().hex[:6]}", window), csv_path)
    second = await client.save_campaign(form(f"client-std-{uuid.uuid4().hex[:6]}", window), csv_path)
    assert first.list_id != second.list_id and first.total_rows == 12
    started = await client.start_campaign(StartRequest(agent_id=AGENT, list_id=first.list_id, from_numbers=[NUMBER_ID]))
    assert started.status
    pooled = await client.start_campaign_v2(
        StartV2Request(agent_id=AGENT, list_id=second.list_id, number_pool_id=DEFAULT_POOL_ID)
    )
    assert pooled.status


async def test_workspace_endpoints(client: RinggClient) -> None:
    numbers = await client.all_workspace_numbers(page_size=2)
    assert len(numbers) == 5 and any(n.is_spam for n in numbers) and any(n.number_pool_id for n in numbers)
    info = await client.workspace()
    assert info.credits is not None and "api_key" not in info.model_dump()


async def test_wrong_key_is_unauthorized(sim: RunningSimulator) -> None:
    async with make_http_client(sim.base_url, SecretStr("wrong-key")) as http:
        with pytest.raises(RinggUnauthorized) as info:
            await RinggClient(http).workspace()
    assert "wrong-key" not in str(info.value)
