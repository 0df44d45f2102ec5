"""Follow-up reviews (the twelve domain scores again, after the assessment) and funder-return snapshots."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from diversion.assessments.models import DOMAIN_VALUES
from diversion.crypto.fields import encrypted
from diversion.db import Timestamps, UTCDateTime, UUIDPrimaryKey, utcnow
from diversion.extensions import db


class Review(UUIDPrimaryKey, Timestamps, db.Model):
    """A follow-up review of a case's twelve domains, done with her after the assessment (often after completion,
    while support goes on voluntarily). The latest one feeds distance travelled."""

    __tablename__ = "reviews"
    __table_args__ = (Index("ix_reviews_referral_id_reviewed_on", "referral_id", "reviewed_on"),)

    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referrals.id"), nullable=False)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), nullable=False)
    reviewed_on: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    notes = encrypted("notes")

    domains: Mapped[list[ReviewDomain]] = relationship(
        back_populates="review", cascade="all, delete-orphan", order_by="ReviewDomain.position"
    )


class ReviewDomain(db.Model):
    """One domain of a review: need level 0-3 and wellbeing score 1-10. Plain: reports count these."""

    __tablename__ = "review_domains"
    __table_args__ = (
        UniqueConstraint("review_id", "domain", name="uq_review_domains_review_domain"),
        CheckConstraint(f"domain IN ({DOMAIN_VALUES})", name="domain_known"),
        CheckConstraint("need_level BETWEEN 0 AND 3", name="need_level_range"),
        CheckConstraint("wellbeing_score BETWEEN 1 AND 10", name="wellbeing_score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("reviews.id"), nullable=False, index=True)
    domain: Mapped[str] = mapped_column(String(32), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    need_level: Mapped[int] = mapped_column(Integer, nullable=False)
    wellbeing_score: Mapped[int] = mapped_column(Integer, nullable=False)

    review: Mapped[Review] = relationship(back_populates="domains")


class ReturnSnapshot(UUIDPrimaryKey, db.Model):
    """A funder return as generated: its parameters, its figures and a hash of the case ids behind them, so the same
    quarter can be run again later and compared. Holds counts and ids' hashes only, never anything about a person."""

    __tablename__ = "return_snapshots"
    __table_args__ = (
        Index("ix_return_snapshots_period", "period_start", "period_end"),
        Index("ix_return_snapshots_organisation_id_created_at", "organisation_id", "created_at"),
    )

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    period_end: Mapped[date] = mapped_column(Date, nullable=False)
    period_kind: Mapped[str] = mapped_column(String(16), nullable=False)
    # Whose return it is, and the schemes it counted (a list of ids: one scheme, or every scheme of the manager's
    # organisation): a re-run counts exactly these again, and only that organisation's managers of every one of
    # them may open it (docs/organisations.md, "Reports").
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), nullable=False)
    scheme_ids: Mapped[list[int]] = mapped_column(JSON, nullable=False)
    court_id: Mapped[int | None] = mapped_column(ForeignKey("courts.id"), nullable=True)
    worker_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    # SHA-256 of the indicator file the figures were made with: a changed definition is a reason figures differ.
    indicators_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    # SHA-256 of the sorted ids of every case behind any figure.
    cases_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    case_count: Mapped[int] = mapped_column(Integer, nullable=False)
    # {indicator key: {"name", "cells": {group: value}, "cases_hash"}}: unsuppressed, as computed.
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
