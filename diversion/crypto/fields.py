"""Encrypted model attributes: one declaration gives a binary column and a plaintext attribute over it.

Usage with SQLAlchemy 2.x declarative models (plain or through Flask-SQLAlchemy)::

    class Client(Base):
        __tablename__ = "clients"
        id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
        family_name = encrypted("family_name", client_id_attr=None)       # the client is the row itself
        date_of_birth = encrypted("date_of_birth", client_id_attr=None, kind="date")

        def __init__(self, **kwargs: Any) -> None:
            self.id = kwargs.pop("id", None) or uuid.uuid4()               # the id must exist before any write
            super().__init__(**kwargs)

    class Referral(Base):
        ...
        client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"))
        notes = encrypted("notes")                                          # client from self.client_id

    class User(Base):
        ...
        totp_secret = encrypted("totp_secret", purpose="user")

``encrypted("family_name")`` on attribute ``family_name`` adds ``_family_name = mapped_column("family_name",
LargeBinary, nullable=True)`` to the class (when the class does not declare ``_family_name`` itself — declare it to
give it a type for mypy or other options) and keeps ``family_name`` as a plain Python descriptor:

- **writing** encrypts at once with the associated data ``FieldContext(table, column, row id, client id)``; the row
  id (and, for client fields, the client id) must be set first, or EncryptionError says so. ``None`` stores NULL.
  Keyword order matters with the default constructor: ``Referral(id=..., client_id=..., notes=...)``.
- **reading** decrypts once and caches the result on the instance against the ciphertext, so a page reads each
  field once per request, and a refreshed or rewritten ciphertext is decrypted afresh. The cache lives in the
  instance ``__dict__`` (``_encrypted_cache_<name>``): never pickle, cache or log model instances wholesale.
- a value that fails to decrypt reads as :data:`UNREADABLE` (a ``str`` whose text is "unreadable") and is logged on
  the ``diversion.security`` logger with ids only; it never raises into a page. A missing key provider *does*
  raise KeyConfigurationError: it is a wiring bug, not bad data. So does a key store that cannot be reached
  (KeyStoreUnavailable): the value is not at fault, and the page answers 503.

Keys come from the key provider bound to the current context (:mod:`diversion.crypto.provider`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any, Final, Generic, Literal, TypeVar, overload

from sqlalchemy import LargeBinary
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import mapped_column

from diversion.crypto.aead import FieldCipher, FieldContext, decrypt_field, encrypt_field, placement, read_key_id
from diversion.crypto.datakeys import id_text
from diversion.crypto.errors import (
    CryptoError,
    DecryptionError,
    EncryptionError,
    KeyDestroyedError,
    KeyStoreUnavailable,
)
from diversion.crypto.provider import KeyProvider, KeyStoreProvider, current_key_provider

security_log = logging.getLogger("diversion.security")

T = TypeVar("T", str, date, bytes)
Purpose = Literal["client", "user"]


class Unreadable(str):
    """The value shown for a field that failed to decrypt. Compare with ``is UNREADABLE``, not ``==``."""

    __slots__ = ()

    def __new__(cls) -> Unreadable:
        return super().__new__(cls, "unreadable")

    def __repr__(self) -> str:
        return "UNREADABLE"


UNREADABLE: Final = Unreadable()


class Erased(Unreadable):
    """The value shown for a field of a crypto-shredded client: unreadable on purpose. Compare with ``is ERASED``."""

    __slots__ = ()

    def __new__(cls) -> Erased:
        return str.__new__(cls, "erased")

    def __repr__(self) -> str:
        return "ERASED"


ERASED: Final = Erased()


def is_unreadable(value: object) -> bool:
    """True for the marker of a field that failed to decrypt, an erased client's included."""
    return value is UNREADABLE or value is ERASED


def _text_to_bytes(value: object) -> bytes:
    if not isinstance(value, str):
        raise TypeError("An encrypted text field holds str.")
    return value.encode("utf-8")


def _text_from_bytes(raw: bytes) -> str:
    return raw.decode("utf-8")


