"""The callable numbers of a country as one small regex, derived from phonenumbers' own metadata: every national
number whose first digits and length settle phonenumbers' verdict (valid, of an allowed type) for all numbers
that share them. The fast path of domain.phones; a number it does not match gets phonenumbers itself."""

from __future__ import annotations

import importlib
import itertools
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import phonenumbers
from phonenumbers import PhoneMetadata
from phonenumbers.phonemetadata import PhoneNumberDesc

from contract.number_types import NumberType

# phonenumbers' _number_type_helper tests these kinds first, in this order; fixed_line and mobile come last.
SPECIAL_TYPES: tuple[NumberType, ...] = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
)
DESCS = ("general_desc", *SPECIAL_TYPES, "fixed_line", "mobile")
DIGITS = "0123456789"
MAX_DEPTH = 6  # first digits looked at; numbers whose verdict needs more go to the slow path
ACCEPT = 0
States = frozenset[int]
# The stdlib's regex parser (the `re` module's own, no stubs; `sre_parse` is its deprecated alias): its parse tree
# of a pattern is (opcode, argument) pairs, read here as Any.
sre_parse: Any = importlib.import_module("re._parser")


class _Nfa:
    """A digit automaton of one metadata pattern (phonenumbers' patterns use literals, classes, alternation and
    bounded repeats only; anything else raises ValueError and the country gets no fast path)."""

    def __init__(self, pattern: str) -> None:
        self.edges: list[list[tuple[frozenset[str], States]]] = [[]]  # state 0: ACCEPT
        self._steps: dict[tuple[States, str], States] = {}
        self.start = self._seq(list(sre_parse.parse(pattern)), frozenset({ACCEPT}))

    def _state(self, chars: frozenset[str], then: States) -> States:
        self.edges.append([(chars, then)])
        return frozenset({len(self.edges) - 1})

    def _seq(self, items: list[tuple[Any, Any]], then: States) -> States:
        for op, arg in reversed(items):
            then = self._one(str(op), arg, then)
        return then

    def _one(self, op: str, arg: Any, then: States) -> States:
        if op == "LITERAL":  # arg: a code point
            return self._state(frozenset({chr(arg)}), then)
        if op == "IN":  # arg: (op, value) pairs
            return self._state(_chars(arg), then)
        if op == "BRANCH":  # arg: (None, alternatives)
            return frozenset().union(*(self._seq(list(alt), then) for alt in arg[1]))
        if op == "MAX_REPEAT":
            low, high, body = arg
            if high == sre_parse.MAXREPEAT or high > 32:
                raise ValueError("an unbounded repeat")
            for _ in range(high - low):
                then = then | self._seq(list(body), then)
            for _ in range(low):
                then = self._seq(list(body), then)
            return then
        raise ValueError(f"regex operation {op}")

    def step(self, states: States, digit: str) -> States:
        key = (states, digit)
        found = self._steps.get(key)
        if found is None:
            found = self._steps[key] = frozenset().union(
                *(t for s in states for chars, t in self.edges[s] if digit in chars)
            )
        return found


def _chars(items: list[tuple[Any, Any]]) -> frozenset[str]:
    found: set[str] = set()
    for op, value in items:
        if str(op) == "LITERAL":
            found.add(chr(value))
        elif str(op) == "RANGE":
            low, high = value
            found.update(chr(c) for c in range(low, high + 1))
        elif str(op) == "CATEGORY" and str(value) == "CATEGORY_DIGIT":
            found.update(DIGITS)
        else:
            raise ValueError(f"character class item {op}")
    return frozenset(found & set(DIGITS))


class _Desc:
    """phonenumbers' _is_number_matching_desc over all numbers of a prefix: True (every completion to `length`
    digits matches), False (none does) or None (some do)."""

    def __init__(self, d: PhoneNumberDesc | None) -> None:
        self.nfa = _Nfa(d.national_number_pattern) if d is not None and d.national_number_pattern else None
        self.lengths = frozenset(n for n in (d.possible_length or ()) if n > 0) if d is not None else frozenset()
        self.any_length = d is not None and not d.possible_length
        self._memo: dict[tuple[States, int], bool | None] = {}

    @property
    def start(self) -> States:
        return self.nfa.start if self.nfa is not None else frozenset()

    def step(self, states: States, digit: str) -> States:
        return self.nfa.step(states, digit) if self.nfa is not None else frozenset()

    def over(self, states: States, length: int, left: int) -> bool | None:
        if self.nfa is None or not (self.any_length or length in self.lengths):
            return False
        return self._over(states, left)

    def _over(self, states: States, left: int) -> bool | None:
        if not states:
            return False
        if left == 0:
            return ACCEPT in states
        key = (states, left)
        if key not in self._memo:
            assert self.nfa is not None
            seen = {self._over(self.nfa.step(states, d), left - 1) for d in DIGITS}
            self._memo[key] = seen.pop() if len(seen) == 1 else None
        return self._memo[key]


