"""What messages say: every template against the deny-list, and a canary case whose support fields, offence and
name never reach a message body."""

from __future__ import annotations

import uuid
from datetime import UTC, timedelta
from string import Template

import pytest

from diversion.assessments.models import Domain
from diversion.assessments.services import DomainInput, save_assessment
from diversion.care_plans.services import ActionInput, GoalInput, save_care_plan
from diversion.clients.services import SafeContact
from diversion.db import transaction, utcnow
from diversion.extensions import db
from diversion.notifications import wording
from diversion.notifications.models import Notification
from diversion.notifications.services import sweep_messages
from diversion.referrals.consent import record_consent
from diversion.referrals.intake import OFFENCES
from diversion.referrals.models import State
from tests.factories import attend, book, create_referral, create_user
from tests.notifications.helpers import london, messages, outbox_for

TEMPLATES = {
    name: value
    for name, value in vars(wording).items()
    if name.isupper() and isinstance(value, (str, Template)) and name != "DENY_LIST"
}
CLIENT_TEMPLATES = ["REMINDER_SMS", "REMINDER_EMAIL_SUBJECT", "REMINDER_EMAIL_BODY"]


def test_every_template_is_found() -> None:
    assert set(CLIENT_TEMPLATES) <= set(TEMPLATES)
    assert {"DIGEST_SUBJECT", "NOTICE_EMAIL_BODY"} <= set(TEMPLATES)


@pytest.mark.parametrize("name", CLIENT_TEMPLATES)
def test_client_templates_name_no_court_offence_purpose_or_cps(name: str) -> None:
    template = TEMPLATES[name]
    text = template.template if isinstance(template, Template) else template
    assert wording.denied_words(text) == []
    rendered = template.substitute(wording.when(london(1, 9, 5))) if isinstance(template, Template) else text
    assert wording.denied_words(rendered) == []


def test_the_deny_list_catches_what_it_must() -> None:
    assert wording.denied_words("Your Court date") == ["court"]
    assert wording.denied_words("the CPS and the Diversion scheme") == ["cps", "diversion", "scheme"]
    assert wording.denied_words("Magistrates' hearing about soliciting") == ["hearing", "magistrates", "soliciting"]
    assert wording.denied_words("courteous support") == ["support"]  # whole words only: 'courteous' passes
    with pytest.raises(wording.UnsafeWording, match="court") as caught:
        wording.check_safe("See you at court")
    assert "See you" not in str(caught.value)


def test_rendering_refuses_a_template_that_breaks_the_deny_list(monkeypatch) -> None:
    monkeypatch.setitem(wording.CLIENT_TEMPLATES, "sms", (None, Template("Your court appointment on $day at $time")))
    with pytest.raises(wording.UnsafeWording):
        wording.render_reminder("sms", london(1, 10))


def test_canary_no_support_field_offence_or_name_reaches_a_message(app_ctx, monkeypatch) -> None:
    canary = f"canary{uuid.uuid4().hex[:10]}"
    worker = create_user(role="worker")
    referral = create_referral(
        state=State.OPTED_IN, worker=worker, given_name=f"{canary}given", notes=f"{canary} referral notes"
    )
    with transaction():
        referral.client.safe_contact = SafeContact(True, False, True, f"{canary} safe times").to_json()
        referral.client.email = f"{canary}@example.org"
    record_consent(referral, "reminders", True, worker)
    first = book(referral=referral, worker=worker, number=1, starts_at=utcnow() - timedelta(days=2))
    attend(appointment=first, worker=worker, notes=f"{canary} attendance notes")
    domains = {
        name: DomainInput(need=3, score=2, notes=f"{canary} {name} notes")
        for name in (domain.value for domain in Domain)
    }
    save_assessment(referral, domains, worker, risk_notes=f"{canary} risk notes", indicators=["controlled_money"])
    save_care_plan(
        referral,
        [GoalInput("drugs", f"{canary} goal text", [ActionInput(f"{canary} action text")])],
        [],
        worker,
        agreed=False,
    )
    assert referral.state == State.ASSESSED
    second = book(referral=referral, worker=worker, number=2, starts_at=london(3, 14))
    # Every reminder of appointment 2, and the worker's digest of the day before, which lists it.
    monkeypatch.setitem(app_ctx.config, "DIGEST_AT", "10:00")
    sweep_messages(london(2, 10, 30).astimezone(UTC))
    sweep_messages(second.starts_at.astimezone(UTC) - timedelta(hours=2))
    sent = messages(referral_id=referral.id)
    assert len(sent) == 2
    assert {item.status for item in sent} == {"sent"}
    every: list[Notification] = list(db.session.scalars(db.select(Notification)))
    assert any(item.kind == "digest" for item in every)
    texts = [f"{item.subject or ''}\n{item.body or ''}" for item in every]
    texts += [f"{line['subject'] or ''}\n{line['body']}" for line in outbox_for([item.id for item in every])]
    forbidden = [canary, *OFFENCES.values(), "SOA1959", "Street Offences", "controlled"]
    forbidden.append(str(referral.client.family_name))
    for text in texts:
        for value in forbidden:
            assert value.lower() not in text.lower(), value
    for item in sent:
        assert wording.denied_words(f"{item.subject or ''} {item.body}") == []
