"""AES-256-GCM field encryption with associated data that binds a ciphertext to its place.

Stored format (binary)::

    version (1 byte) | key id length (1 byte) | key id (ASCII) | nonce (12 bytes) | ciphertext | tag (16 bytes)

The associated data is the header (version and key id) followed by the field's context (table, column, row id,
client id), each length-prefixed, so a ciphertext copied to another row, column or client fails to authenticate.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable
from functools import lru_cache
from typing import NamedTuple

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from diversion.crypto.errors import DecryptionError

FORMAT_VERSION = 1
NONCE_BYTES = 12
TAG_BYTES = 16
_LENGTH = struct.Struct(">H")


class FieldContext(NamedTuple):
    """Where a value lives: what the associated data binds it to."""

    # A named tuple rather than a frozen dataclass: one is built for every field read and written, and a frozen
    # dataclass's __init__ (object.__setattr__ per field) cost three times as much.
    table: str
    column: str
    row_id: str
    client_id: str = ""

    def encode(self) -> bytes:
        """Length-prefixed encoding, so no two contexts share bytes."""
        table, column, row_text, client_text = self
        row_id = row_text.encode("utf-8")
        client_id = client_text.encode("utf-8")
        # The lengths inline rather than through _length: this runs for every field read and written.
        row_length = _LENGTHS[size] if (size := len(row_id)) < 4096 else _LENGTH.pack(size)
        client_length = _LENGTHS[size] if (size := len(client_id)) < 4096 else _LENGTH.pack(size)
        return _place_prefix(table, column) + row_length + row_id + client_length + client_id


# Two-byte big-endian lengths, looked up rather than packed: ids are short, and this runs for every field.
_LENGTHS = tuple(_LENGTH.pack(size) for size in range(4096))


def _length(raw: bytes) -> bytes:
    size = len(raw)
    return _LENGTHS[size] if size < 4096 else _LENGTH.pack(size)


@lru_cache(maxsize=4096)
def _place_prefix(table: str, column: str) -> bytes:
    # An app has a few dozen (table, column) pairs, each encoded once.
    table_raw = table.encode("utf-8")
    column_raw = column.encode("utf-8")
    return _length(table_raw) + table_raw + _length(column_raw) + column_raw


def _header(key_id: str) -> bytes:
    raw = key_id.encode("ascii")
    if not 0 < len(raw) < 256:
        raise ValueError("A key id is 1 to 255 ASCII bytes.")
    return bytes([FORMAT_VERSION, len(raw)]) + raw


def encrypt_field(
    key: bytes | AESGCM, key_id: str, plaintext: bytes, context: FieldContext, *, nonce: bytes | None = None
) -> bytes:
    """Encrypt ``plaintext`` for ``context`` under ``key`` (or an AES-GCM object over it, reused); ``nonce`` is only
    for fixed test vectors."""
    header = _header(key_id)
    nonce = nonce if nonce is not None else os.urandom(NONCE_BYTES)
    if len(nonce) != NONCE_BYTES:
        raise ValueError("The nonce is 12 bytes.")
    cipher = key if isinstance(key, AESGCM) else AESGCM(key)
    sealed = cipher.encrypt(nonce, plaintext, header + context.encode())
    return header + nonce + sealed


def read_key_id(blob: bytes) -> str:
    """The key id a stored value names; DecryptionError when the header is malformed."""
    if len(blob) < 2 or blob[0] != FORMAT_VERSION:
        raise DecryptionError("Unknown ciphertext format.")
    length = blob[1]
    if length == 0 or len(blob) < 2 + length + NONCE_BYTES + TAG_BYTES:
        raise DecryptionError("Truncated ciphertext.")
    try:
        return blob[2 : 2 + length].decode("ascii")
    except UnicodeDecodeError:
        raise DecryptionError("Malformed key id.") from None


def decrypt_field(blob: bytes, key_for: Callable[[str], bytes | AESGCM], context: FieldContext) -> bytes:
    """Decrypt a stored value; ``key_for`` maps the stored key id to a key (or an AES-GCM object over it).
    DecryptionError on any failure."""
    key_id = read_key_id(blob)
    header_end = 2 + blob[1]
    header = blob[:header_end]
    nonce = blob[header_end : header_end + NONCE_BYTES]
    sealed = blob[header_end + NONCE_BYTES :]
    try:
        key = key_for(key_id)
    except Exception as error:
        raise DecryptionError(f"Key {key_id!r} is not available.") from error
    cipher = key if isinstance(key, AESGCM) else AESGCM(key)
    try:
        return cipher.decrypt(nonce, sealed, header + context.encode())
    except InvalidTag:
        raise DecryptionError("Ciphertext failed authentication.") from None


class FieldCipher:
    """One key's AES-GCM object reused across many fields: the same format as encrypt_field, without rebuilding it."""

    def __init__(self, key: bytes, key_id: str) -> None:
        self.key_id = key_id
        self._header = _header(key_id)
        self._aead = AESGCM(key)
        self._nonce_end = len(self._header) + NONCE_BYTES
        self._min_length = self._nonce_end + TAG_BYTES

    def encrypt(self, plaintext: bytes, context: FieldContext, *, nonce: bytes | None = None) -> bytes:
        """Encrypt ``plaintext`` for ``context``; byte-for-byte what encrypt_field would produce with this nonce."""
        if nonce is None:
            nonce = os.urandom(NONCE_BYTES)
        elif len(nonce) != NONCE_BYTES:
            raise ValueError("The nonce is 12 bytes.")
        header = self._header
        return header + nonce + self._aead.encrypt(nonce, plaintext, header + context.encode())

    def decrypt(self, blob: bytes, context: FieldContext) -> bytes:
        """Decrypt a value stored under this cipher's key id; DecryptionError on any failure."""
        header = self._header
        nonce_end = self._nonce_end
        if len(blob) < self._min_length or blob[: len(header)] != header:
            read_key_id(blob)  # raises with the precise reason when the header itself is malformed
            raise DecryptionError("Ciphertext names another key or is truncated.")
        try:
            return self._aead.decrypt(blob[len(header) : nonce_end], blob[nonce_end:], header + context.encode())
        except InvalidTag:
            raise DecryptionError("Ciphertext failed authentication.") from None
