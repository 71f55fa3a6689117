"""A phone number's IANA timezones from phonenumbers' metadata, under the names tzdata now gives them."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers
from phonenumbers import timezone as number_zones

UNKNOWN_ZONE_NAMES = {"Etc/Unknown"}
# Old spellings phonenumbers' metadata still uses, to the names tzdata now gives the same zones ("backward" links):
# one zone keeps one name, so Indian numbers and a default of Asia/Kolkata make one wave, not two, and Ringg gets
# the names its docs use. A test checks every name phonenumbers returns loads after this.
CURRENT_ZONE_NAMES = {
    "Africa/Asmera": "Africa/Asmara",
    "America/Buenos_Aires": "America/Argentina/Buenos_Aires",
    "America/Godthab": "America/Nuuk",
    "Asia/Calcutta": "Asia/Kolkata",
    "Asia/Katmandu": "Asia/Kathmandu",
    "Asia/Rangoon": "Asia/Yangon",
    "Asia/Saigon": "Asia/Ho_Chi_Minh",
    "Atlantic/Faeroe": "Atlantic/Faroe",
    "Europe/Kiev": "Europe/Kyiv",
    "Pacific/Enderbury": "Pacific/Kanton",
    "Pacific/Ponape": "Pacific/Pohnpei",
    "Pacific/Truk": "Pacific/Chuuk",
}
_LONGEST_NUMBER = 32  # E.164 is at most 16 characters; anything longer is not worth caching


def zones_of(e164: str) -> tuple[str, ...]:
    """The timezones phonenumbers places a number in E.164 (e.g. "+14155550100") in, sorted, under their current
    tzdata names; () when it does not parse or phonenumbers does not know."""
    return _zones(e164) if len(e164) <= _LONGEST_NUMBER else ()


@lru_cache(maxsize=65536)
def _zones(e164: str) -> tuple[str, ...]:
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return ()
    names = {CURRENT_ZONE_NAMES.get(z, z) for z in number_zones.time_zones_for_number(number)}
    return tuple(sorted(names - UNKNOWN_ZONE_NAMES))
