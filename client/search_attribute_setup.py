"""Registering the campaign search attributes on a server the project does not start (a cluster): list what the
namespace has, add the missing ones through the operator service, list again. A second run adds nothing."""

from __future__ import annotations

from dataclasses import dataclass, field

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from contract.search_attributes import ALL_KEYS

WANTED: dict[str, IndexedValueType.ValueType] = {
    key.name: IndexedValueType.ValueType(key.indexed_value_type) for key in ALL_KEYS
}


def type_name(value: int) -> str:
    """`INDEXED_VALUE_TYPE_KEYWORD` → `Keyword`."""
    try:
        raw = IndexedValueType.Name(IndexedValueType.ValueType(value))
    except ValueError:
        return f"type {value}"
    return raw.removeprefix("INDEXED_VALUE_TYPE_").replace("_", " ").title().replace(" ", "")


@dataclass
class SetupOutcome:
    namespace: str
    added: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # still absent (check mode, or the server did not add them)
    conflicts: dict[str, str] = field(default_factory=dict)  # name → the type it has instead

    @property
    def ok(self) -> bool:
        return not self.missing and not self.conflicts

    def state_of(self, name: str) -> str:
        if name in self.conflicts:
            return f"registered as {self.conflicts[name]}, not {type_name(WANTED[name])}"
        if name in self.added:
            return "added"
        if name in self.present:
            return "already registered"
        return "missing"


async def _custom_attributes(client: Client, namespace: str) -> dict[str, int]:
    listing = await client.operator_service.list_search_attributes(ListSearchAttributesRequest(namespace=namespace))
    return {name: int(value) for name, value in listing.custom_attributes.items()}


def _classify(outcome: SetupOutcome, existing: dict[str, int]) -> list[str]:
    """Fills present/conflicts; returns the names still absent."""
    absent: list[str] = []
    for name, wanted in WANTED.items():
        if name not in existing:
            absent.append(name)
        elif existing[name] != wanted:
            outcome.conflicts[name] = type_name(existing[name])
        elif name not in outcome.added:
            outcome.present.append(name)
    return absent


async def ensure_search_attributes(
    client: Client, namespace: str | None = None, *, check: bool = False
) -> SetupOutcome:
    """Adds the missing campaign search attributes (all Keyword) to `namespace` (default: the client's);
    `check=True` only reports. Raises RPCError when the server refuses (no permission, Temporal Cloud). An attribute
    that exists with another type is reported in `conflicts`, never changed (the workflow would stall on it)."""
    ns = namespace or client.namespace
    outcome = SetupOutcome(namespace=ns)
    absent = _classify(outcome, await _custom_attributes(client, ns))
    if check or not absent:
        outcome.missing = absent
        return outcome
    raced = False
    try:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=ns, search_attributes={name: WANTED[name] for name in absent})
        )
    except RPCError as err:
        if err.status != RPCStatusCode.ALREADY_EXISTS:
            raise
        raced = True  # a concurrent setup added some first: the re-list says what the namespace has now
    existing = await _custom_attributes(client, ns)
    if not raced:
        outcome.added = [name for name in absent if existing.get(name) == WANTED[name]]
    outcome.present, outcome.conflicts = [], {}
    outcome.missing = _classify(outcome, existing)
    return outcome
