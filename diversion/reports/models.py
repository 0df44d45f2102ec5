"""Indexes on ``referrals`` that only the reports need, declared by the domain that needs them.

The completion report counts cases referred, and cases that opted in, within a period: a range on ``referred_on``
or ``consent_date``, often for one court. These two indexes, each with the court after the date, answer those
counts from the index alone, with or without the court. The outcome-date counts use the index on ``outcome_date``
that the referrals model declares.
"""

from __future__ import annotations

from sqlalchemy import Index

from diversion.referrals.models import Referral

REFERRED_ON_INDEX = Index("ix_referrals_referred_on_court_id", Referral.referred_on, Referral.court_id)
CONSENT_DATE_INDEX = Index("ix_referrals_consent_date_court_id", Referral.consent_date, Referral.court_id)
