"""Keyset pages (diversion/keyset.py): the lists of cases and of notices page the same way, newest first by
(created_at, id), and cases made in the same instant are each listed once, in the order of their ids."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update

from diversion.db import transaction
from diversion.extensions import db
from diversion.notices.models import OutcomeNotice
from diversion.notices.services import list_notices
from diversion.referrals.models import Referral
from diversion.referrals.queries import CaseFilters, list_cases
from tests.factories import create_court, create_referral, create_user

SAME_MOMENT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _all_pages(fetch) -> list:
    """Every row of a list, one page of one at a time, following each page's cursor."""
    seen, after = [], None
    while True:
        rows, after = fetch(after)
        seen += rows
        if after is None:
            return seen


def test_cases_made_in_one_instant_are_each_listed_once_in_the_order_of_their_ids(app_ctx) -> None:
    court, worker = create_court(), create_user(role="worker")
    made = [create_referral(court=court, worker=worker).id for _ in range(3)]
    newest = create_referral(court=court, worker=worker).id
    with transaction():
        db.session.execute(update(Referral).where(Referral.id.in_(made)).values(created_at=SAME_MOMENT))

    def fetch(after):
        found = list_cases(CaseFilters(court_code=court.code), user=create_user(role="manager"), after=after, limit=1)
        return [referral.id for referral in found.items], found.next

    assert _all_pages(fetch) == [newest, *sorted(made, reverse=True)]


def test_notices_page_the_same_way(app_ctx) -> None:
    court, worker = create_court(), create_user(role="worker")
    court_user = create_user(role="court", court=court)
    for _ in range(3):
        create_referral(state="WITHDRAWN", court=court, worker=worker)
    with transaction():
        db.session.execute(
            update(OutcomeNotice).where(OutcomeNotice.court_id == court.id).values(created_at=SAME_MOMENT)
        )

    def fetch(after):
        found = list_notices("new", user=court_user, after=after, limit=1)
        return [notice.id for notice in found.notices], found.next

    notices = _all_pages(fetch)
    assert len(notices) == 3
    assert notices == sorted(notices, reverse=True)
