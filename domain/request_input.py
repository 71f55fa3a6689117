"""Builds a CampaignRequest from a request's fields and overrides (overrides win), with every problem named."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from contract.campaign import CampaignRequest


class RequestInputError(Exception):
    """The request file or flags cannot form a CampaignRequest; the message says what to fix."""


def build_request(base: dict[str, Any], overrides: dict[str, Any]) -> CampaignRequest:
    data = {**base, **{k: v for k, v in overrides.items() if v not in (None, [], {})}}
    try:
        return CampaignRequest.model_validate(data)
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'request'}: {e['msg']}" for e in err.errors())
        raise RequestInputError(f"the campaign request is not valid: {problems}") from None
