"""Blind indexes: keyed hashes of normalised values, so exact-match search never decrypts every row.

A blind index is HMAC-SHA-256, under an index key of its own (derived from a master key, never an encryption key),
over length-prefixed normalised parts. Two indexes exist:

- **family name + date of birth**, one compound index, *truncated* to a few bits. Truncation puts many different
  people in the same bucket, so the index cannot say "these two rows are the same person", only "these rows share a
  bucket". A search reads the bucket through an ordinary database index, decrypts the few candidates and drops the
  false positives. There are deliberately no separate indexes on the name or the date: each would leak far more.
- **URN**, a full (256-bit) index: URNs are unique, looked up exactly, and back the one-open-case rule.

What the indexes leak, to someone holding the database but not the keys:

- the full URN index leaks which rows share a URN (equality), nothing else;
- the truncated name + date-of-birth index leaks equality *within a bucket*: two rows with the same value always
  share a bucket, but so do unrelated rows. With ``N`` clients and ``bits`` bits there are ``2**bits`` buckets and
  about ``N / 2**bits`` clients per bucket. Choose ``bits ≈ log2(N) - 3`` to get about eight per bucket
  (:func:`recommended_bits`): 10,000 clients → 10 bits, 100,000 → 14 bits. Fewer bits leak less and cost more
  decryptions per search; more bits approach a full index. :data:`DEFAULT_NAME_DOB_BITS` (16) suits about half a
  million clients; a smaller service should configure fewer bits, and changing the width means rebuilding the
  index (:func:`diversion.crypto.rotation.rebuild_blind_indexes`).

Index keys come from ``KeyRing.derived(NAME_DOB_PURPOSE)`` and ``KeyRing.derived(URN_PURPOSE)``; a new active master
key therefore means a rebuild, during which :func:`search_index_keys` gives every configured key to search with.
"""

from __future__ import annotations

import hmac
import math
import re
import struct
import unicodedata
from datetime import date, datetime

from diversion.crypto.keys import KeyRing

NAME_DOB_PURPOSE = "blind-index/name-dob"
URN_PURPOSE = "blind-index/urn"
# 4,096 buckets: about 2 clients a bucket at 10,000 clients and 25 at 100,000, so an index value stands for a few
# people, never for one (a scheme expecting N clients sets recommended_bits(N); docs/encryption.md).
DEFAULT_NAME_DOB_BITS = 12
FULL_BITS = 256
_PART_LENGTH = struct.Struct(">I")

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Letters that carry no combining mark to strip, so NFKD leaves them alone; people type them without the stroke.
_UNDECOMPOSABLE = str.maketrans(
    {"ø": "o", "ł": "l", "đ": "d", "ð": "d", "ħ": "h", "\u0131": "i", "ŀ": "l", "æ": "ae", "œ": "oe", "þ": "th"}
)


def normalise_text(value: str) -> str:
    """NFKC, case-folded, accents stripped, only letters and digits kept: "Ó'Brien" → "obrien"."""
    folded = unicodedata.normalize("NFKC", value).casefold().translate(_UNDECOMPOSABLE)
    decomposed = unicodedata.normalize("NFKD", folded)
    # Combining marks are category M, separators Z, punctuation P, symbols S, controls C: only L and N survive.
    return "".join(ch for ch in decomposed if unicodedata.category(ch)[0] in "LN")


def normalise_date(value: date | str) -> str:
    """ISO ``YYYY-MM-DD`` from a date or an ISO date string; ValueError for anything else."""
    if isinstance(value, datetime):
        # A datetime is a date subclass, but a date of birth with a time is a caller's mistake worth refusing.
        raise ValueError("Expected a date, not a datetime.")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        text = value.strip()
        if not _ISO_DATE.match(text):
            raise ValueError("Expected an ISO date, YYYY-MM-DD.")
        return date.fromisoformat(text).isoformat()
    raise ValueError("Expected a date or an ISO date string.")


def normalise_urn(value: str) -> str:
    """Upper case with spaces and separators removed: "01/ab/12345/26" → "01AB1234526"."""
    text = unicodedata.normalize("NFKC", value)
    return "".join(ch for ch in text if ch.isalnum()).upper()


def _mask(digest: bytes, bits: int) -> bytes:
    if not 1 <= bits <= FULL_BITS:
        raise ValueError(f"bits must be between 1 and {FULL_BITS}.")
    length = (bits + 7) // 8
    out = bytearray(digest[:length])
    spare = length * 8 - bits
    out[-1] &= (0xFF << spare) & 0xFF
    return bytes(out)


def blind_index(key: bytes, *parts: str, bits: int | None = None) -> bytes:
    """HMAC-SHA-256 of the (already normalised) parts, length-prefixed; truncated to ``bits`` when given."""
    if len(key) < 16:
        raise ValueError("A blind-index key is at least 16 bytes.")
    message = bytearray()
    for part in parts:
        raw = part.encode("utf-8")
        message += _PART_LENGTH.pack(len(raw))
        message += raw
    # One-shot HMAC in C: a search computes one per configured master key, the index rebuild one per row.
    digest = hmac.digest(key, message, "sha256")
    return digest if bits is None else _mask(digest, bits)


def organisation_key(key: bytes, salt: bytes | None) -> bytes:
    """The index key of one organisation: the service's key for the purpose, itself keyed by the organisation's
    random salt, so that equal values in two organisations give unrelated indexes. ``None`` (the organisation the
    first edition's data moved into) keeps the service's key, so its existing indexes stay valid."""
    if salt is None:
        return key
    return hmac.digest(key, b"organisation:" + salt, "sha256")


def name_dob_index(key: bytes, family_name: str, date_of_birth: date | str, bits: int = DEFAULT_NAME_DOB_BITS) -> bytes:
    """The truncated compound index over a normalised family name and date of birth."""
    return blind_index(key, normalise_text(family_name), normalise_date(date_of_birth), bits=bits)


def urn_index(key: bytes, urn: str) -> bytes:
    """The full index over a normalised URN."""
    return blind_index(key, normalise_urn(urn))


def recommended_bits(expected_clients: int, per_bucket: int = 8) -> int:
    """Index width giving about ``per_bucket`` clients per bucket at ``expected_clients``; at least 1 bit."""
    if expected_clients < 1 or per_bucket < 1:
        raise ValueError("expected_clients and per_bucket are positive.")
    return max(1, round(math.log2(expected_clients / per_bucket)))


def search_index_keys(keyring: KeyRing, purpose: str) -> list[bytes]:
    """The index key under every configured master key, active first: search with all while a rebuild runs."""
    return [keyring.derived(purpose, key_id) for key_id in keyring.ids]
