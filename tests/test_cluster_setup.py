"""`python -m runtime.cluster_setup` (the compose file's temporal-setup job) on the dev server: a fresh namespace gets
registered with the five Keyword search attributes, a second run changes nothing, a clashing type is refused."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from client.cluster import SetupError, ensure_namespace, setup_cluster, wanted_attributes
from contract.search_attributes import ALL_KEYS

ROOT = Path(__file__).resolve().parent.parent
KEYWORD = IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD


@pytest.fixture(autouse=True)
def _needs_a_real_server(request: pytest.FixtureRequest) -> None:
    if "env" in request.fixturenames and request.getfixturevalue("env").supports_time_skipping:
        pytest.skip("the time-skipping test server has no namespace or search attribute administration")


def _namespace() -> str:
    return f"setup-{uuid.uuid4().hex[:10]}"


async def _custom(client: Client, namespace: str) -> dict[str, int]:
    response = await client.operator_service.list_search_attributes(ListSearchAttributesRequest(namespace=namespace))
    return dict(response.custom_attributes)


def test_wanted_attributes_are_the_workflows_keys() -> None:
    assert wanted_attributes() == {key.name: KEYWORD for key in ALL_KEYS}
    assert set(wanted_attributes()) == {"CampaignName", "CampaignStage", "BulkListId", "AgentId", "IdempotencyKey"}


async def test_fresh_namespace_is_registered_with_the_search_attributes(env: WorkflowEnvironment) -> None:
    namespace = _namespace()

    first = await setup_cluster(env.client, namespace, timedelta(days=3), timeout_s=60)

    assert first.namespace_created
    assert first.added == sorted(wanted_attributes()) and first.present == []
    described = await env.client.workflow_service.describe_namespace(DescribeNamespaceRequest(namespace=namespace))
    assert described.config.workflow_execution_retention_ttl.ToTimedelta() == timedelta(days=3)
    custom = await _custom(env.client, namespace)
    assert {name: custom.get(name) for name in wanted_attributes()} == wanted_attributes()

    again = await setup_cluster(env.client, namespace, timedelta(days=3), timeout_s=60)
    assert (again.namespace_created, again.added, again.present) == (False, [], sorted(wanted_attributes()))


async def test_existing_namespace_is_left_alone(env: WorkflowEnvironment) -> None:
    # The dev server's `default` namespace exists with the attributes (start-dev --search-attribute).
    assert not await ensure_namespace(env.client, "default", timedelta(days=1), deadline=1e12)
    report = await setup_cluster(env.client, "default", timedelta(days=1), timeout_s=30)
    assert (report.namespace_created, report.added) == (False, [])


async def test_a_name_registered_with_another_type_is_refused(env: WorkflowEnvironment) -> None:
    namespace = _namespace()
    assert await ensure_namespace(env.client, namespace, timedelta(days=1), deadline=1e12)
    text = AddSearchAttributesRequest(
        search_attributes={"CampaignStage": IndexedValueType.INDEXED_VALUE_TYPE_TEXT}, namespace=namespace
    )
    for _ in range(100):  # a namespace just registered reaches the frontend's cache within seconds
        try:
            await env.client.operator_service.add_search_attributes(text)
            break
        except RPCError:
            await asyncio.sleep(0.2)

    with pytest.raises(SetupError, match=r"CampaignStage is Text, the workflows need Keyword"):
        await setup_cluster(env.client, namespace, timedelta(days=1), timeout_s=30)
    custom = await _custom(env.client, namespace)
    assert custom["CampaignStage"] == IndexedValueType.INDEXED_VALUE_TYPE_TEXT, "a clash is never changed"


def test_the_module_runs_as_the_compose_job_does(env: WorkflowEnvironment) -> None:
    namespace = _namespace()
    address = env.client.service_client.config.target_host
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("TEMPORAL_")}
    child_env.update({"TEMPORAL_ADDRESS": address, "TEMPORAL_NAMESPACE": namespace})

    done = subprocess.run(
        [sys.executable, "-m", "runtime.cluster_setup", "--retention-days", "2", "--timeout-s", "60"],
        cwd=ROOT,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=90,
    )

    assert done.returncode == 0, done.stderr
    assert f"namespace {namespace}: registered" in done.stdout
    assert "search attributes added: AgentId, BulkListId, CampaignName, CampaignStage, IdempotencyKey" in done.stdout


def test_bad_arguments_are_refused() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "runtime.cluster_setup", "--retention-days", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2 and "--retention-days must be 1 or more" in done.stderr
