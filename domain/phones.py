"""Phone numbers to E.164 with phonenumbers' numbering plans (every country, each number's type checked against the
kinds a campaign calls); the campaign's country_code fills in numbers written without one."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType, ValidationResult

from contract.number_types import DEFAULT_NUMBER_TYPES, NUMBER_TYPES, NumberType
from domain.number_plan import callable_trie, guard, metadata

_FORMATTING = str.maketrans("", "", " -().\t\u00a0/")
_SCIENTIFIC = re.compile(r"\d(?:\.\d+)?[eE]\+?\d+")
_ALIASES = {"UK": "GB"}  # not ISO 3166, but what people write (and what this field took before)
_NOT_A_COUNTRY = ("001", "ZZ")  # phonenumbers' region for non-geographic codes (+800 ...), and for none
_TYPE_NAMES: dict[int, NumberType] = {getattr(PhoneNumberType, kind.upper()): kind for kind in NUMBER_TYPES}
LABELS: dict[NumberType, str] = {
    "mobile": "mobile",
    "fixed_line_or_mobile": "mobile-or-landline",
    "fixed_line": "landline",
    "voip": "VoIP",
    "personal_number": "personal (follow-me)",
    "uan": "universal access (UAN)",
    "shared_cost": "shared-cost",
    "toll_free": "toll-free",
    "premium_rate": "premium-rate",
    "pager": "pager",
    "voicemail": "voicemail-access",
}
_TOO_SHORT_OR_LONG = (
    ValidationResult.TOO_SHORT,
    ValidationResult.TOO_LONG,
    ValidationResult.INVALID_LENGTH,
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY,
)


def dialling_region(country_code: str) -> tuple[int, str]:
    """'+91' / '91' / 'IN' -> (91, 'IN'): any ISO region phonenumbers has a plan for, or a country's dialling code
    (its main region). Raises ValueError with a readable message otherwise."""
    cc = country_code.strip()
    region = _ALIASES.get(cc.upper(), cc.upper())
    if region in phonenumbers.SUPPORTED_REGIONS:
        return phonenumbers.country_code_for_region(region), region
    digits = cc[1:] if cc.startswith("+") else cc
    if digits.isascii() and digits.isdigit() and 1 <= len(digits) <= 3 and digits[0] != "0":
        region = phonenumbers.region_code_for_country_code(int(digits))
        if region not in _NOT_A_COUNTRY:
            return int(digits), region
    raise ValueError(
        f"country_code {country_code[:16]!r} is not a dialling code of any country: use the '+91' form "
        "(or a 2-letter ISO code like 'IN')"
    )


def dial_code(country_code: str) -> str:
    """'+91' / '91' / 'IN' -> '91'. Raises ValueError with a readable message otherwise."""
    return str(dialling_region(country_code)[0])


def number_types_problem(kinds: Iterable[str]) -> str | None:
    """None when `kinds` names at least one known number type, else a message naming the setting."""
    listed = list(kinds)
    unknown = [k for k in listed if k not in NUMBER_TYPES]
    if unknown or not listed:
        return f"number_types must list one or more of {', '.join(NUMBER_TYPES)}"
    return None


def _country(country_code: int) -> str:
    """ "IN (+91)": the region code, not the country's name (phonenumbers' names come with its geocoder, whose
    import alone costs 100 MB and a quarter second)."""
    return f"{phonenumbers.region_code_for_country_code(country_code)} (+{country_code})"


def _lengths(country_code: int) -> str:
    region = phonenumbers.region_code_for_country_code(country_code)
    general = metadata(country_code, region).general_desc
    sizes = sorted({n for n in (general.possible_length if general else ()) if n > 0})
    if not sizes:
        return "another number of digits"
    if len(sizes) == 1:
        return f"{sizes[0]} digits"
    if sizes == list(range(sizes[0], sizes[-1] + 1)):
        return f"{sizes[0]} to {sizes[-1]} digits"
    return f"{', '.join(map(str, sizes[:-1]))} or {sizes[-1]} digits"


def _parse_problem(err: NumberParseException, shown: str, international: bool) -> str:
    if err.error_type == NumberParseException.INVALID_COUNTRY_CODE:
        if international and shown[1:2] == "0":
            return f"{shown} does not start with a country code (a country code never starts with 0)"
        return f"{shown} does not start with a country code in use"
    if err.error_type == NumberParseException.TOO_LONG:
        return f"{shown} is too long for a phone number (at most 15 digits with the country code)"
    if err.error_type in (NumberParseException.TOO_SHORT_NSN, NumberParseException.TOO_SHORT_AFTER_IDD):
        return f"{shown} is too short for a phone number"
    return f"{shown} is not a phone number"


@lru_cache(maxsize=8192)
def verdict(text: str, region: str, kinds: frozenset[NumberType], shown: str) -> tuple[str, str | None]:
    """phonenumbers' verdict on digits (with a leading "+" when written with their country code): parse with the
    campaign's region, is_valid_number, number_type. (E.164, None) or ("", the problem for the CSV's owner, which
    names the number by `shown` until it has an E.164 form)."""
    international = text.startswith("+")
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException as err:
        return "", _parse_problem(err, shown, international)
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    cc = number.country_code or 0
    if not phonenumbers.is_valid_number(number):
        nsn = phonenumbers.national_significant_number(number)
        if phonenumbers.is_possible_number_with_reason(number) in _TOO_SHORT_OR_LONG:
            return "", f"{e164} has {len(nsn)} digits after +{cc}; a number in {_country(cc)} has {_lengths(cc)}"
        return "", (
            f"{e164} is not a valid number in {_country(cc)}: no number there starts with these digits at this "
            "length (a digit missing, extra or mistyped?)"
        )
    kind = _TYPE_NAMES.get(phonenumbers.number_type(number), "mobile")  # a valid number's type is never UNKNOWN
    if kind not in kinds:
        label = LABELS[kind]
        calls = ", ".join(k for k in NUMBER_TYPES if k in kinds)
        return "", (
            f"{e164} is a {label} number ({kind}); this campaign calls {calls} numbers only: "
            f'add "{kind}" to number_types to call it'
        )
    return e164, None


class PhoneNormalizer:
    """normalize(raw) -> (E.164 string, None) or ("", problem written for the person who owns the CSV), by
    phonenumbers' plans: valid in its country, of one of `number_types`.

    Fast on the common case (numbers of the campaign's country written as `+<digits>` or as bare national numbers):
    pre-flight runs this on every row of million-row files. Regexes built from phonenumbers' own metadata
    (domain.number_plan) accept exactly what `verdict` accepts; everything else gets `verdict`."""

    def __init__(self, country_code: str, number_types: Iterable[NumberType] = DEFAULT_NUMBER_TYPES) -> None:
        code, self.region = dialling_region(country_code)
        self.cc = str(code)
        self.kinds = frozenset(number_types)
        if not self.kinds:
            raise ValueError(number_types_problem(()))
        nsn = callable_trie(code, tuple(sorted(self.kinds))) or "(?!)"
        main = metadata(code, phonenumbers.COUNTRY_CODE_TO_REGION_CODE[code][0])  # parse's plan for +<code>
        own = metadata(code, self.region)  # parse's plan for numbers without one
        plus_cc, newline = re.escape("+" + self.cc), r"\n"
        e164 = rf"\+{self.cc}{guard(main.national_prefix_for_parsing, nsn, plus_cc)}{nsn}"
        # A bare national number, preceded by "\n": not the plan's international prefix, not starting with the
        # country code (parse may take it for one), no national prefix that parse would strip.
        idd = f"(?!{own.international_prefix})" if own.international_prefix else ""
        national = rf"{idd}(?!{self.cc}){guard(own.national_prefix_for_parsing, nsn, newline)}{nsn}"
        end = r"(?=\n|\Z)"
        self._e164 = re.compile(rf"\n{e164}{end}")
        # Atomic and possessive: a value's match is settled at its end, so no backtracking state is kept (2x faster).
        self._e164_block = re.compile(rf"(?:\n(?>{e164}{end}))*+")
        self._not_e164 = re.compile(rf"\n(?!{e164}{end})[^\n]*")
        self._national = re.compile(rf"\n{national}{end}")
        self._national_block = re.compile(rf"(?:\n(?>{national}{end}))*+")

    def normalize_clean_batch(self, raw: list[str]) -> tuple[list[str], list[int]]:
        """E.164 numbers for the values the fast regexes accept (callable numbers of this campaign's country, as
        E.164 or bare national numbers); "" and their index in the second list for the others, which need
        normalize(). The values are joined into one text and matched by one regex scan: no per-row Python."""
        joined = "\n" + "\n".join(raw)
        if joined.count("\n") != len(raw):  # a value spans lines: check each on its own
            return [""] * len(raw), list(range(len(raw)))
        if self._e164_block.fullmatch(joined):
            return raw, []
        prefix = "+" + self.cc
        if self._national_block.fullmatch(joined):
            return [prefix + n for n in raw], []
        numbers, unclean, line, pos = list(raw), [], -1, 0
        for match in self._not_e164.finditer(joined):
            line += joined.count("\n", pos, match.start() + 1)
            pos = match.start() + 1
            if self._national.fullmatch("\n" + raw[line]):
                numbers[line] = prefix + raw[line]
            else:
                numbers[line] = ""
                unclean.append(line)
        return numbers, unclean

    def normalize(self, raw: str) -> tuple[str, str | None]:
        s = raw.strip()
        if self._e164.fullmatch("\n" + s):
            return s, None
        return self.reference(raw)

    def reference(self, raw: str) -> tuple[str, str | None]:
        """The slow path the fast one must agree with: the characters checked, then phonenumbers' verdict."""
        s = raw.strip()
        if not s:
            return "", "no phone number"
        if _SCIENTIFIC.fullmatch(s):
            return "", (
                f"{s!r} is a number a spreadsheet rewrote in scientific notation: "
                "format the column as text and export the CSV again"
            )
        compact = s.translate(_FORMATTING)
        international = compact.startswith(("+", "00"))
        body = compact[1:] if compact.startswith("+") else compact[2:] if international else compact
        if not (body.isascii() and body.isdigit()):
            return "", f"{s!r} has characters that are not digits"
        text = "+" + body if international else body
        return verdict(text, self.region, self.kinds, text if international else repr(s))
