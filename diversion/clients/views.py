"""Web pages of the clients domain."""

from diversion.clients import bp  # noqa: F401
