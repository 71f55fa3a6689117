"""Failure type names: what a failed campaign, fire or export reports as its error type."""

from __future__ import annotations

# Permanent: the workflow names these in non_retryable_error_types or reacts to them.
INVALID_CSV = "InvalidCsv"
CSV_SOURCE_REFUSED = "CsvSourceRefused"  # csv_uri/numbers_uri outside the allowed folders, hosts or addresses
CSV_LIMIT_EXCEEDED = "CsvLimitExceeded"  # the file is over a CAMPAIGN_CSV_* size limit
INVALID_REQUEST = "InvalidCampaignRequest"
RINGG_AUTH = "RinggAuthError"
RINGG_REJECTED = "RinggRejected"
INSUFFICIENT_BALANCE = "InsufficientBalance"
UPLOAD_FAILED = "UploadFailed"
UPLOAD_TIMEOUT = "UploadTimeout"
CSV_CHANGED = "CsvChanged"
UNKNOWN_CALLER_NUMBER = "UnknownCallerNumber"
UNKNOWN_NUMBER_POOL = "UnknownNumberPool"
RINGG_INVALID_ROWS = "RinggInvalidRows"
EXPORT_LOCATION_UNUSABLE = "ExportLocationUnusable"
WEBHOOK_SETUP = "WebhookSetupError"
INVALID_EXPORT_REQUEST = "InvalidExportRequest"
INVALID_FIRE = "InvalidScheduledFire"
CAMPAIGN_FAILED = "ScheduledCampaignFailed"
ACTIVITY_FAILED = "ActivityFailed"
# A workflow or activity input that cannot be decoded (too deep, too big, wrong shape): fails at once.
UNDECODABLE_PAYLOAD = "InvalidPayload"

# Transient: retried with backoff (a rate limit after Ringg's Retry-After).
UPLOAD_PENDING = "UploadPending"
RINGG_RATE_LIMITED = "RinggRateLimited"
# The deployment's Ringg request budget had no slot within the wait this activity may take (nothing was sent).
RINGG_BUDGET_BUSY = "RinggBudgetBusy"
RINGG_SERVER_ERROR = "RinggServerError"
RINGG_UNAVAILABLE = "RinggUnavailable"
RINGG_BAD_RESPONSE = "RinggBadResponse"

# The large flow is unavailable: the campaign goes on the standard flow in chunks (domain/chunks.py) when it may.
LARGE_FLOW_NOT_ENABLED = "LargeFlowNotEnabled"  # Ringg answered 403 to upload-csv
LARGE_FLOW_OFF = "LargeFlowOff"  # RINGG_LARGE_FLOW=off on the worker
LEDGER_NOT_READY = "LedgerNotReady"  # the ledger database is not at the code's schema (run its setup)
LEDGER_FAILED = "LedgerFailed"  # the ledger refused a statement (a bug; not retried)
LEDGER_UNAVAILABLE = "LedgerUnavailable"  # the ledger database failed or cannot be reached (retried)
NOTHING_TO_CALL = "NothingToCall"  # the ledger removed every contact (suppressed or capped)
CAMPAIGN_IN_CHUNKS = "CampaignInChunks"  # this key's chunks are already on Ringg

# Events out (contract/events.py): the worker cannot send them (no CAMPAIGN_EVENTS_SECRET, a host or address the
# CAMPAIGN_EVENTS_URL_* settings refuse), the receiver refused one (a 4xx), or the receiver failed (retried).
EVENTS_NOT_CONFIGURED = "EventsNotConfigured"
EVENT_REFUSED = "EventRefused"
EVENT_RECEIVER_ERROR = "EventReceiverError"
