"""Where encrypted fields get their keys at run time: a key provider bound to the current context.

The web app binds a fresh provider at the start of each request and resets it at the end; the CLI binds one per
command. Because the binding is a :class:`contextvars.ContextVar`, threads and tasks never see each other's keys, and
the provider (with its data-key cache) dies with the request::

    provider = KeyStoreProvider(keyring, keystore)
    token = bind_key_provider(provider)
    try:
        ...  # read and write encrypted model attributes
    finally:
        reset_key_provider(token)

or ``with key_provider(KeyStoreProvider(keyring, keystore)): ...``.

Key ids stored in field ciphertexts:

- client fields store the fixed marker :data:`DATA_KEY_ID` (``"dk"``): the key is the client's data key, found by
  the client id that the associated data already carries. The master key that wraps the data key is recorded in
  the key store, so rotating master keys rewraps data keys and never touches a field.
- user fields (users are not clients, e.g. the TOTP secret) are encrypted directly under
  ``KeyRing.derived(USER_FIELDS_PURPOSE, master_id)`` and store that master key id; rotating the master key means
  rewriting them (:func:`diversion.crypto.rotation.reencrypt_fields`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Protocol

from diversion.crypto.aead import FieldCipher
from diversion.crypto.datakeys import DATA_KEY_ID, ClientId
from diversion.crypto.errors import DecryptionError, KeyConfigurationError
from diversion.crypto.keys import KeyRing
from diversion.crypto.keystore import KeyStore, RequestKeyCache

USER_FIELDS_PURPOSE = "fields/users"


class KeyProvider(Protocol):
    """What encrypted fields ask for keys. Every method raises (any exception) when the key is unavailable."""

    def key_for_client(self, client_id: str) -> tuple[str, bytes]:
        """(key id to store, key) for writing one of this client's fields."""
        ...

    def client_key(self, client_id: str, key_id: str) -> bytes:
        """The key for reading this client's field stored under ``key_id``."""
        ...

    def user_key(self, key_id: str) -> bytes:
        """The key for reading a user field stored under master key ``key_id``."""
        ...

    def active_user_key(self) -> tuple[str, bytes]:
        """(master key id, key) for writing a user field."""
        ...


_current: ContextVar[KeyProvider | None] = ContextVar("diversion_key_provider", default=None)


def bind_key_provider(provider: KeyProvider) -> Token[KeyProvider | None]:
    """Make ``provider`` the current one; keep the token for reset_key_provider."""
    return _current.set(provider)


def reset_key_provider(token: Token[KeyProvider | None]) -> None:
    """Restore the provider that was current before the matching bind_key_provider."""
    _current.reset(token)


def current_key_provider() -> KeyProvider:
    """The bound provider; KeyConfigurationError when none is, which is a wiring bug, not bad data."""
    provider = _current.get()
    if provider is None:
        raise KeyConfigurationError("No key provider is bound: bind one per request or command.")
    return provider


@contextmanager
def key_provider(provider: KeyProvider) -> Iterator[KeyProvider]:
    """Bind ``provider`` for the duration of a with block."""
    token = bind_key_provider(provider)
    try:
        yield provider
    finally:
        reset_key_provider(token)


class KeyStoreProvider:
    """The production provider: client data keys from the key store (cached for its lifetime), user keys derived."""

    def __init__(self, keyring: KeyRing, keystore: KeyStore) -> None:
        self.keyring = keyring
        self.cache = RequestKeyCache(keystore)
        self._ciphers: dict[tuple[str, bytes], FieldCipher] = {}

    def key_for_client(self, client_id: str) -> tuple[str, bytes]:
        """The client's data key under the marker id; it must exist (see new_client_key)."""
        return DATA_KEY_ID, self.cache.get(client_id)

    def client_key(self, client_id: str, key_id: str) -> bytes:
        """The client's data key, provided the field names the data-key marker."""
        if key_id != DATA_KEY_ID:
            raise DecryptionError(f"A client field names key {key_id!r}, not the data key.")
        return self.cache.get(client_id)

    def user_key(self, key_id: str) -> bytes:
        """The user-field key derived from master key ``key_id``."""
        if not key_id:
            raise DecryptionError("A user field names no master key.")
        return self.keyring.derived(USER_FIELDS_PURPOSE, key_id)

    def active_user_key(self) -> tuple[str, bytes]:
        """The user-field key derived from the active master key, with that key's id."""
        return self.keyring.active.id, self.keyring.derived(USER_FIELDS_PURPOSE)

    def new_client_key(self, client_id: ClientId) -> bytes:
        """Create and commit a new client's data key, before the main transaction that inserts the client."""
        return self.cache.create(client_id)

    def prefetch(self, client_ids: Iterable[ClientId]) -> None:
        """Read many clients' data keys in one query, ahead of a list page."""
        self.cache.prefetch(client_ids)

    def field_cipher(self, key_id: str, key: bytes) -> FieldCipher:
        """The field cipher (AES-GCM object and header) for ``key`` stored under ``key_id``, built once for this
        provider's life: a page reads many fields of each client, and building one costs more than a decryption."""
        cipher = self._ciphers.get((key_id, key))
        if cipher is None:
            cipher = self._ciphers[key_id, key] = FieldCipher(key, key_id)
        return cipher

    def held_client_cipher(self, client_id: str) -> FieldCipher | None:
        """The field cipher of a client whose data key this provider already holds (client id as text), or None:
        the fast path of a list page, which prefetched its clients' keys. Never reads the key store."""
        key = self.cache.peek(client_id)
        return None if key is None else self.field_cipher(DATA_KEY_ID, key)

    def clear(self) -> None:
        """Forget every cached data key."""
        self.cache.clear()
        self._ciphers.clear()
