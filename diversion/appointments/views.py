"""Web pages of the appointments domain."""

from diversion.appointments import bp  # noqa: F401
