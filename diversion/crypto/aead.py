"""AES-256-GCM field encryption with associated data that binds a ciphertext to its place.

Stored format (binary)::

    version (1 byte) | key id length (1 byte) | key id (ASCII) | nonce (12 bytes) | ciphertext | tag (16 bytes)

The associated data is the header (version and key id) followed by the field's context (table, column, row id,
client id), each length-prefixed, so a ciphertext copied to another row, column or client fails to authenticate.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable, Iterator
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
        return _place_aad(b"", self)


# Two-byte big-endian lengths, looked up rather than packed: ids are short, and this runs for every field.
_LENGTHS = tuple(_LENGTH.pack(size) for size in range(4096))
# The encoded (table, column) part of the associated data, after a given header: an app has a few dozen places, and
# looking one up costs a fraction of encoding it. Header → table → column → bytes; bounded, see _prefix.
_PREFIXES: dict[bytes, dict[str, dict[str, bytes]]] = {}
_MAX_PREFIXES = 4096
_prefix_count = 0


def _length(raw: bytes) -> bytes:
    size = len(raw)
    return _LENGTHS[size] if size < 4096 else _LENGTH.pack(size)


def _prefix(header: bytes, table: str, column: str) -> bytes:
    """``header`` followed by the length-prefixed table and column, remembered for the next field in this place."""
    global _prefix_count
    table_raw = table.encode("utf-8")
    column_raw = column.encode("utf-8")
    prefix = header + _length(table_raw) + table_raw + _length(column_raw) + column_raw
    if _prefix_count < _MAX_PREFIXES:
        # Concurrent callers may both add the same entry: harmless, the bytes are equal.
        _PREFIXES.setdefault(header, {}).setdefault(table, {})[column] = prefix
        _prefix_count += 1
    return prefix


def _place_aad(header: bytes, context: FieldContext) -> bytes:
    """``header`` followed by the length-prefixed context: the associated data of a field stored with that header."""
    table, column, row_text, client_text = context
    try:
        prefix = _PREFIXES[header][table][column]
    except KeyError:
        prefix = _prefix(header, table, column)
    return prefix + placement(row_text, client_text)


def placement(row_text: str, client_text: str) -> bytes:
    """The row and client part of the associated data, which every field of one record shares: with the header,
    table and column in front it is the whole associated data (:meth:`FieldCipher.decrypt_placed`)."""
    row_id = row_text.encode("utf-8")
    client_id = client_text.encode("utf-8")
    return _length(row_id) + row_id + _length(client_id) + client_id


def _header(key_id: str) -> bytes:
    raw = key_id.encode("ascii")
    if not 0 < len(raw) < 256:
        raise ValueError("A key id is 1 to 255 ASCII bytes.")
    return bytes([FORMAT_VERSION, len(raw)]) + raw


class _NonceSource:
    """Random 96-bit nonces, read from ``os.urandom`` a few kilobytes at a time rather than 12 bytes at a time.

    Each nonce is still 12 fresh bytes from the operating system's generator, never reused: a system call per field
    cost about as much as the encryption itself. Two guards keep them unique. Threads: a nonce is taken by one
    ``next()`` on an iterator implemented in C, which runs without releasing the GIL, so two threads never get the
    same slice. Processes: a forked child (gunicorn workers) would inherit the unused rest of the batch, so the batch
    is dropped in the child at fork (``os.register_at_fork``) and the child reads its own.
    """

    BATCH = 256

    def __init__(self) -> None:
        self.batch: Iterator[bytes] = iter(())  # what is left of the current batch
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self.reset)

    def reset(self) -> None:
        """Drop the unused rest of the batch."""
        self.batch = iter(())

    def _refill(self) -> Iterator[bytes]:
        batch = os.urandom(NONCE_BYTES * self.BATCH)
        # map over a tuple, calling a bytes method: all C, so taking one slice is a single atomic next(). The slice
        # objects are made once (_NONCE_SLICES): making two per nonce cost more than the rest of taking it.
        self.batch = map(batch.__getitem__, _NONCE_SLICES)
        return self.batch

    def __call__(self) -> bytes:
        """A fresh random nonce."""
        try:
            return next(self.batch)
        except StopIteration:
            # Another thread may refill at the same moment: each batch is fresh randomness, so at worst one is wasted.
            return next(self._refill())


_NONCE_SLICES = tuple(
    slice(start, start + NONCE_BYTES) for start in range(0, NONCE_BYTES * _NonceSource.BATCH, NONCE_BYTES)
)
new_nonce = _NonceSource()


def encrypt_field(
    key: bytes | AESGCM | FieldCipher,
    key_id: str,
    plaintext: bytes,
    context: FieldContext,
    *,
    nonce: bytes | None = None,
) -> bytes:
    """Encrypt ``plaintext`` for ``context`` under ``key`` (or an AES-GCM object over it, or a FieldCipher for
    ``key_id``, either reused); ``nonce`` is only for fixed test vectors."""
    if isinstance(key, FieldCipher):
        if key.key_id != key_id:
            raise ValueError("The cipher is for another key id.")
        return key.encrypt(plaintext, context, nonce=nonce)
    header = _header(key_id)
    nonce = nonce if nonce is not None else new_nonce()
    if len(nonce) != NONCE_BYTES:
        raise ValueError("The nonce is 12 bytes.")
    cipher = key if isinstance(key, AESGCM) else AESGCM(key)
    sealed = cipher.encrypt(nonce, plaintext, _place_aad(header, context))
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


def decrypt_field(blob: bytes, key_for: Callable[[str], bytes | AESGCM | FieldCipher], context: FieldContext) -> bytes:
    """Decrypt a stored value; ``key_for`` maps the stored key id to a key (or an AES-GCM object over it, or a
    FieldCipher for that key id). DecryptionError on any failure."""
    key_id = read_key_id(blob)
    try:
        key = key_for(key_id)
    except Exception as error:
        raise DecryptionError(f"Key {key_id!r} is not available.") from error
    if isinstance(key, FieldCipher):
        return key.decrypt(blob, context)  # refuses a cipher built for another key id
    header_end = 2 + blob[1]
    header = blob[:header_end]
    nonce = blob[header_end : header_end + NONCE_BYTES]
    sealed = blob[header_end + NONCE_BYTES :]
    cipher = key if isinstance(key, AESGCM) else AESGCM(key)
    try:
        return cipher.decrypt(nonce, sealed, _place_aad(header, context))
    except InvalidTag:
        raise DecryptionError("Ciphertext failed authentication.") from None


class FieldCipher:
    """One key's AES-GCM object reused across many fields: the same format as encrypt_field, without rebuilding it.

    Build one per key and keep it for the request (:meth:`diversion.crypto.provider.KeyStoreProvider.field_cipher`
    does): constructing the AES-GCM object costs more than encrypting a short field with it.
    """

    __slots__ = ("_aead", "_header", "_header_length", "_min_length", "_nonce_end", "_prefixes", "key_id")

    def __init__(self, key: bytes, key_id: str) -> None:
        self.key_id = key_id
        self._header = _header(key_id)
        self._header_length = len(self._header)
        self._aead = AESGCM(key)
        self._nonce_end = self._header_length + NONCE_BYTES
        self._min_length = self._nonce_end + TAG_BYTES
        self._prefixes = _PREFIXES.setdefault(self._header, {})

    # encrypt and decrypt build the associated data inline, as _place_aad does with this cipher's header (the test
    # of the fast paths holds them to it): a call per field cost more than any single step of building it.

    def encrypt(self, plaintext: bytes, context: FieldContext, *, nonce: bytes | None = None) -> bytes:
        """Encrypt ``plaintext`` for ``context``; byte-for-byte what encrypt_field would produce with this nonce."""
        if nonce is None:
            try:
                nonce = next(new_nonce.batch)
            except StopIteration:
                nonce = new_nonce()
        elif len(nonce) != NONCE_BYTES:
            raise ValueError("The nonce is 12 bytes.")
        table, column, row_text, client_text = context
        try:
            prefix = self._prefixes[table][column]
        except KeyError:
            prefix = _prefix(self._header, table, column)
        row_id = row_text.encode("utf-8")
        client_id = client_text.encode("utf-8")
        row_length = _LENGTHS[size] if (size := len(row_id)) < 4096 else _LENGTH.pack(size)
        client_length = _LENGTHS[size] if (size := len(client_id)) < 4096 else _LENGTH.pack(size)
        associated_data = prefix + row_length + row_id + client_length + client_id
        return self._header + nonce + self._aead.encrypt(nonce, plaintext, associated_data)

    def decrypt_placed(self, blob: bytes, table: str, column: str, placed: bytes) -> bytes:
        """:meth:`decrypt` for a record whose row and client part of the associated data (:func:`placement`) the
        caller keeps, as a page reading several fields of each record does; DecryptionError on any failure."""
        if len(blob) < self._min_length or not blob.startswith(self._header):
            read_key_id(blob)
            raise DecryptionError("Ciphertext names another key or is truncated.")
        try:
            prefix = self._prefixes[table][column]
        except KeyError:
            prefix = _prefix(self._header, table, column)
        nonce_end = self._nonce_end
        try:
            return self._aead.decrypt(blob[self._header_length : nonce_end], blob[nonce_end:], prefix + placed)
        except InvalidTag:
            raise DecryptionError("Ciphertext failed authentication.") from None

    def decrypt(self, blob: bytes, context: FieldContext) -> bytes:
        """Decrypt a value stored under this cipher's key id; DecryptionError on any failure."""
        if len(blob) < self._min_length or not blob.startswith(self._header):
            read_key_id(blob)  # raises with the precise reason when the header itself is malformed
            raise DecryptionError("Ciphertext names another key or is truncated.")
        table, column, row_text, client_text = context
        try:
            prefix = self._prefixes[table][column]
        except KeyError:
            prefix = _prefix(self._header, table, column)
        row_id = row_text.encode("utf-8")
        client_id = client_text.encode("utf-8")
        row_length = _LENGTHS[size] if (size := len(row_id)) < 4096 else _LENGTH.pack(size)
        client_length = _LENGTHS[size] if (size := len(client_id)) < 4096 else _LENGTH.pack(size)
        nonce_end = self._nonce_end
        try:
            return self._aead.decrypt(
                blob[self._header_length : nonce_end],
                blob[nonce_end:],
                prefix + row_length + row_id + client_length + client_id,
            )
        except InvalidTag:
            raise DecryptionError("Ciphertext failed authentication.") from None
