"""The JSON Schema of CampaignRequest as other services see it (`starter.py schema`, the HTTP API's OpenAPI):
described fields, the checks `domain.validation` makes that a schema can state, no internal fields."""

from __future__ import annotations

from typing import Any

from contract.campaign import IDEMPOTENCY_KEY_PATTERN, CampaignRequest
from contract.program import ProgramRequest

# State carried across continue-as-new: a caller never sets it, so the schema leaves it out.
INTERNAL_FIELDS = ("continued",)
_INTERNAL_DEFS = (
    "ContinuedState",
    "ChunkState",
    "ChunkList",
    "UploadProgress",
    "EventsCarried",
    "CampaignEvent",
    "EventCampaign",
)

DESCRIPTIONS = {
    "campaign_name": "Shown in Ringg and in Temporal (search attribute CampaignName); at most 200 characters.",
    "agent_id": "The Ringg assistant that makes the calls.",
    "csv_uri": "The contacts CSV: a local path, file:// or http(s):// URL readable by the worker.",
    "country_code": 'The country of numbers written without a country code: its dial code ("+91", "91") or its '
    'ISO region code ("IN"); any country phonenumbers has a numbering plan for.',
    "number_types": "The kinds of number the campaign calls, by the country's numbering plan (phonenumbers' types): "
    '"mobile", "fixed_line_or_mobile" (the plan cannot tell, e.g. all of +1), "fixed_line" (landlines), "voip", '
    '"personal_number", "uan", "shared_cost", "toll_free", "premium_rate", "pager", "voicemail". Default: mobile, '
    'fixed_line_or_mobile and fixed_line (landlines); ["mobile"] calls mobiles only. Rows with other numbers are '
    "refused in the contacts report.",
    "variables_map": "Assistant variable -> CSV column; must map mobile_number to the phone-number column.",
    "campaign_start_time": "\"DD/MM/YYYY, HH:MM\" in the campaign's timezone. Required to start a campaign (Ringg's "
    "uploads and make-call-async need the window); a schedule's template leaves it out (each fire sets it).",
    "campaign_end_time": '"DD/MM/YYYY, HH:MM" in the campaign\'s timezone; after campaign_start_time. Required like '
    "campaign_start_time; Ringg stops calling then and the contacts not yet called are not called.",
    "call_config": "Ringg's call_config: call_time {call_start_time, call_end_time, timezone, scheduled_at}, "
    "call_retry_config {retry_count, retry_busy, retry_not_picked, retry_failed (minutes)} and any other "
    "documented key (passed through). Required, not empty.",
    "from_numbers": "Caller numbers (or their ids); give exactly one of from_numbers / number_pool_id.",
    "number_pool_id": "A Ringg number pool; give exactly one of from_numbers / number_pool_id.",
    "concurrency_percentage": "0..100; sent only by the large flow (make-call-async). The standard flow's start "
    "endpoints do not take it, so a standard-flow campaign with a non-zero value is refused before any upload.",
    "callback_url": "Ringg calls it when the campaign ends.",
    "email_completion_user_ids": "Ringg users emailed when the campaign ends.",
    "remove_invalid_rows": "Call the valid rows when some rows are unusable (else the campaign stops with a report "
    "before launch, whether pre-flight or Ringg found them).",
    "max_invalid_row_share": "0..1 (default 0). With remove_invalid_rows false: the share of the CSV's rows that may "
    "be invalid (pre-flight's and Ringg's together) and skipped without stopping the campaign; Ringg is then asked "
    "to skip invalid rows, and more than this share stops the campaign before launch with the report.",
    "transliterate_callee_name": "Ask Ringg to transliterate callee names.",
    "flow": 'auto (default: "large" from 5,000 data rows, or the standard flow in chunks of at most 4,000 rows '
    "where the workspace has no large flow), standard or large.",
    "idempotency_key": "One key -> at most one launch. Default: derived from the CSV's content hash, agent_id, "
    "campaign_name and the window.",
    "max_balance_wait_seconds": "How long an insufficient balance is re-checked before the campaign fails.",
    "polling": "Polling cadence; the defaults suit real campaigns.",
    "external_id_column": "A CSV column holding your own id of each contact: kept with the contact in the contact "
    "ledger and returned by its export and the API's /v1/campaigns/{ref}/contacts.",
    "passthrough_columns": "CSV columns (at most 50) kept with each contact in the contact ledger and returned by its "
    "export, e.g. your CRM fields.",
    "suppress_on": "Call outcomes that add the number to the suppression list once the campaign ends, so no later "
    "campaign calls it: outcome words (opted_out, answered, no_answer, busy, voicemail, failed, error, cancelled), "
    "Ringg call statuses or sub-statuses (e.g. DND_SKIPPED). Default none.",
    "frequency_cap": "{calls, days}: pre-flight removes numbers already dialled `calls` times in the last `days` days "
    "across campaigns (contacts waiting in unfinished campaigns count once), into the contacts report.",
    "events_url": "Where the campaign's lifecycle events are POSTed (campaign.started, .uploaded, .launched, "
    ".progress, then one of .completed/.failed/.cancelled), signed with HMAC-SHA256 in X-Campaign-Signature and "
    "retried with backoff; each carries an id for dropping repeats. http(s), no credentials, at most 2048 "
    "characters; its host must be in the workers' CAMPAIGN_EVENTS_URL_HOSTS.",
    "events_progress_step": "0..100 (default 10): a campaign.progress event each time this many more percent of the "
    "contacts' calls have ended; 0 = no progress events.",
}


