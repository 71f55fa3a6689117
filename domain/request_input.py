"""Builds a CampaignRequest from a request's fields and overrides (overrides win), with every problem named."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from contract.campaign import CampaignRequest
from domain.model_problems import model_problems


class RequestInputError(Exception):
    """The request file or flags cannot form a CampaignRequest; the message says what to fix."""


def build_request(base: dict[str, Any], overrides: dict[str, Any]) -> CampaignRequest:
    data = {**base, **{k: v for k, v in overrides.items() if v not in (None, [], {})}}
    try:
        return CampaignRequest.model_validate(data)
    except ValidationError as err:
        problems = "; ".join(model_problems(err))
        raise RequestInputError(f"the campaign request is not valid: {problems}") from None