def _date_to_bytes(value: object) -> bytes:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise TypeError("An encrypted date field holds datetime.date (not datetime).")
    return value.isoformat().encode("ascii")


def _date_from_bytes(raw: bytes) -> date:
    return date.fromisoformat(raw.decode("ascii"))


def _bytes_to_bytes(value: object) -> bytes:
    if not isinstance(value, bytes):
        raise TypeError("An encrypted binary field holds bytes.")
    return value


def _bytes_from_bytes(raw: bytes) -> bytes:
    return raw


TEXT_CODEC: Final = (_text_to_bytes, _text_from_bytes)
DATE_CODEC: Final = (_date_to_bytes, _date_from_bytes)
# A file as it was uploaded (docs/encryption.md, "Documents"): no decoding, so the plaintext is never a str.
BYTES_CODEC: Final = (_bytes_to_bytes, _bytes_from_bytes)


class EncryptedField(Generic[T]):
    """Descriptor over a binary ciphertext column; see the module docstring."""

    def __init__(
        self,
        column_name: str,
        codec: tuple[Callable[[object], bytes], Callable[[bytes], T]],
        *,
        client_id_attr: str | None,
        purpose: Purpose,
        attr: str | None,
        id_attr: str,
        deferred: bool,
    ) -> None:
        if purpose not in ("client", "user"):
            raise ValueError("purpose is 'client' or 'user'.")
        self.column_name = column_name
        self._to_bytes: Callable[[object], bytes] = codec[0]
        self._from_bytes: Callable[[bytes], T] = codec[1]
        self.client_id_attr = client_id_attr
        self.purpose = purpose
        self.attr = attr or ""
        self.id_attr = id_attr
        self.deferred = deferred
        # A binary field (a file) is shown by no page or export as a value, only handed out whole.
        self.is_binary = codec is BYTES_CODEC
        self.name = ""
        self._tables: dict[type[Any], str] = {}

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.name = name
        self.attr = self.attr or f"_{name}"
        self._cache_key = f"_encrypted_cache_{name}"
        # Shared by the fields of a record that name the same id attributes.
        self._placement_key = f"_encrypted_placement_{self.id_attr}_{self.client_id_attr}"
        if not any(self.attr in vars(klass) for klass in owner.__mro__):
            # Added before declarative scans the class, so the column is mapped as if written in the class body.
            column = mapped_column(self.column_name, LargeBinary, nullable=True, deferred=self.deferred)
            setattr(owner, self.attr, column)

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> EncryptedField[T]: ...

    @overload
    def __get__(self, obj: object, owner: type[Any]) -> T | Unreadable | None: ...

    def __get__(self, obj: object | None, owner: type[Any]) -> EncryptedField[T] | T | Unreadable | None:
        if obj is None:
            return self
        blob = getattr(obj, self.attr)
        if blob is None:
            return None
        cached: tuple[bytes, T | Unreadable] | None = obj.__dict__.get(self._cache_key)
        if cached is not None and (cached[0] is blob or cached[0] == blob):
            return cached[1]
        value = self._decrypt(obj, bytes(blob))
        obj.__dict__[self._cache_key] = (blob, value)
        return value

    def __set__(self, obj: object, value: T | None) -> None:
        if value is None:
            setattr(obj, self.attr, None)
            obj.__dict__.pop(self._cache_key, None)
            return
        plaintext = self._encode(value)
        context = self._context(obj)
        provider = current_key_provider()
        try:
            if self.purpose == "user":
                key_id, key = provider.active_user_key()
            else:
                key_id, key = provider.key_for_client(context.client_id)
        except CryptoError as error:
            raise EncryptionError(f"No key to write {self._where(obj)}: {error}") from None
        blob = encrypt_field(_cipher(provider, key_id, key), key_id, plaintext, context)
        setattr(obj, self.attr, blob)
        obj.__dict__[self._cache_key] = (blob, value)

    def _where(self, obj: object) -> str:
        return f"{type(obj).__name__}.{self.name}"

    def _encode(self, value: object) -> bytes:
        if is_unreadable(value):
            # Saving what a page showed for a broken value would overwrite a ciphertext that might yet be recovered.
            raise ValueError(f"Refusing to store the unreadable marker in {self.name}.")
        return self._to_bytes(value)

    def _table_name(self, cls: type[Any]) -> str:
        if cls not in self._tables:
            # The table that holds the column, which under joined inheritance is not always cls.__table__.
            self._tables[cls] = sa_inspect(cls).columns[self.attr].table.name
        return self._tables[cls]

    def _context(self, obj: object) -> FieldContext:
        row_id = getattr(obj, self.id_attr, None)
        if row_id is None:
            raise EncryptionError(f"{self._where(obj)} needs {self.id_attr} set before it is written or read.")
        if self.purpose == "user":
            client_id = ""
        elif self.client_id_attr is None:
            client_id = str(row_id)
        else:
            owner_id = getattr(obj, self.client_id_attr, None)
            if owner_id is None:
                raise EncryptionError(f"{self._where(obj)} needs {self.client_id_attr} set before it is written.")
            client_id = str(owner_id)
        return FieldContext(self._table_name(type(obj)), self.column_name, str(row_id), client_id)

    def _read_key(self, context: FieldContext, key_id: str) -> bytes:
        provider = current_key_provider()
        try:
            if self.purpose == "user":
                return provider.user_key(key_id)
            return provider.client_key(context.client_id, key_id)
        except (CryptoError, KeyStoreUnavailable):
            # A key store that cannot be reached is not a fault in this value: it reaches the page, which answers 503.
            raise
        except Exception as error:
            # Any other failure of a provider reads as unreadable; its message may quote SQL, so keep the type only.
            raise DecryptionError(f"key unavailable: {type(error).__name__}") from error

    def _decrypt(self, obj: object, blob: bytes) -> T | Unreadable:
        provider = current_key_provider()  # no provider is a wiring bug: raise it, do not show "unreadable"
        if self.purpose == "client" and type(provider) is KeyStoreProvider:
            # The fast path of a list page, whose clients' keys were prefetched: the same cipher and associated data
            # as below, without asking for the key again, and the record's ids encoded once for all its fields (kept
            # on the instance against the very id objects they were made from). Anything unusual takes the full
            # path, which says why.
            state = obj.__dict__  # a loaded column's value lives here; getattr covers one that is not loaded
            id_attr, owner_attr = self.id_attr, self.client_id_attr
            row_id = state[id_attr] if id_attr in state else getattr(obj, id_attr, None)
            if owner_attr is None:
                owner = row_id
            else:
                owner = state[owner_attr] if owner_attr in state else getattr(obj, owner_attr, None)
            placed = state.get(self._placement_key)
            if placed is None or placed[0] is not row_id or placed[1] is not owner:
                placed = None
                if row_id is not None and owner is not None:
                    client_text = id_text(owner)
                    row_text = client_text if owner is row_id else id_text(row_id)
                    placed = state[self._placement_key] = (
                        row_id,
                        owner,
                        client_text,
                        placement(row_text, client_text),
                    )
            if placed is not None and (held := provider.held_client_cipher(placed[2])) is not None:
                table = self._table_name(type(obj))
                try:
                    return self._from_bytes(held.decrypt_placed(blob, table, self.column_name, placed[3]))
                except (CryptoError, ValueError):
                    pass
        context: FieldContext | None = None
        try:
            context = self._context(obj)
            key_id = read_key_id(blob)
            cipher = _cipher(provider, key_id, self._read_key(context, key_id))
            raw = decrypt_field(blob, lambda _key_id: cipher, context)
        except KeyDestroyedError:
            # Erased on purpose (her data key was destroyed): expected, so not a security event.
            return ERASED
        except CryptoError as error:
            self._log_unreadable(obj, context, str(error))
            return UNREADABLE
        try:
            return self._from_bytes(raw)
        except ValueError:
            # A decoding error's message quotes the offending bytes: log a fixed reason instead.
            self._log_unreadable(obj, context, "authenticated value does not decode")
            return UNREADABLE

    def _log_unreadable(self, obj: object, context: FieldContext | None, reason: str) -> None:
        table = context.table if context else type(obj).__name__
        row_id = context.row_id if context else str(getattr(obj, self.id_attr, None))
        client_id = context.client_id if context else ""
        security_log.warning(
            "encrypted field unreadable: table=%s column=%s row_id=%s client_id=%s reason=%s",
            table,
            self.column_name,
            row_id,
            client_id,
            reason,
            extra={
                "event": "field_unreadable",
                "table": table,
                "column": self.column_name,
                "row_id": row_id,
                "client_id": client_id,
            },
        )