def request_json_schema(ref_template: str = "#/$defs/{model}") -> dict[str, Any]:
    """The schema; its definitions are under "$defs" (refs built with `ref_template`)."""
    schema = CampaignRequest.model_json_schema(ref_template=ref_template)
    for name in INTERNAL_FIELDS:
        schema["properties"].pop(name, None)
    for name in _INTERNAL_DEFS:
        schema.get("$defs", {}).pop(name, None)
    for name, text in DESCRIPTIONS.items():
        schema["properties"][name]["description"] = text
    props = schema["properties"]
    props["campaign_name"].update(minLength=1, maxLength=200)
    props["concurrency_percentage"].update(minimum=0, maximum=100)
    props["number_types"].update(minItems=1, uniqueItems=True)
    props["max_invalid_row_share"].update(minimum=0, maximum=1)
    props["events_progress_step"].update(minimum=0, maximum=100)
    props["events_url"]["anyOf"][0].update(maxLength=2048, pattern="^[Hh][Tt][Tt][Pp][Ss]?://")
    props["idempotency_key"]["anyOf"][0]["pattern"] = f"^{IDEMPOTENCY_KEY_PATTERN.pattern}$"
    schema["description"] = (
        "Input of the CampaignWorkflow (one JSON object; unknown fields are refused). Start it by workflow type "
        "name on task queue ringg-campaigns, or POST it to the HTTP API's /v1/campaigns."
    )
    return schema


PROGRAM_DESCRIPTIONS = {
    "pilot": "Run a pilot wave first: rows (a number of contacts) or share (0..1), spread evenly over the file. "
    "approve: manual (wait for the update approve or reject until approval_timeout, default 24h) or auto (go on "
    "when min_connect_rate, max_failure_rate and/or max_cost_per_call hold).",
    "windows": "per_contact_timezone: one wave per timezone of the contacts' numbers, each in the daily call time "
    "(call_config.call_time) of its own zone, on `days` only; numbers without one zone go to default_zone.",
    "follow_up": "Re-dial, `after` a delay (seconds, or text like 90s, 30m, 4h, 2d), the contacts whose last call "
    "matches `statuses` (no_answer, busy, voicemail, failed, error, not_called, cancelled, or Ringg sub-statuses), "
    "up to max_waves times. Answered and opted-out contacts are never re-dialled.",
}
_DURATION_TEXT = {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*[smhdSMHD]?\s*$"}


def program_json_schema(ref_template: str = "#/$defs/{model}") -> dict[str, Any]:
    """The schema of ProgramRequest: the campaign's fields plus pilot, windows and follow_up."""
    schema = ProgramRequest.model_json_schema(ref_template=ref_template)
    base = request_json_schema(ref_template)
    schema["properties"].pop("program_state", None)
    for name in (*INTERNAL_FIELDS, *base["properties"]):
        if name in base["properties"]:
            schema["properties"][name] = base["properties"][name]
        else:
            schema["properties"].pop(name, None)
    for name in (*_INTERNAL_DEFS, "ProgramProgress", "WaveState", "PilotOutcome", "FollowUpCursor", "CallCounts"):
        schema.get("$defs", {}).pop(name, None)
    for name, text in PROGRAM_DESCRIPTIONS.items():
        schema["properties"][name]["description"] = text
    schema["properties"]["windows"]["anyOf"].append({"const": "per_contact_timezone"})  # the short form
    defs = schema.get("$defs", {})
    for model, field in (("PilotSpec", "approval_timeout"), ("FollowUpRule", "after")):
        prop = defs[model]["properties"][field]
        defs[model]["properties"][field] = {"anyOf": [prop, _DURATION_TEXT], "description": "seconds or text: 4h"}
    schema["description"] = (
        "Input of the CampaignProgramWorkflow: a campaign request plus at least one of pilot, windows, follow_up. "
        "Each wave runs as a CampaignWorkflow; `starter.py start` and the HTTP API start a program when these "
        "fields are present."
    )
    return schema
