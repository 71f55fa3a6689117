"""Phone numbers to E.164: the campaign's country_code fills in numbers written without one."""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import compress, count

ISO_DIAL_CODES = {
    "IN": "91",
    "US": "1",
    "CA": "1",
    "GB": "44",
    "UK": "44",
    "AE": "971",
    "SG": "65",
    "AU": "61",
    "DE": "49",
    "FR": "33",
    "SA": "966",
    "ID": "62",
    "PH": "63",
    "MY": "60",
    "NP": "977",
    "BD": "880",
    "LK": "94",
    "ZA": "27",
}


@dataclass(frozen=True)
class NationalRule:
    """The national significant number of a country: its length and the digits it may start with."""

    lengths: tuple[int, ...]
    first_digits: str
    describe: str


# Country rules for the countries Ringg campaigns mostly call; any other country gets the generic E.164 check
# (8 to 15 digits, no leading 0 in the country code).
RULES = {
    "91": NationalRule((10,), "6789", "a +91 mobile number has 10 digits starting with 6, 7, 8 or 9"),
    "1": NationalRule((10,), "23456789", "a +1 number has 10 digits (area code + number)"),
    "44": NationalRule((9, 10), "123456789", "a +44 number has 10 digits after the leading 0"),
    "971": NationalRule((8, 9), "234679", "a +971 number has 8 or 9 digits after the leading 0"),
    "65": NationalRule((8,), "3689", "a +65 number has 8 digits"),
    "61": NationalRule((9,), "23478", "a +61 number has 9 digits after the leading 0"),
}

_FORMATTING = str.maketrans("", "", " -().\t\u00a0/")
_SCIENTIFIC = re.compile(r"\d(?:\.\d+)?[eE]\+?\d+")
E164_MAX_DIGITS = 15
E164_MIN_DIGITS = 8


def dial_code(country_code: str) -> str:
    """'+91' / '91' / 'IN' -> '91'. Raises ValueError with a readable message otherwise."""
    cc = country_code.strip()
    if cc.upper() in ISO_DIAL_CODES:
        return ISO_DIAL_CODES[cc.upper()]
    digits = cc[1:] if cc.startswith("+") else cc
    if digits.isascii() and digits.isdigit() and 1 <= len(digits) <= 3 and digits[0] != "0":
        return digits
    raise ValueError(
        f"country_code {country_code!r} is not a dialling code: use the '+91' form (or a 2-letter code like 'IN')"
    )


