"""Builds a CampaignRequest from a JSON/YAML request file and command-line flags (flags win)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from campaign.models import CampaignRequest


class RequestInputError(Exception):
    """The request file or flags cannot form a CampaignRequest; the message says what to fix."""


def load_request_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise RequestInputError(f"cannot read request file {str(path)!r}: {err.strerror}") from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as err:
        raise RequestInputError(f"request file {str(path)!r} is not valid JSON/YAML: {err}") from None
    if not isinstance(data, dict):
        raise RequestInputError(f"request file {str(path)!r} must hold one object (a CampaignRequest)")
    return data


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for pair in pairs:
        variable, sep, column = pair.partition("=")
        if not sep or not variable.strip() or not column.strip():
            raise RequestInputError(f"--map expects VARIABLE=CSV Column, got {pair!r}")
        mapping[variable.strip()] = column.strip()
    return mapping


def build_request(base: dict[str, Any], overrides: dict[str, Any]) -> CampaignRequest:
    data = {**base, **{k: v for k, v in overrides.items() if v not in (None, [], {})}}
    try:
        return CampaignRequest.model_validate(data)
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'request'}: {e['msg']}" for e in err.errors())
        raise RequestInputError(f"the campaign request is not valid: {problems}") from None
