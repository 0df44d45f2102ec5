"""API endpoints (see API.md)."""

from diversion.api import bp  # noqa: F401
