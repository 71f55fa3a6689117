"""The kinds of phone number a campaign may call (phonenumbers' number types, snake_case) and the default set."""

from __future__ import annotations

from typing import Literal, get_args

NumberType = Literal[
    "mobile",
    "fixed_line_or_mobile",
    "fixed_line",
    "voip",
    "personal_number",
    "uan",
    "shared_cost",
    "toll_free",
    "premium_rate",
    "pager",
    "voicemail",
]
NUMBER_TYPES: tuple[NumberType, ...] = get_args(NumberType)
# The numbers a person answers: mobiles, landlines, and those whose plan cannot tell the two apart (all of +1, for
# one). An Indian landline is callable (the old +91 rule refused it as "not a mobile"); a campaign that must reach
# mobiles only lists ["mobile"]. Toll-free, premium-rate, VoIP and the other kinds are called only when listed.
DEFAULT_NUMBER_TYPES: tuple[NumberType, ...] = ("mobile", "fixed_line_or_mobile", "fixed_line")
