"""Care Action Plan, its goals and actions, and onward referrals to other services."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from diversion.crypto.fields import encrypted
from diversion.db import Timestamps, UTCDateTime, UUIDPrimaryKey
from diversion.extensions import db


class Service(StrEnum):
    """Services she may be referred on to (docs/api.md codes)."""

    DRUG_TREATMENT = "drug_treatment"
    ALCOHOL_SERVICE = "alcohol_service"
    HOUSING = "housing"
    GP = "gp"
    SEXUAL_HEALTH = "sexual_health"
    MENTAL_HEALTH = "mental_health"
    COUNSELLING = "counselling"
    DOMESTIC_ABUSE = "domestic_abuse"
    TRAFFICKING_SUPPORT = "trafficking_support"
    BENEFITS_ADVICE = "benefits_advice"
    DEBT_ADVICE = "debt_advice"
    GROUP_PROGRAMME = "group_programme"
    ETE = "ete"

    @property
    def label(self) -> str:
        """The service as people say it."""
        return SERVICE_LABELS[self]


SERVICE_LABELS = {
    Service.DRUG_TREATMENT: _l("Drug treatment"),
    Service.ALCOHOL_SERVICE: _l("Alcohol service"),
    Service.HOUSING: _l("Housing"),
    Service.GP: _l("GP and primary care"),
    Service.SEXUAL_HEALTH: _l("Sexual health clinic"),
    Service.MENTAL_HEALTH: _l("Mental health"),
    Service.COUNSELLING: _l("Counselling"),
    Service.DOMESTIC_ABUSE: _l("Domestic abuse service"),
    Service.TRAFFICKING_SUPPORT: _l("Trafficking and exploitation support"),
    Service.BENEFITS_ADVICE: _l("Benefits advice"),
    Service.DEBT_ADVICE: _l("Debt advice"),
    Service.GROUP_PROGRAMME: _l("Group programme"),
    Service.ETE: _l("Education, training and employment"),
}

# Onward referral lifecycle: suggested -> made -> accepted -> attended; declined from any step.
ONWARD_STATUSES = {
    "suggested": _l("Suggested"),
    "made": _l("Referral made"),
    "accepted": _l("Accepted"),
    "attended": _l("Attended"),
    "declined": _l("Declined"),
}
ACTION_OWNERS = {"client": _l("Client"), "worker": _l("Support worker"), "partner": _l("Partner service")}
ACTION_STATUSES = {"to_do": _l("To do"), "in_progress": _l("In progress"), "done": _l("Done"), "dropped": _l("Dropped")}

_SERVICE_VALUES = ", ".join(f"'{service.value}'" for service in Service)
_ONWARD_VALUES = ", ".join(f"'{status}'" for status in ONWARD_STATUSES)
_OWNER_VALUES = ", ".join(f"'{owner}'" for owner in ACTION_OWNERS)
_ACTION_STATUS_VALUES = ", ".join(f"'{status}'" for status in ACTION_STATUSES)


class CarePlan(UUIDPrimaryKey, Timestamps, db.Model):
    """The plan agreed with her at the appointment her programme sets for it (appointment 2 of two, 3 of three)."""

    __tablename__ = "care_plans"

    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referrals.id"), nullable=False, unique=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), nullable=False)
    is_agreed: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    agreed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    agreed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    notes = encrypted("notes")

    goals: Mapped[list[CarePlanGoal]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="CarePlanGoal.position"
    )
    onward_referrals: Mapped[list[OnwardReferral]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="OnwardReferral.position"
    )


class CarePlanGoal(UUIDPrimaryKey, db.Model):
    """A goal in one needs domain."""

    __tablename__ = "care_plan_goals"

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("care_plans.id"), nullable=False, index=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), nullable=False)
    domain: Mapped[str] = mapped_column(String(32), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)

    text = encrypted("text")

    plan: Mapped[CarePlan] = relationship(back_populates="goals")
    actions: Mapped[list[CarePlanAction]] = relationship(
        back_populates="goal", cascade="all, delete-orphan", order_by="CarePlanAction.position"
    )


class CarePlanAction(UUIDPrimaryKey, db.Model):
    """A step towards a goal: who does it, by when, how far it has got."""

    __tablename__ = "care_plan_actions"
    __table_args__ = (
        CheckConstraint(f"owner IN ({_OWNER_VALUES})", name="owner_known"),
        CheckConstraint(f"status IN ({_ACTION_STATUS_VALUES})", name="status_known"),
    )

    goal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("care_plan_goals.id"), nullable=False, index=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    owner: Mapped[str] = mapped_column(String(16), nullable=False)
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="to_do")

    text = encrypted("text")

    goal: Mapped[CarePlanGoal] = relationship(back_populates="actions")


class OnwardReferral(db.Model):
    """A referral on to another service, and how far it got. Plain: reports count these."""

    __tablename__ = "onward_referrals"
    __table_args__ = (
        CheckConstraint(f"service IN ({_SERVICE_VALUES})", name="service_known"),
        CheckConstraint(f"status IN ({_ONWARD_VALUES})", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("care_plans.id"), nullable=False, index=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    service: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="suggested")
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    plan: Mapped[CarePlan] = relationship(back_populates="onward_referrals")
