"""Numbers an operator or a service lists for the suppression list: each normalised to E.164, or its problem told
without the value (an error names the rule and the position, never what was sent)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from contract.number_types import NUMBER_TYPES
from domain.phones import PhoneNormalizer

_E164_PREFIX = re.compile(r"\+\d+ ")


def value_free(problem: str, raw: str) -> str:
    """PhoneNormalizer's problem with the value it quotes left out: "has 7 digits; a phone number ..."."""
    quoted = repr(raw.strip())
    if problem.startswith(quoted):
        return problem[len(quoted) :].strip()
    if match := _E164_PREFIX.match(problem):
        return problem[match.end() :]
    return problem


def normalise_numbers(raw: Sequence[str], country_code: str) -> tuple[list[str], list[tuple[int, str]]]:
    """(E.164 numbers in input order, duplicates kept; every problem as (index, value-free problem)). Raises
    ValueError when `country_code` is not a dialling code."""
    normalizer = PhoneNormalizer(country_code, NUMBER_TYPES)  # a suppression may name any kind
    numbers: list[str] = []
    problems: list[tuple[int, str]] = []
    for i, value in enumerate(raw):
        number, problem = normalizer.normalize(value)
        if problem is not None:
            problems.append((i, value_free(problem, value)))
        else:
            numbers.append(number)
    return numbers, problems
