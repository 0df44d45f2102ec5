"""Errors raised by the crypto package. Messages carry ids and reasons, never key material or plaintext."""


class CryptoError(Exception):
    """Base class for every error of the crypto package."""


class KeyConfigurationError(CryptoError):
    """Master keys are missing, malformed, too short or unsafe for the environment."""


class DecryptionError(CryptoError):
    """A ciphertext failed authentication or names a key that is not available."""


class KeyDestroyedError(DecryptionError):
    """The client's data key was destroyed on purpose (crypto-shredding): her fields are erased, not tampered with."""


class KeyStoreError(CryptoError):
    """The key store refused an operation: a duplicate data key, or a sweep that would delete too much."""


class RewrapError(CryptoError):
    """Some data keys in a rotation batch could not be unwrapped; the others in the batch were rewrapped."""

    def __init__(self, failures: dict[str, str], rewrapped: int) -> None:
        super().__init__(f"{len(failures)} data key(s) could not be rewrapped; {rewrapped} were.")
        self.failures = failures
        self.rewrapped = rewrapped


class EncryptionError(CryptoError):
    """A value could not be encrypted: its row has no id yet, it names no client, or no key is available."""


class KeyStoreUnavailable(Exception):
    """The key store could not be reached (refused, timed out, its file missing). Not a CryptoError, on purpose: no
    value is at fault, so a page that needs keys answers 503 rather than showing every value as "unreadable" and
    logging a security event for each (docs/encryption.md)."""
