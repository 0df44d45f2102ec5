"""Needs assessment and its per-domain rows; domain codes and labels."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from diversion.crypto.fields import encrypted
from diversion.db import Timestamps, UTCDateTime, UUIDPrimaryKey
from diversion.extensions import db


class Domain(StrEnum):
    """The twelve needs domains (docs/api.md codes)."""

    ACCOMMODATION = "accommodation"
    DRUGS = "drugs"
    ALCOHOL = "alcohol"
    PHYSICAL_HEALTH = "physical_health"
    SEXUAL_HEALTH = "sexual_health"
    MENTAL_HEALTH = "mental_health"
    SAFETY = "safety"
    MONEY = "money"
    FAMILY = "family"
    ETE = "ete"
    RELATIONSHIPS = "relationships"
    EXITING = "exiting"

    @property
    def label(self) -> str:
        """The domain's name as people say it."""
        return DOMAIN_LABELS[self]


DOMAIN_LABELS = {
    Domain.ACCOMMODATION: _l("Accommodation"),
    Domain.DRUGS: _l("Drug use"),
    Domain.ALCOHOL: _l("Alcohol use"),
    Domain.PHYSICAL_HEALTH: _l("Physical health"),
    Domain.SEXUAL_HEALTH: _l("Sexual health"),
    Domain.MENTAL_HEALTH: _l("Mental health and wellbeing"),
    Domain.SAFETY: _l("Safety from violence, abuse and exploitation"),
    Domain.MONEY: _l("Money, benefits and debt"),
    Domain.FAMILY: _l("Children and family"),
    Domain.ETE: _l("Education, training and employment"),
    Domain.RELATIONSHIPS: _l("Relationships and support"),
    Domain.EXITING: _l("Involvement in prostitution and exiting"),
}

NEED_LEVELS = {0: _l("No need"), 1: _l("Low need"), 2: _l("Medium need"), 3: _l("High need")}

# Indicators of exploitation and trafficking, from the National Referral Mechanism's general indicators.
EXPLOITATION_INDICATORS = {
    "controlled_money": _l("Someone else controls her money or documents"),
    "controlled_movement": _l("Her movements are controlled or she is accompanied"),
    "debt_bondage": _l("She owes a debt to someone she cannot leave"),
    "threats": _l("She or her family have been threatened"),
    "moved_for_sex": _l("She has been moved between places for sex"),
    "no_documents": _l("She has no access to her passport or identity documents"),
    "coerced_drug_use": _l("Drugs are used to control her"),
    "fear_of_authorities": _l("She is afraid of the police or authorities because of someone else"),
}
# The domains as an SQL list, for the CHECK constraints of every table that records a domain (here and outcomes).
DOMAIN_VALUES = ", ".join(f"'{domain.value}'" for domain in Domain)


class Assessment(UUIDPrimaryKey, Timestamps, db.Model):
    """The needs assessment of a case, done with her at appointment 1."""

    __tablename__ = "assessments"

    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referrals.id"), nullable=False, unique=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), nullable=False)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    completed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    has_safeguarding_flag: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    risk_notes = encrypted("risk_notes")
    # JSON list of EXPLOITATION_INDICATORS codes: which ones apply is itself sensitive.
    exploitation_indicators = encrypted("exploitation_indicators")

    domains: Mapped[list[AssessmentDomain]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan", order_by="AssessmentDomain.position"
    )


class AssessmentDomain(UUIDPrimaryKey, db.Model):
    """One domain of an assessment (or of a later review): need level 0-3, wellbeing score 1-10, notes."""

    __tablename__ = "assessment_domains"
    __table_args__ = (
        UniqueConstraint("assessment_id", "domain", name="uq_assessment_domains_assessment_domain"),
        CheckConstraint(f"domain IN ({DOMAIN_VALUES})", name="domain_known"),
        CheckConstraint("need_level BETWEEN 0 AND 3", name="need_level_range"),
        CheckConstraint("wellbeing_score BETWEEN 1 AND 10", name="wellbeing_score_range"),
    )

    assessment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assessments.id"), nullable=False, index=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), nullable=False)
    domain: Mapped[str] = mapped_column(String(32), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    need_level: Mapped[int] = mapped_column(Integer, nullable=False)
    wellbeing_score: Mapped[int] = mapped_column(Integer, nullable=False)

    notes = encrypted("notes")

    assessment: Mapped[Assessment] = relationship(back_populates="domains")
