"""Web pages of the care_plans domain."""

from diversion.care_plans import bp  # noqa: F401