class PhoneNormalizer:
    """normalize(raw) -> (E.164 string, None) or ("", problem written for the person who owns the CSV).

    Fast on the common case (a number already written as `+<digits>`): pre-flight runs this on every row of
    million-row files.
    """

    def __init__(self, country_code: str) -> None:
        self.cc = dial_code(country_code)
        self._rule = rule = RULES.get(self.cc)
        # The two clean shapes (exactly E.164, or exactly a national number) as regexes: they accept a subset of
        # what normalize() accepts and give the same result, so a batch of them needs no per-row Python code.
        if rule is None:
            e164 = rf"\+[1-9][0-9]{{{E164_MIN_DIGITS - 1},{E164_MAX_DIGITS - 1}}}"
            national = None
        else:
            nsn = "|".join(f"[{rule.first_digits}][0-9]{{{n - 1}}}" for n in rule.lengths)
            e164, national = rf"\+{self.cc}(?:{nsn})", f"(?:{nsn})"
        self._e164_block = re.compile(rf"(?:{e164}\n)*{e164}")
        self._not_e164_line = re.compile(rf"(?m)^(?!{e164}$)[^\n]*")
        self._national = re.compile(national) if national else None
        self._national_block = re.compile(rf"(?:{national}\n)*{national}" if national else "(?!)")
        # Countries whose numbers have one length: whole batches are checked with string slices, no regex.
        self._size = 1 + len(self.cc) + rule.lengths[0] if rule is not None and len(rule.lengths) == 1 else 0
        self._not_first = str.maketrans("", "", rule.first_digits) if rule is not None else {}
        # A clean number of the E.164 length, standing in for the values of other lengths in _sized_e164.
        self._stand_in = f"+{self.cc}{rule.first_digits[0]}".ljust(self._size, "0") if rule and self._size else ""

    def normalize_clean_batch(self, raw: list[str]) -> tuple[list[str], list[int]]:
        """E.164 numbers for the values that are exactly E.164 (in this campaign's country when it has rules)
        or exactly a bare national number; "" and their index in the second list for the others, which need
        normalize(). The values are joined into one text and matched by one regex scan: no per-row Python."""
        if self._size:
            odd = self._sized_e164(raw)
            if odd is not None:
                return self._recheck(raw, odd)
        joined = "\n".join(raw)
        if joined.count("\n") != len(raw) - 1:  # a value spans lines: check each on its own
            return [""] * len(raw), list(range(len(raw)))
        if self._e164_block.fullmatch(joined):
            return raw, []
        prefix, national = "+" + self.cc, self._national
        if national is not None and self._national_block.fullmatch(joined):
            return [prefix + n for n in raw], []
        odd, line, pos = [], 0, 0
        for match in self._not_e164_line.finditer(joined):
            line += joined.count("\n", pos, match.start())
            pos = match.start()
            odd.append(line)
        return self._recheck(raw, odd)

    def _recheck(self, raw: list[str], odd: list[int]) -> tuple[list[str], list[int]]:
        """`raw` is clean E.164 but at the `odd` indexes: those may be bare national numbers, or need normalize()."""
        numbers, unclean, national = list(raw) if odd else raw, [], self._national
        for i in odd:
            if national is not None and national.fullmatch(raw[i]):
                numbers[i] = "+" + self.cc + raw[i]
            else:
                numbers[i] = ""
                unclean.append(i)
        return numbers, unclean

    def _sized_e164(self, raw: list[str]) -> list[int] | None:
        """For a country whose numbers have one length: the indexes of the values that do not have the E.164
        length, when every value that has it is clean E.164 of this country (checked with slices over the
        joined values); None when some value of that length is not, or most values lack it."""
        size, cc = self._size, self.cc
        odd = list(compress(count(), map(size.__ne__, map(len, raw))))
        if len(odd) > len(raw) - len(raw) // 2:
            return None
        values = raw
        if odd:  # stand-ins of the right length keep the slices aligned; their rows are rechecked one by one
            values = list(raw)
            for i in odd:
                values[i] = self._stand_in
        joined, n = "".join(values), len(values)
        if joined.count("+") != n or joined[0::size] != "+" * n:
            return None
        if any(joined[k::size] != digit * n for k, digit in enumerate(cc, start=1)):
            return None
        if joined[1 + len(cc) :: size].translate(self._not_first):
            return None
        # The other characters must be ASCII digits: bytes.isdigit is ASCII-only and several times faster than str's.
        return odd if joined.isascii() and joined.encode("ascii").translate(None, b"+").isdigit() else None

    def normalize(self, raw: str) -> tuple[str, str | None]:
        s = raw.strip()
        if s[:1] == "+" and s[1:].isdigit() and s.isascii():
            digits = s[1:]  # the common case: already E.164
        else:
            digits, problem = self._digits(s)
            if problem is not None:
                return "", problem
        problem = self._check(digits)
        if problem is not None:
            return "", problem
        return "+" + digits, None

    def _digits(self, s: str) -> tuple[str, str | None]:
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
        if international:
            return body, None
        national = body[1:] if body.startswith("0") and len(body) > 1 else body
        if national.startswith(self.cc) and self._fits(national[len(self.cc) :]) and not self._fits(national):
            return national, None  # written with the country code but without the "+"
        return self.cc + national, None

    def _fits(self, nsn: str) -> bool:
        rule = self._rule
        if rule is None:
            return E164_MIN_DIGITS <= len(self.cc) + len(nsn) <= E164_MAX_DIGITS
        return len(nsn) in rule.lengths and nsn[:1] in rule.first_digits

    def _check(self, digits: str) -> str | None:
        if digits[:1] == "0":
            return f"+{digits} does not start with a country code (a country code never starts with 0)"
        if not E164_MIN_DIGITS <= len(digits) <= E164_MAX_DIGITS:
            return f"+{digits} has {len(digits)} digits; a phone number with its country code has 8 to 15"
        rule = self._rule
        if rule is not None and digits.startswith(self.cc) and not self._fits(digits[len(self.cc) :]):
            return f"+{digits} is not a valid number: {rule.describe}"
        return None
