"""API endpoints (see API.md). Each module adds its routes to the blueprint when imported here."""

from diversion.api import appointments, bp, notices, openapi, outcomes, plans, referrals, reports  # noqa: F401
