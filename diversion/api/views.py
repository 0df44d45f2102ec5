"""API endpoints (see docs/api.md). Each module adds its routes to the blueprint when imported here."""

# idempotency: the Idempotency-Key hooks on every POST (docs/idempotency.md).
from diversion.api import (  # noqa: F401
    appointments,
    bp,
    contact_preferences,
    contacts,
    documents,
    idempotency,
    modern_slavery,
    notices,
    openapi,
    outcomes,
    plans,
    referrals,
    reports,
    search,
    webhooks,
)
