"""The app's binding of the crypto package: master keys loaded once at start-up, reachable from services."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app

from config import ConfigError
from diversion.crypto.errors import KeyConfigurationError
from diversion.crypto.keys import KeyRing, load_or_create_key_file

EXTENSION = "diversion.keyring"


def init_keyring(app: Flask) -> KeyRing:
    """Load master keys: from DIVERSION_MASTER_KEYS, or in development from a key file generated in instance/."""
    value = app.config.get("DIVERSION_MASTER_KEYS")
    if not value:
        if app.config["IS_PRODUCTION"]:
            raise ConfigError("Production configuration refuses to start: DIVERSION_MASTER_KEYS not set.")
        value = load_or_create_key_file(Path(app.config["DIVERSION_KEY_FILE"]))
    try:
        ring = KeyRing.from_config(value)
        if app.config["IS_PRODUCTION"]:
            ring.check_production_safe()
    except KeyConfigurationError as error:
        raise ConfigError(f"Refusing to start: {error}") from None
    app.extensions[EXTENSION] = ring
    return ring


def keyring() -> KeyRing:
    """The running app's key ring."""
    ring: KeyRing = current_app.extensions[EXTENSION]
    return ring
