"""The app's binding of the crypto package: master keys and the key store, loaded once at start-up, and a key
provider bound to every app context (a request, a CLI command), so encrypted attributes find their keys.

Start-up never connects to the key store: its engine connects on first use, and its table is made by a command
(``keys init``, which ``db upgrade`` also runs), so a key store that is down leaves the app running, answering 503
for the pages that need keys (docs/operations.md).

The provider caches unwrapped data keys for the life of its app context only: one request, one command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, appcontext_pushed, appcontext_tearing_down, current_app, g

from config import ConfigError
from diversion.crypto.errors import KeyConfigurationError
from diversion.crypto.keys import KeyRing, load_or_create_key_file
from diversion.crypto.keystore import KeyStore
from diversion.crypto.provider import KeyStoreProvider, bind_key_provider, reset_key_provider

EXTENSION = "diversion.keyring"
KEYSTORE_EXTENSION = "diversion.keystore"


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


def init_keystore(app: Flask, ring: KeyRing) -> KeyStore:
    """Set up the separate data-key store's engine, without connecting, and bind providers to app contexts."""
    url = app.config["DIVERSION_KEYSTORE_URL"]
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    store = KeyStore(url, ring)
    app.extensions[KEYSTORE_EXTENSION] = store
    appcontext_pushed.connect(_bind_provider, app)
    appcontext_tearing_down.connect(_reset_provider, app)
    return store


def create_keystore_schema(app: Flask) -> None:
    """Create the key store's table when it is missing (``keys init``, and ``db upgrade`` through migrations/env.py)."""
    store: KeyStore = app.extensions[KEYSTORE_EXTENSION]
    store.ensure_schema()


def _bind_provider(sender: Flask, **extra: Any) -> None:
    provider = KeyStoreProvider(sender.extensions[EXTENSION], sender.extensions[KEYSTORE_EXTENSION])
    g._key_provider = provider
    g._key_provider_token = bind_key_provider(provider)


def _reset_provider(sender: Flask, **extra: Any) -> None:
    token = g.pop("_key_provider_token", None)
    g.pop("_key_provider", None)
    if token is not None:
        reset_key_provider(token)


def keyring() -> KeyRing:
    """The running app's key ring."""
    ring: KeyRing = current_app.extensions[EXTENSION]
    return ring


def keystore() -> KeyStore:
    """The running app's key store."""
    store: KeyStore = current_app.extensions[KEYSTORE_EXTENSION]
    return store


def key_provider() -> KeyStoreProvider:
    """The key provider of the current app context (request or command)."""
    provider: KeyStoreProvider = g._key_provider
    return provider
