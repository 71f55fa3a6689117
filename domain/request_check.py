"""Every problem of a start request in one answer: the model's own errors and the rules the workflow applies
(domain.validation, the window, a program's fields), so a caller fixes them all in one round, whatever entry point
it used (HTTP API, starter, schedule)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from pydantic import ValidationError

from contract.campaign import CampaignRequest
from contract.program import ProgramRequest, is_program
from domain.model_problems import model_problems
from domain.program_rules import program_problems
from domain.validation import request_problems
from domain.window import window_problems

R = TypeVar("R", bound=CampaignRequest)

# Values for required fields a request lacks (or got wrong), breaking no rule: the rules then speak about every other
# field, and the missing one is named once, by the model's own error.
_STAND_INS: dict[str, Any] = {"campaign_name": "stand-in", "agent_id": "stand-in", "csv_uri": "stand-in.csv"}


def rule_problems(req: CampaignRequest, now: datetime, *, window_required: bool = True) -> list[str]:
    """The workflow's rules for a valid model: request_problems, the window at `now` (aware), a program's fields.
    `window_required` false for a schedule's template, whose fires set the window."""
    problems = request_problems(req, window_from_schedule=not window_required)
    if window_required:
        problems += window_problems(req.campaign_start_time, req.campaign_end_time, req.call_config, now)
    if isinstance(req, ProgramRequest):
        problems += program_problems(req, window_required=window_required)
    return problems


def checked(model: type[R], data: Mapping[str, Any], rules: Callable[[R], list[str]]) -> tuple[R | None, list[str]]:
    """(the request, or None when the model refuses it; every problem). When the model refuses some fields, the
    rules still run on the others (the refused fields left out, missing required ones stood in for), and any
    rule's problem that names a refused field is dropped: each field is named once."""
    try:
        req = model.model_validate(dict(data))
    except ValidationError as err:
        problems = model_problems(err)
        refused = {str(e["loc"][0]) for e in err.errors() if e["loc"]}
        kept = {k: v for k, v in data.items() if k not in refused and k in model.model_fields}
        for name, field in model.model_fields.items():
            if name not in kept and field.is_required():
                kept[name] = _STAND_INS.get(name, "stand-in")
        try:
            partial = model.model_validate(kept)
        except ValidationError:
            return None, problems
        problems += [p for p in rules(partial) if not any(_names(p, field) for field in refused)]
        return None, problems
    return req, rules(req)


def checked_start(
    data: Mapping[str, Any], now: datetime, *, window_required: bool = True
) -> tuple[CampaignRequest | None, list[str]]:
    """A campaign or program start request (a program when it has pilot, windows or follow_up) and every problem."""
    model: type[CampaignRequest] = ProgramRequest if is_program(dict(data)) else CampaignRequest
    return checked(model, data, lambda req: rule_problems(req, now, window_required=window_required))


def _names(problem: str, field: str) -> bool:
    return problem.startswith(field) or f" {field} " in f" {problem} " or f"{field}." in problem