@overload
def encrypted(
    column_name: str,
    *,
    client_id_attr: str | None = "client_id",
    purpose: Purpose = "client",
    kind: Literal["text"] = "text",
    attr: str | None = None,
    id_attr: str = "id",
    deferred: bool = False,
) -> EncryptedField[str]: ...


@overload
def encrypted(
    column_name: str,
    *,
    client_id_attr: str | None = "client_id",
    purpose: Purpose = "client",
    kind: Literal["date"],
    attr: str | None = None,
    id_attr: str = "id",
    deferred: bool = False,
) -> EncryptedField[date]: ...


@overload
def encrypted(
    column_name: str,
    *,
    client_id_attr: str | None = "client_id",
    purpose: Purpose = "client",
    kind: Literal["bytes"],
    attr: str | None = None,
    id_attr: str = "id",
    deferred: bool = False,
) -> EncryptedField[bytes]: ...


def encrypted(
    column_name: str,
    *,
    client_id_attr: str | None = "client_id",
    purpose: Purpose = "client",
    kind: Literal["text", "date", "bytes"] = "text",
    attr: str | None = None,
    id_attr: str = "id",
    deferred: bool = False,
) -> EncryptedField[str] | EncryptedField[date] | EncryptedField[bytes]:
    """An encrypted attribute stored in binary column ``column_name``; see the module docstring."""
    options: dict[str, Any] = {
        "client_id_attr": client_id_attr,
        "purpose": purpose,
        "attr": attr,
        "id_attr": id_attr,
        "deferred": deferred,
    }
    if kind == "date":
        return EncryptedField(column_name, DATE_CODEC, **options)
    if kind == "text":
        return EncryptedField(column_name, TEXT_CODEC, **options)
    if kind == "bytes":
        return EncryptedField(column_name, BYTES_CODEC, **options)
    raise ValueError("kind is 'text', 'date' or 'bytes'.")


