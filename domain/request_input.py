"""Builds a CampaignRequest (or a ProgramRequest) from a request's fields and overrides (overrides win), with every
problem named."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from contract.campaign import CampaignRequest
from contract.program import ProgramRequest, is_program
from domain.model_problems import model_problems


class RequestInputError(Exception):
    """The request file or flags cannot form a CampaignRequest; the message says what to fix."""


def merged(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """A request file's fields with the flags that were given (an unset flag leaves the file's value)."""
    return {**base, **{k: v for k, v in overrides.items() if v not in (None, [], {})}}


def build_request(base: dict[str, Any], overrides: dict[str, Any]) -> CampaignRequest:
    """A CampaignRequest, or a ProgramRequest (a CampaignRequest too) when the fields ask for a program."""
    data = merged(base, overrides)
    model = ProgramRequest if is_program(data) else CampaignRequest
    try:
        return model.model_validate(data)
    except ValidationError as err:
        problems = "; ".join(model_problems(err))
        what = "campaign program" if model is ProgramRequest else "campaign"
        raise RequestInputError(f"the {what} request is not valid: {problems}") from None
