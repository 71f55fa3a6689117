"""Reads a request or schedule template file (JSON or YAML) and the `--map VARIABLE=Column` flags."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from contract.limits import MAX_FREE_FORM_DEPTH
from domain.request_input import RequestInputError


def load_request_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise RequestInputError(f"cannot read request file {str(path)!r}: {err.strerror}") from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as err:
        raise RequestInputError(f"request file {str(path)!r} is not valid JSON/YAML: {err}") from None
    except RecursionError:
        raise RequestInputError(
            f"request file {str(path)!r} nests too deeply: free-form fields may nest at most "
            f"{MAX_FREE_FORM_DEPTH} levels"
        ) from None
    if not isinstance(data, dict):
        raise RequestInputError(f"request file {str(path)!r} must hold one object (a CampaignRequest)")
    return data


def load_template_file(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """A CampaignRequest as JSON/YAML, optionally with a `window:` object (until / hours / start_delay_minutes)."""
    data = load_request_file(path)
    window = data.pop("window", None) or {}
    if not isinstance(window, dict):
        raise RequestInputError(f'in {str(path)!r}, window must be an object, e.g. {{until: "18:00"}}')
    return data, window


def parse_json_option(option: str, text: str | None) -> Any:
    """The value of a JSON-valued flag (`--call-config`), or None when it is not given."""
    if not text:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise RequestInputError(f"{option} is not valid JSON: {err}") from None
    except RecursionError:
        raise RequestInputError(f"{option} nests too deeply: at most {MAX_FREE_FORM_DEPTH} levels") from None


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for pair in pairs:
        variable, sep, column = pair.partition("=")
        if not sep or not variable.strip() or not column.strip():
            raise RequestInputError(f"--map expects VARIABLE=CSV Column, got {pair!r}")
        mapping[variable.strip()] = column.strip()
    return mapping
