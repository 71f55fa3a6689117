"""Phone numbers by phonenumbers' plans: every country, number types (landlines on request), the fast path's
verdicts equal to phonenumbers' own, and a number's timezones."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contract.number_types import NUMBER_TYPES, NumberType
from domain.number_plan import callable_trie
from domain.phone_zones import zones_of
from domain.phones import PhoneNormalizer, dial_code, dialling_region

LANDLINE = "+912269976801"  # a Mumbai landline: the example


def test_an_indian_landline_is_called_by_default() -> None:
    phones = PhoneNormalizer("+91")
    assert phones.normalize(LANDLINE) == (LANDLINE, None)
    assert phones.normalize("022 6997 6801") == (LANDLINE, None)
    assert phones.normalize_clean_batch([LANDLINE, "+919876543210"]) == ([LANDLINE, "+919876543210"], [])


def test_an_indian_landline_is_refused_for_mobiles_only_with_what_to_change() -> None:
    phones = PhoneNormalizer("+91", ["mobile"])
    e164, problem = phones.normalize(LANDLINE)
    assert e164 == ""
    assert problem == (
        f"{LANDLINE} is a landline number (fixed_line); this campaign calls mobile numbers only: add "
        '"fixed_line" to number_types to call it'
    )
    assert phones.normalize_clean_batch([LANDLINE]) == ([""], [0])


@pytest.mark.parametrize(
    ("number", "kind"),
    [("+18005550100", "toll_free"), ("+19005550100", "premium_rate"), ("+447400123456", "mobile")],
)
def test_toll_free_and_premium_rate_are_refused_unless_listed(number: str, kind: NumberType) -> None:
    assert PhoneNormalizer("+1").normalize(number)[0] == ("" if kind != "mobile" else number)
    assert PhoneNormalizer("+1", [kind]).normalize(number) == (number, None)


def test_every_country_phonenumbers_knows_is_a_campaign_country() -> None:
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        code, found = dialling_region(region)
        assert found == region and dial_code(f"+{code}") == str(code)
        phones = PhoneNormalizer(region, NUMBER_TYPES)
        example = phonenumbers.example_number(region)
        if example is None:  # a few territories publish no example number
            continue
        e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
        national = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL)
        assert phones.normalize(e164) == (e164, None), region
        assert phones.normalize(national) == (e164, None), region


@pytest.mark.parametrize("bad", ["India", "+0", "+999", "ZZ", "+800", "", "91-1"])
def test_a_country_code_phonenumbers_has_no_country_for_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="country_code"):
        dial_code(bad)


def test_uk_still_means_great_britain() -> None:
    assert dialling_region("UK") == (44, "GB")


# --- the fast path against phonenumbers ------------------------------------------------------------------------

REGIONS = ["IN", "US", "GB", "AE", "SG", "AU", "DE", "BR", "NG", "CA", "AR", "IT"]
KIND_SETS: list[tuple[NumberType, ...]] = [
    ("mobile", "fixed_line_or_mobile"),
    ("mobile", "fixed_line_or_mobile", "fixed_line", "voip"),
    ("toll_free", "premium_rate", "shared_cost"),
]


def _examples(region: str) -> list[str]:
    found = (phonenumbers.example_number_for_type(region, t) for t in range(11))
    return [phonenumbers.national_significant_number(n) for n in found if n is not None]


@st.composite
def written_numbers(draw: st.DrawFn, region: str) -> str:
    """Numbers of the region as people write them: an example number of each type with a few digits changed (so
    mostly valid, sometimes of another range or length), or random digits; with or without the country code, a
    national prefix or formatting."""
    cc = str(phonenumbers.country_code_for_region(region))
    if draw(st.booleans()):
        digits = list(draw(st.sampled_from(_examples(region))))
        for _ in range(draw(st.integers(0, 3))):
            digits[draw(st.integers(0, len(digits) - 1))] = draw(st.sampled_from("0123456789"))
        nsn = "".join(digits)[: draw(st.integers(len(digits) - 1, len(digits) + 1))]
    else:
        nsn = draw(st.text("0123456789", min_size=4, max_size=14))
    shape = draw(st.sampled_from(["+{cc}{n}", "{n}", "0{n}", "{cc}{n}", "+{cc}0{n}", "00{cc} {n}", "+{cc} ({n})"]))
    return shape.format(cc=cc, n=nsn)


@pytest.mark.parametrize("region", REGIONS)
@pytest.mark.parametrize("kinds", KIND_SETS, ids=["default", "landlines", "toll-free"])
@settings(max_examples=40, deadline=None)  # 36 cases: 1,440 lists of up to 40 numbers a run
@given(data=st.data())
def test_the_fast_path_gives_phonenumbers_verdict(
    region: str, kinds: tuple[NumberType, ...], data: st.DataObject
) -> None:
    phones = PhoneNormalizer(region, kinds)
    raw = data.draw(st.lists(written_numbers(region), min_size=1, max_size=40))
    numbers, unclean = phones.normalize_clean_batch(raw)
    for i, value in enumerate(raw):
        slow = phones.reference(value)
        assert phones.normalize(value) == slow, value
        if i not in unclean:
            assert (numbers[i], None) == slow, value
        else:
            assert numbers[i] == ""


def test_the_fast_path_takes_the_common_numbers() -> None:
    """Campaign-sized shapes do not fall to the slow path: a clean block is one regex match."""
    phones = PhoneNormalizer("+91")
    raw = [f"+9198{n:08d}" for n in range(0, 10**8, 10**5)] + [f"70{n:08d}" for n in range(0, 10**8, 10**5)]
    numbers, unclean = phones.normalize_clean_batch(raw)
    assert unclean == [] and numbers[-1] == "+917099900000"
    assert callable_trie(7, ("mobile",)) is None  # +7: Russia and Kazakhstan share it by leading digits: slow path


def test_a_numbers_timezones_come_from_phonenumbers_under_current_names() -> None:
    assert zones_of("+912269976801") == ("Asia/Kolkata",)  # phonenumbers says Asia/Calcutta
    assert len(zones_of("+18005550100")) > 1  # toll-free: anywhere in +1
    assert zones_of("+99912") == ()
