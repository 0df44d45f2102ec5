"""Indexes on ``referrals`` that only the reports need, declared by the domain that needs them.

The completion report counts cases referred, and cases that opted in, within a period: a range on ``referred_on``
or ``consent_date``. A court or CPS user's report is of a court or a few (``court_id IN``), a manager's of her
schemes (``scheme_id IN``, docs/organisations.md "Reports").

- For a court: the date, then the court, so each count is a range of the date's index with the court read from
  the index itself, with or without one court.
- For a scheme: the scheme, then the date, then the court, so a manager's count by a date reads only her schemes'
  cases of the period (a range for each scheme), never another organisation's; and the outcome date's, with the
  state, the court and the referral date, which answers the counts by outcome (by state, by month) and the cases
  still open at the end of a period (her schemes' entries only) from the index alone.

The outcome-date counts of a court use the index on ``outcome_date`` that the referrals model declares.
"""

from __future__ import annotations

from sqlalchemy import Index

from diversion.referrals.models import Referral

REFERRED_ON_INDEX = Index("ix_referrals_referred_on_court_id", Referral.referred_on, Referral.court_id)
CONSENT_DATE_INDEX = Index("ix_referrals_consent_date_court_id", Referral.consent_date, Referral.court_id)
SCHEME_REFERRED_ON_INDEX = Index(
    "ix_referrals_scheme_id_referred_on_court_id", Referral.scheme_id, Referral.referred_on, Referral.court_id
)
SCHEME_CONSENT_DATE_INDEX = Index(
    "ix_referrals_scheme_id_consent_date_court_id", Referral.scheme_id, Referral.consent_date, Referral.court_id
)
SCHEME_OUTCOME_DATE_INDEX = Index(
    "ix_referrals_scheme_id_outcome_date_state",
    Referral.scheme_id,
    Referral.outcome_date,
    Referral.state,
    Referral.court_id,
    Referral.referred_on,
)