def type_of(flags: dict[str, bool], same_pattern: bool) -> str:
    """phonenumbers' _number_type_helper over the descs' match flags."""
    if not flags["general_desc"]:
        return "unknown"
    for kind in SPECIAL_TYPES:
        if flags[kind]:
            return kind
    if flags["fixed_line"]:
        return "fixed_line_or_mobile" if same_pattern or flags["mobile"] else "fixed_line"
    return "mobile" if not same_pattern and flags["mobile"] else "unknown"


def _settled(known: dict[str, bool | None], accepts: Callable[[dict[str, bool]], bool]) -> bool | None:
    """The verdict when every way the unsettled flags could fall gives the same one; else None."""
    open_ = [k for k, v in known.items() if v is None]
    if len(open_) > 4:
        return None
    seen = set()
    for values in itertools.product((False, True), repeat=len(open_)):
        flags = {k: bool(v) for k, v in known.items()} | dict(zip(open_, values, strict=True))
        seen.add(accepts(flags))
        if len(seen) > 1:
            return None
    return seen.pop()


def _alternatives(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"


@lru_cache(maxsize=64)
def callable_trie(country_code: int, kinds: tuple[NumberType, ...]) -> str | None:
    """A regex matching, from a national number's first digit to its end, only numbers phonenumbers finds valid and
    of one of `kinds` (region_code_for_number giving the code's first region). None when the code's first region
    is chosen by leading digits or its patterns use what the automaton does not read: no fast path."""
    region = phonenumbers.COUNTRY_CODE_TO_REGION_CODE[country_code][0]
    meta = PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
    if meta is None or (
        meta.leading_digits is not None and len(phonenumbers.COUNTRY_CODE_TO_REGION_CODE[country_code]) > 1
    ):
        return None
    try:
        every = {name: _Desc(getattr(meta, name)) for name in DESCS}
    except ValueError:
        return None
    lengths = sorted(every["general_desc"].lengths)
    never = {name: False for name, d in every.items() if d.nfa is None}  # kinds the plan does not have
    descs = {name: d for name, d in every.items() if d.nfa is not None}
    same = bool(meta.same_mobile_and_fixed_line_pattern)
    allowed = set(kinds)

    def accepts(flags: dict[str, bool]) -> bool:
        return type_of(flags, same) in allowed

    names = list(descs)
    memo: dict[tuple[tuple[States, ...], int, tuple[int, ...]], str | None] = {}

    def node(states: dict[str, States], depth: int, open_lengths: list[int]) -> str | None:
        # Prefixes that leave every automaton in the same states share their subtree (most do, past a few digits).
        key = (tuple(states[n] for n in names), depth, tuple(open_lengths))
        if key not in memo:
            memo[key] = _subtree(states, depth, open_lengths)
        return memo[key]

    def _subtree(states: dict[str, States], depth: int, open_lengths: list[int]) -> str | None:
        here, deeper = [], []
        for length in open_lengths:
            if length <= depth:
                continue
            known: dict[str, bool | None] = {n: d.over(states[n], length, length - depth) for n, d in descs.items()}
            known.update(never)
            verdict = _settled(known, accepts)
            if verdict:
                here.append(f"[0-9]{{{length - depth}}}")
            elif verdict is None and depth < MAX_DEPTH:
                deeper.append(length)
        by_sub: dict[str, list[str]] = {}
        for digit in DIGITS if deeper else "":
            nxt = {n: d.step(states[n], digit) for n, d in descs.items()}
            sub = node(nxt, depth + 1, deeper)
            if sub is not None:
                by_sub.setdefault(sub, []).append(digit)
        for sub, digits in by_sub.items():
            cls = digits[0] if len(digits) == 1 else "[0-9]" if len(digits) == 10 else f"[{''.join(digits)}]"
            here.append(cls + sub)
        return _alternatives(here) if here else None

    start = {n: d.start for n, d in descs.items()}
    return node(start, 0, lengths) or "(?!)"


def first_digits(pattern: str) -> frozenset[str] | None:
    """The digits a non-empty match of `pattern` can start with; None when the automaton cannot read it."""
    try:
        nfa = _Nfa(pattern)
    except (ValueError, re.error):
        return None
    return frozenset().union(*(chars for s in nfa.start for chars, _ in nfa.edges[s]))


def guard(prefix: str | None, trie: str, before: str) -> str:
    """A negative lookahead that sends to the slow path the numbers from which parse might strip `prefix` (a
    national prefix for parsing); "" when no callable number can start the way the prefix does."""
    if not prefix:
        return ""
    starts, can_start = first_digits(prefix), first_digits(trie)
    if starts is not None and can_start is not None and not starts & can_start:
        return ""
    return f"(?!{nonempty_match(prefix, before)})"


def nonempty_match(pattern: str | None, before: str) -> str:
    """A lookahead body that holds when `pattern` (matched as re.match does, from here) can consume at least one
    digit: the text just before this point is `before`, which it then no longer is. A superset of "its first match
    is not empty", so guarding with it is safe (the rest goes to the slow path)."""
    if not pattern:
        return "(?!)"
    return f"(?:{pattern})(?<!{before})"


def metadata(country_code: int, region: str) -> PhoneMetadata:
    found = PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
    if found is None:  # every region phonenumbers lists for a dialling code has metadata
        raise ValueError(f"phonenumbers has no numbering plan for {region} (+{country_code})")
    return found
