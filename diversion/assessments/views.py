"""Web pages of the assessments domain."""

from diversion.assessments import bp  # noqa: F401
