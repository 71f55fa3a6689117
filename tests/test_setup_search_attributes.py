"""`starter.py setup-search-attributes` against the session dev server: it adds the five Keyword attributes once,
`--check` reports, and an attribute of another type is reported (exit 1), never changed."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from typing import Any

import pytest
from google.protobuf.duration_pb2 import Duration
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.api.workflowservice.v1 import RegisterNamespaceRequest
from temporalio.client import Client

from client.search_attribute_setup import WANTED, ensure_search_attributes
from devtools import devstack

pytestmark = pytest.mark.integration


async def fresh_namespace(client: Client) -> str:
    name = f"sa-setup-{uuid.uuid4().hex[:8]}"
    await client.workflow_service.register_namespace(
        RegisterNamespaceRequest(namespace=name, workflow_execution_retention_period=Duration(seconds=86400))
    )
    return name


async def setup_cli(dev_server: devstack.Proc, *args: str) -> tuple[int, str]:
    code, out, _ = await _run(dev_server, args, merged=True)
    return code, out


async def setup_cli_json(dev_server: devstack.Proc, *args: str) -> tuple[int, Any, str]:
    """With --json: (exit code, the JSON document on stdout, stderr)."""
    code, out, err = await _run(dev_server, (*args, "--json"), merged=False)
    return code, json.loads(out), err


async def _run(dev_server: devstack.Proc, args: tuple[str, ...], *, merged: bool) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "starter.py",
        "setup-search-attributes",
        *args,
        "--address",
        dev_server.extra["address"],
        cwd=devstack.ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT if merged else asyncio.subprocess.PIPE,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    return proc.returncode or 0, out.decode(), (err or b"").decode()


async def test_adds_missing_then_nothing(dev_server: devstack.Proc, stack_client: Client) -> None:
    namespace = await fresh_namespace(stack_client)
    code, out = await setup_cli(dev_server, "--namespace", namespace, "--check")
    assert code == 1 and "are not registered" in out, out
    code, doc, err = await setup_cli_json(dev_server, "--namespace", namespace, "--check")
    assert code == 1 and doc["namespace"] == namespace and doc["ok"] is False and "are not registered" in err
    assert doc["attributes"] == {name: {"type": "Keyword", "state": "missing"} for name in WANTED}, doc

    first = await ensure_search_attributes(stack_client, namespace)
    assert first.ok and sorted(first.added) == sorted(WANTED) and not first.present

    again = await ensure_search_attributes(stack_client, namespace)
    assert again.ok and not again.added and sorted(again.present) == sorted(WANTED)

    code, out = await setup_cli(dev_server, "--namespace", namespace)
    assert code == 0, out
    assert out.count("already registered") == len(WANTED) and "All campaign search attributes are registered" in out
    code, doc, _ = await setup_cli_json(dev_server, "--namespace", namespace)
    assert code == 0 and doc["ok"] is True
    assert {a["state"] for a in doc["attributes"].values()} == {"already registered"}, doc


async def test_dev_server_default_namespace_already_has_them(dev_server: devstack.Proc) -> None:
    code, out = await setup_cli(dev_server, "--check")
    assert code == 0 and out.count("already registered") == len(WANTED), out


async def test_other_type_is_reported_not_changed(dev_server: devstack.Proc, stack_client: Client) -> None:
    namespace = await fresh_namespace(stack_client)
    await stack_client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=namespace, search_attributes={"CampaignName": IndexedValueType.INDEXED_VALUE_TYPE_TEXT}
        )
    )
    code, out = await setup_cli(dev_server, "--namespace", namespace)
    assert code == 1, out
    assert "registered as Text, not Keyword" in out and "CampaignName is Text" in out
    assert out.count("added") == len(WANTED) - 1

    outcome = await ensure_search_attributes(stack_client, namespace, check=True)
    assert outcome.conflicts == {"CampaignName": "Text"} and not outcome.missing
