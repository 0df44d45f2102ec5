"""Web pages of the referrals domain."""

from diversion.referrals import bp  # noqa: F401