def _cipher(provider: KeyProvider, key_id: str, key: bytes) -> bytes | FieldCipher:
    """The provider's field cipher for this key, built once per request, when it keeps them; else the key itself."""
    return provider.field_cipher(key_id, key) if isinstance(provider, KeyStoreProvider) else key


def read_fields(records: Iterable[object], *names: str) -> None:
    """Decrypt these fields of every record now, each remembered on its record as any read is. A list page that does
    this for what its rows show, straight after prefetching their keys, decrypts in one tight pass what its template
    would otherwise decrypt one value at a time between rendering steps, at a noticeably higher cost per value."""
    for record in records:
        for name in names:
            getattr(record, name)


def encrypted_fields(cls: type[Any]) -> dict[str, EncryptedField[Any]]:
    """Every encrypted attribute of a model class, by attribute name."""
    found: dict[str, EncryptedField[Any]] = {}
    for klass in reversed(cls.__mro__):
        for name, value in vars(klass).items():
            if isinstance(value, EncryptedField):
                found[name] = value
    return found


def stored_key_id(obj: object, name: str) -> str | None:
    """The key id a stored field names (a master key id for user fields), or None when it is NULL or malformed."""
    field = encrypted_fields(type(obj))[name]
    blob = getattr(obj, field.attr)
    if blob is None:
        return None
    try:
        return read_key_id(bytes(blob))
    except CryptoError:
        return None
