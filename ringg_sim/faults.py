"""Fault injection: the rules a test sets per endpoint, and the disconnect a commit_then_drop fault causes."""

from __future__ import annotations

import itertools
import logging
from typing import Any, cast

from ringg_sim.config import FaultRule


class SimulatedDisconnect(Exception):
    """Raised after a commit_then_drop response was started; makes the server close the connection."""


class _DropFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info
        return not (exc and isinstance(exc[1], SimulatedDisconnect))


def install_log_filter() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _DropFilter) for f in logger.filters):
        logger.addFilter(_DropFilter())


def parse_fault_spec(spec: str) -> FaultRule:
    """`endpoint:kind[:times[:param]]`; param is retry_after / status / delay_s depending on kind."""
    parts = spec.split(":")
    if not 2 <= len(parts) <= 4:
        raise ValueError(f"bad fault spec {spec!r}: expected endpoint:kind[:times[:param]]")
    data: dict[str, Any] = {"endpoint": parts[0], "kind": parts[1]}
    if len(parts) >= 3 and parts[2]:
        data["times"] = int(parts[2])
    if len(parts) == 4 and parts[3]:
        param = {"rate_limit": "retry_after", "http_error": "status", "delay": "delay_s"}.get(parts[1])
        if param is None:
            raise ValueError(f"fault kind {parts[1]!r} takes no parameter")
        data[param] = int(parts[3]) if param == "status" else float(parts[3])
    return FaultRule.model_validate(data)


class FaultBook:
    """Active fault rules; each applies to the next `times` matching requests (-1 = forever)."""

    def __init__(self, initial: list[FaultRule] | None = None) -> None:
        self._ids = itertools.count(1)
        self._rules: list[dict[str, Any]] = []
        for rule in initial or []:
            self.add(rule)

    def add(self, rule: FaultRule) -> dict[str, Any]:
        entry = {"id": next(self._ids), "rule": rule, "remaining": rule.times, "applied": 0}
        self._rules.append(entry)
        return self._describe(entry)

    def clear(self) -> None:
        self._rules.clear()

    def list(self) -> list[dict[str, Any]]:
        return [self._describe(e) for e in self._rules]

    def take(self, endpoint: str) -> FaultRule | None:
        for entry in self._rules:
            rule = cast(FaultRule, entry["rule"])
            if rule.endpoint != endpoint or entry["remaining"] == 0:
                continue
            entry["applied"] += 1
            if entry["remaining"] > 0:
                entry["remaining"] -= 1
                if entry["remaining"] == 0:
                    self._rules.remove(entry)
            return rule
        return None

    @staticmethod
    def _describe(entry: dict[str, Any]) -> dict[str, Any]:
        rule = cast(FaultRule, entry["rule"])
        return {
            "id": entry["id"],
            **rule.model_dump(),
            "remaining": entry["remaining"],
            "applied": entry["applied"],
        }
