"""Master keys (key-encryption keys) and the keys derived from them.

Master keys come from configuration as ``id:base64key,...``; the first is active, the others are kept for reading.
Every purpose (wrapping data keys, each blind index, the audit chain, user secrets) gets its own key derived with
HKDF-SHA256, so no raw master key is ever used directly.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from diversion.crypto.errors import KeyConfigurationError

KEY_BYTES = 32
KEY_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
# Keys generated for a developer's laptop carry this prefix; production refuses them.
DEV_KEY_PREFIX = "dev"
HKDF_SALT = b"diversion/hkdf/v1"


@dataclass(frozen=True)
class MasterKey:
    """One key-encryption key: an id (stored beside what it protects) and 32 secret bytes."""

    id: str
    material: bytes = field(repr=False)

    @property
    def is_development(self) -> bool:
        """True for a key generated for development, which production must refuse."""
        return self.id.startswith(DEV_KEY_PREFIX)


def parse_master_keys(value: str) -> list[MasterKey]:
    """Parse ``id:base64key,...`` into master keys, the active one first. Raises KeyConfigurationError."""
    keys: list[MasterKey] = []
    for position, item in enumerate(part.strip() for part in value.split(",")):
        if not item:
            continue
        key_id, sep, encoded = item.partition(":")
        if not sep:
            raise KeyConfigurationError(f"Master key {position + 1} is not in the form id:base64key.")
        if not KEY_ID_PATTERN.match(key_id):
            raise KeyConfigurationError(
                f"Master key {position + 1} has an id that is not 1-32 letters, digits, _ or -."
            )
        try:
            material = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise KeyConfigurationError(f"Master key {key_id!r} is not valid base64.") from None
        if len(material) != KEY_BYTES:
            raise KeyConfigurationError(f"Master key {key_id!r} must be {KEY_BYTES} bytes; it is {len(material)}.")
        if any(existing.id == key_id for existing in keys):
            raise KeyConfigurationError(f"Master key id {key_id!r} appears twice.")
        keys.append(MasterKey(key_id, material))
    if not keys:
        raise KeyConfigurationError("No master key is configured.")
    return keys


def generate_master_key_line(key_id: str | None = None) -> str:
    """Return a new ``id:base64key`` line with a random 256-bit key."""
    key_id = key_id or "k" + datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    if not KEY_ID_PATTERN.match(key_id):
        raise KeyConfigurationError("A key id is 1-32 letters, digits, _ or -.")
    return f"{key_id}:{base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode('ascii')}"


def load_or_create_key_file(path: Path) -> str:
    """Read the development key file, creating it (mode 0600) with one development key when absent."""
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    line = generate_master_key_line(DEV_KEY_PREFIX + secrets.token_hex(4))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(line + "\n")
    return line


def derive_key(master: MasterKey, purpose: str, length: int = KEY_BYTES) -> bytes:
    """Derive a key for one purpose from a master key with HKDF-SHA256."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=length, salt=HKDF_SALT, info=b"diversion/" + purpose.encode())
    return hkdf.derive(master.material)


class KeyRing:
    """The configured master keys and the keys derived from them, cached per purpose."""

    def __init__(self, master_keys: list[MasterKey]) -> None:
        if not master_keys:
            raise KeyConfigurationError("No master key is configured.")
        self._keys = list(master_keys)
        self._by_id = {key.id: key for key in self._keys}
        self._derived: dict[tuple[str, str], bytes] = {}
        self._aeads: dict[tuple[str, str], AESGCM] = {}

    @classmethod
    def from_config(cls, value: str) -> KeyRing:
        """Build a key ring from the ``id:base64key,...`` configuration value."""
        return cls(parse_master_keys(value))

    @property
    def active(self) -> MasterKey:
        """The master key new material is protected with."""
        return self._keys[0]

    @property
    def ids(self) -> list[str]:
        """Every configured master key id, the active one first."""
        return [key.id for key in self._keys]

    def get(self, key_id: str) -> MasterKey:
        """The master key with this id; KeyConfigurationError when it is not configured."""
        try:
            return self._by_id[key_id]
        except KeyError:
            raise KeyConfigurationError(f"Master key {key_id!r} is not configured.") from None

    def derived(self, purpose: str, key_id: str | None = None) -> bytes:
        """The key for ``purpose`` derived from the given (default: active) master key."""
        master = self.get(key_id) if key_id else self.active
        cache_key = (master.id, purpose)
        if cache_key not in self._derived:
            self._derived[cache_key] = derive_key(master, purpose)
        return self._derived[cache_key]

    def aead(self, purpose: str, key_id: str) -> AESGCM:
        """An AES-GCM object over the key for ``purpose`` derived from master key ``key_id``, built once."""
        cache_key = (key_id, purpose)
        cipher = self._aeads.get(cache_key)
        if cipher is None:
            # Building one costs as much as the decryption it serves; a key store unwraps thousands per rotation.
            cipher = self._aeads[cache_key] = AESGCM(self.derived(purpose, key_id))
        return cipher

    def check_production_safe(self) -> None:
        """Refuse development keys; production must bring its own."""
        for key in self._keys:
            if key.is_development:
                raise KeyConfigurationError(f"Master key {key.id!r} is a development key; production refuses it.")
