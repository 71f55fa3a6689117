"""Prepares a self-hosted Temporal cluster for the campaigns, idempotently: the namespace and the campaign
search attributes, waiting for a server that is still starting."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TypeVar

from google.protobuf.duration_pb2 import Duration
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest, RegisterNamespaceRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from client import search_attribute_setup as attribute_setup

T = TypeVar("T")

# Answers of a cluster that is still starting; for search attributes also of a namespace just registered and not yet
# in every frontend's cache.
_STARTING = frozenset({RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED})
_NAMESPACE_NEW = _STARTING | {RPCStatusCode.NOT_FOUND}


class SetupError(Exception):
    """The cluster cannot be prepared; the message says what to fix."""


@dataclass
class SetupReport:
    namespace: str
    namespace_created: bool = False
    added: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)


def wanted_attributes() -> dict[str, IndexedValueType.ValueType]:
    """Name → indexed type of every search attribute the workflows set."""
    return dict(attribute_setup.WANTED)


async def _retrying(
    call: Callable[[], Awaitable[T]], deadline: float, transient: frozenset[RPCStatusCode] = _NAMESPACE_NEW
) -> T:
    loop = asyncio.get_running_loop()
    delay = 0.25
    while True:
        try:
            return await call()
        except RPCError as err:
            if err.status not in transient or loop.time() + delay > deadline:
                raise
        await asyncio.sleep(delay)
        delay = min(delay * 2, 5.0)


async def ensure_namespace(client: Client, namespace: str, retention: timedelta, deadline: float) -> bool:
    """Registers `namespace` unless it exists; True when this call created it."""
    describe = DescribeNamespaceRequest(namespace=namespace)
    try:
        await _retrying(lambda: client.workflow_service.describe_namespace(describe), deadline, _STARTING)
        return False
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND:
            raise
    request = RegisterNamespaceRequest(
        namespace=namespace,
        description="Ringg campaign orchestrator",
        workflow_execution_retention_period=Duration(seconds=int(retention.total_seconds())),
    )
    try:
        await _retrying(lambda: client.workflow_service.register_namespace(request), deadline, _STARTING)
    except RPCError as exc:
        if exc.status == RPCStatusCode.ALREADY_EXISTS:  # another setup run got there first
            return False
        raise
    return True


async def ensure_search_attributes(client: Client, namespace: str, deadline: float) -> tuple[list[str], list[str]]:
    """Adds the missing campaign search attributes (the same code as `starter.py setup-search-attributes`);
    returns (added, already present). Refuses a name registered with another type: the workflows could not set
    it. Waits until what was added shows in the namespace."""
    outcome = await _retrying(lambda: attribute_setup.ensure_search_attributes(client, namespace), deadline)
    if outcome.conflicts:
        clashes = [f"{name} is {kind}, the workflows need Keyword" for name, kind in outcome.conflicts.items()]
        raise SetupError(f"search attributes registered with another type in {namespace!r}: " + "; ".join(clashes))
    added = sorted({*outcome.added, *outcome.missing})  # what was absent before this call
    loop = asyncio.get_running_loop()
    while outcome.missing:
        if loop.time() > deadline:
            raise SetupError(f"search attributes {sorted(outcome.missing)} were added but do not show in {namespace!r}")
        await asyncio.sleep(0.5)
        check = functools.partial(attribute_setup.ensure_search_attributes, client, namespace, check=True)
        outcome = await _retrying(check, deadline)
    return added, sorted(set(attribute_setup.WANTED) - set(added))


async def setup_cluster(client: Client, namespace: str, retention: timedelta, timeout_s: float = 120.0) -> SetupReport:
    deadline = asyncio.get_running_loop().time() + timeout_s
    report = SetupReport(namespace)
    report.namespace_created = await ensure_namespace(client, namespace, retention, deadline)
    report.added, report.present = await ensure_search_attributes(client, namespace, deadline)
    return report
