"""The shortcuts the hot paths take give exactly what the plain paths give: nonces, field ciphers, batch unwrapping."""

from __future__ import annotations

import os
import secrets
import threading
import uuid

import pytest

from diversion.crypto.aead import (
    NONCE_BYTES,
    FieldCipher,
    FieldContext,
    _NonceSource,
    decrypt_field,
    encrypt_field,
    new_nonce,
)
from diversion.crypto.datakeys import new_data_key, unwrap_with_keyring, unwrapper, wrap_with_keyring
from diversion.crypto.errors import DecryptionError
from diversion.crypto.keys import KeyRing, MasterKey

KEY = secrets.token_bytes(32)
CLIENT = str(uuid.uuid4())
CONTEXT = FieldContext("clients", "family_name", CLIENT, CLIENT)


def test_nonces_are_unique_across_batches() -> None:
    source = _NonceSource()
    nonces = [source() for _ in range(_NonceSource.BATCH * 5 + 7)]
    assert all(len(nonce) == NONCE_BYTES for nonce in nonces)
    assert len(set(nonces)) == len(nonces)


def test_nonces_are_unique_across_threads() -> None:
    source = _NonceSource()
    drawn: list[list[bytes]] = [[] for _ in range(4)]

    def draw(out: list[bytes]) -> None:
        out.extend(source() for _ in range(_NonceSource.BATCH * 3))

    threads = [threading.Thread(target=draw, args=(out,)) for out in drawn]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [nonce for out in drawn for nonce in out]
    assert len(set(everything)) == len(everything) == 4 * _NonceSource.BATCH * 3


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_does_not_reuse_the_parents_batch() -> None:
    new_nonce()  # the parent now holds a partly used batch
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe and exits at once
        try:
            os.write(write_end, b"".join(new_nonce() for _ in range(8)))
        finally:
            os._exit(0)
    os.close(write_end)
    child = b""
    while chunk := os.read(read_end, 1024):
        child += chunk
    os.close(read_end)
    os.waitpid(pid, 0)
    parent = [new_nonce() for _ in range(8)]
    assert len(child) == 8 * NONCE_BYTES
    assert not {child[i : i + NONCE_BYTES] for i in range(0, len(child), NONCE_BYTES)} & set(parent)


def test_field_cipher_and_functions_agree_both_ways() -> None:
    cipher = FieldCipher(KEY, "dk")
    nonce = secrets.token_bytes(NONCE_BYTES)
    assert cipher.encrypt(b"Ruth", CONTEXT, nonce=nonce) == encrypt_field(KEY, "dk", b"Ruth", CONTEXT, nonce=nonce)
    assert encrypt_field(cipher, "dk", b"Ruth", CONTEXT, nonce=nonce) == cipher.encrypt(b"Ruth", CONTEXT, nonce=nonce)
    blob = encrypt_field(cipher, "dk", b"Ruth", CONTEXT)
    assert decrypt_field(blob, lambda _key_id: cipher, CONTEXT) == b"Ruth"
    assert decrypt_field(blob, lambda _key_id: KEY, CONTEXT) == b"Ruth"
    # The associated data is the same however it is built, for any place, including ones never seen before.
    for place in [("t" * 300, "c" * 5000), ("tábla", "colonne"), ("clients", "notes")]:
        context = FieldContext(*place, "r" * 5000, "é")
        assert decrypt_field(cipher.encrypt(b"x", context), lambda _key_id: KEY, context) == b"x"
        assert cipher.decrypt(encrypt_field(KEY, "dk", b"x", context), context) == b"x"


def test_a_field_cipher_refuses_another_key_id() -> None:
    cipher = FieldCipher(KEY, "dk")
    with pytest.raises(ValueError, match="another key id"):
        encrypt_field(cipher, "k1", b"Ruth", CONTEXT)
    blob = encrypt_field(KEY, "k1", b"Ruth", CONTEXT)
    with pytest.raises(DecryptionError):
        decrypt_field(blob, lambda _key_id: cipher, CONTEXT)


def test_batch_unwrapper_agrees_with_the_one_key_path() -> None:
    ring = KeyRing([MasterKey("k1", secrets.token_bytes(32)), MasterKey("k0", secrets.token_bytes(32))])
    data_key = new_data_key()
    master_id, wrapped = wrap_with_keyring(ring, CLIENT, data_key)
    assert unwrapper(ring, master_id)(CLIENT, wrapped) == data_key == unwrap_with_keyring(ring, CLIENT, "k1", wrapped)
    cases = [
        ("k1", str(uuid.uuid4()), wrapped, "failed authentication"),
        ("k0", CLIENT, wrapped, "failed authentication"),
        ("k9", CLIENT, wrapped, "not configured"),
        ("", CLIENT, wrapped, "names no master key"),
        ("k1", CLIENT, b"", "destroyed"),
        ("k1", CLIENT, wrapped[:-1], "malformed"),
    ]
    for master, client, blob, reason in cases:
        with pytest.raises(DecryptionError, match=reason):
            unwrapper(ring, master)(client, blob)
        with pytest.raises(DecryptionError, match=reason):
            unwrap_with_keyring(ring, client, master, blob)


def test_decrypt_placed_is_decrypt_with_the_records_placement_kept() -> None:
    from diversion.crypto.aead import placement

    cipher = FieldCipher(KEY, "dk")
    blob = cipher.encrypt(b"Ruth", CONTEXT)
    placed = placement(CONTEXT.row_id, CONTEXT.client_id)
    assert cipher.decrypt_placed(blob, "clients", "family_name", placed) == b"Ruth" == cipher.decrypt(blob, CONTEXT)
    other_client = placement(CONTEXT.row_id, str(uuid.uuid4()))
    for table, column, place in (
        ("clients", "given_name", placed),
        ("referrals", "family_name", placed),
        ("clients", "family_name", other_client),
    ):
        with pytest.raises(DecryptionError):
            cipher.decrypt_placed(blob, table, column, place)
    with pytest.raises(DecryptionError):
        cipher.decrypt_placed(blob[:-1] + bytes([blob[-1] ^ 1]), "clients", "family_name", placed)
