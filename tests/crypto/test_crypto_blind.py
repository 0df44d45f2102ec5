"""Normalisation and blind indexes: equal people match, truncation really puts others in the same bucket."""

from __future__ import annotations

import random
import secrets
from collections import Counter
from datetime import date, datetime

import pytest

from diversion.crypto.blind import (
    DEFAULT_NAME_DOB_BITS,
    NAME_DOB_PURPOSE,
    URN_PURPOSE,
    blind_index,
    name_dob_index,
    normalise_date,
    normalise_text,
    normalise_urn,
    recommended_bits,
    search_index_keys,
    urn_index,
)
from diversion.crypto.keys import KeyRing, MasterKey

KEY = secrets.token_bytes(32)


def full_width(text: str) -> str:
    """The full-width forms (U+FF01..U+FF5E) of printable ASCII text."""
    return "".join(chr(ord(ch) + 0xFEE0) for ch in text)


@pytest.mark.parametrize(
    "variant", ["Ó'Brien", "o brien", "OBRIEN", "O\u2019Brien", "o-brien", " O . B r i e n ", "Obrien\t"]
)
def test_obrien_variants_are_equal(variant: str) -> None:
    assert normalise_text(variant) == "obrien"


def test_full_width_letters_fold_with_nfkc() -> None:
    assert full_width("OBRIEN") == "\uff2f\uff22\uff32\uff29\uff25\uff2e"
    assert normalise_text(full_width("OBRIEN")) == normalise_text("OBrien")
    assert normalise_text(full_width("smith12")) == "smith12"


def test_accents_and_case_are_removed() -> None:
    assert normalise_text("Nguyễn") == normalise_text("NGUYEN")
    assert normalise_text("Müller") == normalise_text("muller")
    assert normalise_text("Straße") == normalise_text("STRASSE")
    assert normalise_text("Wałęsa") == normalise_text("Walesa")


def test_letters_of_other_scripts_survive() -> None:
    assert normalise_text("李 小龍") == "李小龍"
    assert normalise_text("Ελένη") == normalise_text("ΕΛΕΝΗ")
    assert normalise_text("!!!") == ""


def test_dates_from_objects_and_strings() -> None:
    assert normalise_date(date(1990, 1, 2)) == "1990-01-02"
    assert normalise_date("1990-01-02") == "1990-01-02"
    assert normalise_date(" 1990-01-02 ") == "1990-01-02"


@pytest.mark.parametrize("bad", ["02/01/1990", "1990-13-01", "1990-02-30", "19900102", "", "yesterday"])
def test_bad_date_strings_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        normalise_date(bad)


def test_non_dates_are_refused() -> None:
    with pytest.raises(ValueError):
        normalise_date(datetime(1990, 1, 2, 3, 4))
    with pytest.raises(ValueError):
        normalise_date(19900102)  # type: ignore[arg-type]


def test_urn_separators_removed() -> None:
    assert normalise_urn("01/ab/12345/26") == normalise_urn("01AB1234526") == "01AB1234526"
    assert normalise_urn("01 ab-12345.26") == "01AB1234526"
    assert urn_index(KEY, "01/ab/12345/26") == urn_index(KEY, "01AB1234526")
    assert urn_index(KEY, "01/ab/12345/26") != urn_index(KEY, "01/ab/12345/27")


def test_full_index_is_32_bytes_and_keyed() -> None:
    assert len(urn_index(KEY, "01AB1234526")) == 32
    assert urn_index(KEY, "01AB1234526") != urn_index(secrets.token_bytes(32), "01AB1234526")


def test_parts_are_length_prefixed() -> None:
    assert blind_index(KEY, "ab", "c") != blind_index(KEY, "a", "bc")
    assert blind_index(KEY, "abc") != blind_index(KEY, "abc", "")


@pytest.mark.parametrize("bits", [1, 5, 8, 12, 16, 17, 255, 256])
def test_truncation_masks_spare_bits(bits: int) -> None:
    full = blind_index(KEY, "obrien", "1990-01-02")
    short = blind_index(KEY, "obrien", "1990-01-02", bits=bits)
    assert len(short) == (bits + 7) // 8
    spare = len(short) * 8 - bits
    assert short[-1] & ((1 << spare) - 1) == 0
    assert int.from_bytes(short, "big") >> spare == int.from_bytes(full, "big") >> (256 - bits)


@pytest.mark.parametrize("bits", [0, 257, -1])
def test_bad_widths_are_refused(bits: int) -> None:
    with pytest.raises(ValueError):
        blind_index(KEY, "x", bits=bits)


def test_truncated_buckets_collide_and_equal_values_always_match() -> None:
    rng = random.Random(20260101)
    letters = "abcdefghijklmnopqrstuvwxyz"
    people = {
        ("".join(rng.choices(letters, k=rng.randint(4, 12))), date(1960, 1, 1).toordinal() + rng.randrange(17000))
        for _ in range(5000)
    }
    buckets = Counter()
    for name, day in people:
        dob = date.fromordinal(day)
        value = name_dob_index(KEY, name, dob, bits=8)
        assert len(value) == 1
        buckets[value] += 1
        # The same person, typed differently, lands in the same bucket every time.
        assert name_dob_index(KEY, f" {name.upper()} ", dob.isoformat(), bits=8) == value
    assert len(people) > 4900
    assert len(buckets) <= 256
    assert max(buckets.values()) > 1
    assert sum(count for count in buckets.values() if count > 1) > 4000


def test_default_width_and_recommended_bits() -> None:
    assert DEFAULT_NAME_DOB_BITS == 12  # docs/encryption.md states this width and what it leaks
    assert len(name_dob_index(KEY, "Smith", date(1990, 1, 2))) == 2
    assert recommended_bits(10_000) == 10
    assert recommended_bits(100_000) == 14
    assert recommended_bits(3) == 1
    with pytest.raises(ValueError):
        recommended_bits(0)


def test_index_keys_come_from_the_key_ring() -> None:
    ring = KeyRing([MasterKey("k2", secrets.token_bytes(32)), MasterKey("k1", secrets.token_bytes(32))])
    assert NAME_DOB_PURPOSE != URN_PURPOSE
    keys = search_index_keys(ring, NAME_DOB_PURPOSE)
    assert keys == [ring.derived(NAME_DOB_PURPOSE, "k2"), ring.derived(NAME_DOB_PURPOSE, "k1")]
    assert ring.derived(NAME_DOB_PURPOSE) != ring.derived(URN_PURPOSE)


def test_short_keys_are_refused() -> None:
    with pytest.raises(ValueError):
        blind_index(b"short", "x")
