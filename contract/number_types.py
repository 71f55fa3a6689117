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
# Mobiles, and the numbers whose plan cannot tell a mobile from a landline (all of +1, for one): what a campaign
# called before number types were checked, as far as the old rules could tell. Landlines ("fixed_line"),
# toll-free, premium-rate and the other kinds are called only when the request lists them.
DEFAULT_NUMBER_TYPES: tuple[NumberType, ...] = ("mobile", "fixed_line_or_mobile")
