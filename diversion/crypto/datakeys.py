"""Per-client data keys and how they are wrapped under a master key.

Each client has a random 256-bit data key that encrypts every one of that client's fields. It is stored only
wrapped: AES-256-GCM under ``KeyRing.derived(WRAP_PURPOSE, master_key_id)``, with the client id and the master key id
(each length-prefixed) as associated data, so a wrapped key copied to another client's row, or relabelled with
another master key id, fails to unwrap. Wrapped format::

    version (1 byte) | nonce (12 bytes) | ciphertext (32 bytes) | tag (16 bytes)

The version byte is part of the associated data too. Rotating master keys rewraps data keys; the field ciphertexts
they protect never change.
"""

from __future__ import annotations

import functools
import os
import struct
import uuid
from collections.abc import Callable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from diversion.crypto.errors import DecryptionError, KeyConfigurationError
from diversion.crypto.keys import KEY_BYTES, KeyRing

WRAP_PURPOSE = "wrap/data-keys"
# The key id client fields store: "the client's data key", found by the client id their associated data carries.
DATA_KEY_ID = "dk"
WRAP_VERSION = 1
DATA_KEY_BYTES = KEY_BYTES
_NONCE_BYTES = 12
WRAPPED_BYTES = 1 + _NONCE_BYTES + DATA_KEY_BYTES + 16
_VERSION = bytes([WRAP_VERSION])
_LENGTH = struct.Struct(">H")

ClientId = str | uuid.UUID


@functools.lru_cache(maxsize=8192, typed=True)
def id_text(value: object) -> str:
    """An id as text (a UUID's canonical form), remembered: a list page turns the same few hundred ids into text on
    every request, and a UUID's conversion costs more than looking it up."""
    return str(value)


def client_id_text(client_id: ClientId) -> str:
    """The canonical text of a client id (a UUID's hyphenated lower-case form); ValueError when empty or too long."""
    text = id_text(client_id)
    if not 0 < len(text) <= 36:
        raise ValueError("A client id is 1 to 36 characters.")
    return text


def new_data_key() -> bytes:
    """A fresh random 256-bit data key."""
    return os.urandom(DATA_KEY_BYTES)


def wrap_associated_data(client_id: str, master_key_id: str) -> bytes:
    """Associated data of a wrapped key: version, then client id and master key id, each length-prefixed."""
    client = client_id.encode("utf-8")
    return _VERSION + _LENGTH.pack(len(client)) + client + _master_suffix(master_key_id)


def _master_suffix(master_key_id: str) -> bytes:
    master = master_key_id.encode("utf-8")
    return _LENGTH.pack(len(master)) + master


def wrap_data_key(
    wrapping_key: bytes | AESGCM, data_key: bytes, client_id: str, master_key_id: str, *, nonce: bytes | None = None
) -> bytes:
    """Wrap ``data_key`` for ``client_id`` under a wrapping key (or an AES-GCM object over it); ``nonce`` is only for
    fixed test vectors."""
    if len(data_key) != DATA_KEY_BYTES:
        raise ValueError("A data key is 32 bytes.")
    nonce = nonce if nonce is not None else os.urandom(_NONCE_BYTES)
    if len(nonce) != _NONCE_BYTES:
        raise ValueError("The nonce is 12 bytes.")
    cipher = wrapping_key if isinstance(wrapping_key, AESGCM) else AESGCM(wrapping_key)
    sealed = cipher.encrypt(nonce, data_key, wrap_associated_data(client_id, master_key_id))
    return bytes([WRAP_VERSION]) + nonce + sealed


def unwrap_data_key(wrapping_key: bytes | AESGCM, wrapped: bytes, client_id: str, master_key_id: str) -> bytes:
    """Unwrap a data key with a wrapping key (or an AES-GCM object over it); DecryptionError when it is empty
    (destroyed), malformed or fails authentication."""
    if not wrapped:
        raise DecryptionError(f"The data key of client {client_id} has been destroyed.")
    if len(wrapped) != WRAPPED_BYTES or wrapped[0] != WRAP_VERSION:
        raise DecryptionError(f"The wrapped data key of client {client_id} is malformed.")
    nonce = wrapped[1 : 1 + _NONCE_BYTES]
    cipher = wrapping_key if isinstance(wrapping_key, AESGCM) else AESGCM(wrapping_key)
    try:
        return cipher.decrypt(nonce, wrapped[1 + _NONCE_BYTES :], wrap_associated_data(client_id, master_key_id))
    except InvalidTag:
        raise DecryptionError(f"The data key of client {client_id} failed authentication.") from None


def wrap_with_keyring(keyring: KeyRing, client_id: str, data_key: bytes) -> tuple[str, bytes]:
    """Wrap under the active master key; returns (master key id, wrapped bytes)."""
    master_id = keyring.active.id
    return master_id, wrap_data_key(keyring.aead(WRAP_PURPOSE, master_id), data_key, client_id, master_id)


def unwrap_with_keyring(keyring: KeyRing, client_id: str, master_key_id: str, wrapped: bytes) -> bytes:
    """Unwrap with the named master key; DecryptionError also when that master key is not configured."""
    if not master_key_id:
        # KeyRing.derived reads an empty id as "the active key"; an empty id here only ever means a tombstone.
        raise DecryptionError(f"The data key of client {client_id} names no master key.")
    try:
        cipher = keyring.aead(WRAP_PURPOSE, master_key_id)
    except KeyConfigurationError:
        raise DecryptionError(
            f"The data key of client {client_id} is wrapped under master key {master_key_id!r}, not configured."
        ) from None
    return unwrap_data_key(cipher, wrapped, client_id, master_key_id)


def unwrapper(keyring: KeyRing, master_key_id: str) -> Callable[[str, bytes], bytes]:
    """``unwrap(client_id, wrapped) -> data key`` for many keys wrapped under one master key: the same checks and
    errors as :func:`unwrap_with_keyring`, with the cipher and the master key's part of the associated data looked
    up once. A master key that is not configured gives a function that refuses every key."""
    if not master_key_id:
        return lambda client_id, wrapped: unwrap_with_keyring(keyring, client_id, master_key_id, wrapped)
    try:
        cipher = keyring.aead(WRAP_PURPOSE, master_key_id)
    except KeyConfigurationError:
        return lambda client_id, wrapped: unwrap_with_keyring(keyring, client_id, master_key_id, wrapped)
    suffix = _master_suffix(master_key_id)
    decrypt = cipher.decrypt
    lengths = _LENGTH.pack

    def unwrap(client_id: str, wrapped: bytes) -> bytes:
        if len(wrapped) != WRAPPED_BYTES or wrapped[0] != WRAP_VERSION:
            # Empty (destroyed) or malformed: the one-key path words the error.
            return unwrap_data_key(cipher, wrapped, client_id, master_key_id)
        client = client_id.encode("utf-8")
        try:
            return decrypt(
                wrapped[1 : 1 + _NONCE_BYTES],
                wrapped[1 + _NONCE_BYTES :],
                _VERSION + lengths(len(client)) + client + suffix,
            )
        except InvalidTag:
            raise DecryptionError(f"The data key of client {client_id} failed authentication.") from None

    return unwrap
