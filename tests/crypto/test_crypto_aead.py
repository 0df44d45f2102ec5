"""Field encryption at the AEAD level: round trips, and every kind of tampering refused."""

from __future__ import annotations

import secrets
import uuid

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from diversion.crypto.aead import FieldCipher, FieldContext, decrypt_field, encrypt_field, read_key_id
from diversion.crypto.datakeys import (
    WRAP_PURPOSE,
    new_data_key,
    unwrap_data_key,
    unwrap_with_keyring,
    wrap_data_key,
    wrap_with_keyring,
)
from diversion.crypto.errors import DecryptionError
from diversion.crypto.keys import KeyRing, MasterKey

KEY = secrets.token_bytes(32)
CLIENT = str(uuid.uuid4())
CONTEXT = FieldContext("clients", "family_name", CLIENT, CLIENT)


def _key_for(_key_id: str) -> bytes:
    return KEY


@settings(max_examples=2000, deadline=None)
@given(st.text())
@example("")
@example("x" * 100_000)
@example("é" * 100_000)
@example("😀👩🏽‍⚕️🏳️‍🌈")
@example("𠀀𠀁𪚥𰻞")
@example("\x00\ufffe\U0010ffff")
def test_round_trip_any_text(text: str) -> None:
    plaintext = text.encode("utf-8")
    blob = encrypt_field(KEY, "dk", plaintext, CONTEXT)
    assert decrypt_field(blob, _key_for, CONTEXT).decode("utf-8") == text
    assert FieldCipher(KEY, "dk").decrypt(blob, CONTEXT) == plaintext
    if len(plaintext) >= 8:
        # Shorter plaintexts can turn up in random ciphertext bytes by chance.
        assert plaintext not in blob
    # Version, key id, nonce and tag: 2 + 2 + 12 + 16 bytes on top of the plaintext.
    assert len(blob) == len(plaintext) + 32


def test_nonces_differ() -> None:
    blobs = {encrypt_field(KEY, "dk", b"same", CONTEXT) for _ in range(1000)}
    assert len(blobs) == 1000


def test_every_flipped_byte_is_refused() -> None:
    blob = encrypt_field(KEY, "dk", b"Ruth O'Brien, 12 Station Road", CONTEXT)
    for position in range(len(blob)):
        for flip in (0x01, 0x80):
            tampered = bytearray(blob)
            tampered[position] ^= flip
            with pytest.raises(DecryptionError):
                decrypt_field(bytes(tampered), _key_for, CONTEXT)
            with pytest.raises(DecryptionError):
                FieldCipher(KEY, "dk").decrypt(bytes(tampered), CONTEXT)


def test_truncated_or_extended_is_refused() -> None:
    blob = encrypt_field(KEY, "dk", b"value", CONTEXT)
    for cut in range(len(blob)):
        with pytest.raises(DecryptionError):
            decrypt_field(blob[:cut], _key_for, CONTEXT)
    with pytest.raises(DecryptionError):
        decrypt_field(blob + b"\x00", _key_for, CONTEXT)


@pytest.mark.parametrize(
    "moved",
    [
        FieldContext("clients", "family_name", str(uuid.uuid4()), CLIENT),  # another row
        FieldContext("clients", "given_name", CLIENT, CLIENT),  # another column
        FieldContext("clients", "family_name", CLIENT, str(uuid.uuid4())),  # another client
        FieldContext("referrals", "family_name", CLIENT, CLIENT),  # another table
    ],
    ids=["row", "column", "client", "table"],
)
def test_value_moved_elsewhere_is_refused(moved: FieldContext) -> None:
    blob = encrypt_field(KEY, "dk", b"Ruth", CONTEXT)
    with pytest.raises(DecryptionError):
        decrypt_field(blob, _key_for, moved)


def test_context_encoding_is_unambiguous() -> None:
    # Without length prefixes these two contexts would share their bytes.
    first = FieldContext("ab", "c", "1", "2")
    second = FieldContext("a", "bc", "1", "2")
    assert first.encode() != second.encode()
    blob = encrypt_field(KEY, "dk", b"v", first)
    with pytest.raises(DecryptionError):
        decrypt_field(blob, _key_for, second)


def test_relabelled_key_id_is_refused() -> None:
    blob = encrypt_field(KEY, "k1", b"secret", CONTEXT)
    relabelled = blob[:2] + b"k2" + blob[4:]
    assert read_key_id(relabelled) == "k2"
    with pytest.raises(DecryptionError):
        decrypt_field(relabelled, _key_for, CONTEXT)
    with pytest.raises(DecryptionError):
        FieldCipher(KEY, "k1").decrypt(relabelled, CONTEXT)


def test_wrong_key_is_refused() -> None:
    blob = encrypt_field(KEY, "dk", b"secret", CONTEXT)
    with pytest.raises(DecryptionError):
        decrypt_field(blob, lambda _kid: secrets.token_bytes(32), CONTEXT)


def test_unknown_key_id_is_refused() -> None:
    blob = encrypt_field(KEY, "gone", b"secret", CONTEXT)

    def key_for(key_id: str) -> bytes:
        raise KeyError(key_id)

    with pytest.raises(DecryptionError, match="not available"):
        decrypt_field(blob, key_for, CONTEXT)


def test_wrong_master_key_refuses_wrapped_data_key() -> None:
    right = KeyRing([MasterKey("k1", secrets.token_bytes(32))])
    wrong = KeyRing([MasterKey("k1", secrets.token_bytes(32))])
    data_key = new_data_key()
    master_id, wrapped = wrap_with_keyring(right, CLIENT, data_key)
    assert unwrap_with_keyring(right, CLIENT, master_id, wrapped) == data_key
    with pytest.raises(DecryptionError):
        unwrap_with_keyring(wrong, CLIENT, master_id, wrapped)


def test_wrapped_data_key_bound_to_client_and_master_id() -> None:
    ring = KeyRing([MasterKey("k1", secrets.token_bytes(32)), MasterKey("k0", secrets.token_bytes(32))])
    data_key = new_data_key()
    wrapped = wrap_data_key(ring.derived(WRAP_PURPOSE, "k1"), data_key, CLIENT, "k1")
    with pytest.raises(DecryptionError):
        unwrap_data_key(ring.derived(WRAP_PURPOSE, "k1"), wrapped, str(uuid.uuid4()), "k1")
    with pytest.raises(DecryptionError):
        unwrap_with_keyring(ring, CLIENT, "k0", wrapped)
    with pytest.raises(DecryptionError, match="not configured"):
        unwrap_with_keyring(ring, CLIENT, "k9", wrapped)
    with pytest.raises(DecryptionError, match="destroyed"):
        unwrap_with_keyring(ring, CLIENT, "k1", b"")
    for position in range(len(wrapped)):
        tampered = bytearray(wrapped)
        tampered[position] ^= 0x01
        with pytest.raises(DecryptionError):
            unwrap_with_keyring(ring, CLIENT, "k1", bytes(tampered))


def test_derived_keys_are_separate_per_purpose_and_master() -> None:
    ring = KeyRing([MasterKey("k1", secrets.token_bytes(32)), MasterKey("k0", secrets.token_bytes(32))])
    purposes = ["wrap/data-keys", "blind-index/name-dob", "blind-index/urn", "fields/users"]
    keys = {ring.derived(p, k) for p in purposes for k in ("k1", "k0")}
    assert len(keys) == 8
