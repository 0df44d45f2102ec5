"""Immediate alerts (docs/alerts.md): each event raises one alert for her worker (or, with none, the scheme's
managers), emailed with nothing of her in it; the same event raises no second alert; acknowledging is recorded and
audited and the alert leaves the unread count; the pages show only one's own alerts on cases one may open."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from flask import current_app
from sqlalchemy import func, select

from diversion.alerts import services as alerts
from diversion.alerts.models import Alert, Kind
from diversion.assessments.services import save_assessment
from diversion.db import transaction
from diversion.errors import Conflict, NotFound
from diversion.extensions import db
from diversion.notifications import services as notifications
from diversion.notifications.models import ClientMessage, StaffMessage, Status
from diversion.notifications.providers import DeliveryError
from diversion.notifications.reminders import plan_reminders
from diversion.organisations.models import Access
from diversion.referrals.assignment import assign_worker
from diversion.referrals.models import State
from diversion.referrals.urns import format_urn
from tests import pages
from tests.factories import (
    all_domains,
    attend,
    audit_events,
    book,
    create_court,
    create_organisation,
    create_referral,
    create_scheme,
    create_user,
    last_audit_id,
    log_in_as,
    referral_input,
    take_referral,
)
from tests.notifications.helpers import reminder_case


def alerts_of(user) -> list[Alert]:
    db.session.expire_all()
    return list(db.session.scalars(select(Alert).where(Alert.recipient_id == user.id).order_by(Alert.created_at)))


def alert_emails(user) -> list[StaffMessage]:
    db.session.expire_all()
    return [
        message
        for message in db.session.scalars(select(StaffMessage).where(StaffMessage.user_id == user.id))
        if message.dedupe_key.startswith("alert:")
    ]


@pytest.fixture
def worker(app_ctx):
    return create_user(role="worker")


@pytest.fixture
def assessed_ready(worker):
    """Opted in, appointment 1 attended: ready for the assessment."""
    referral = create_referral(state=State.OPTED_IN, worker=worker)
    attend(appointment=book(referral=referral, worker=worker, number=1), worker=worker)
    return referral


# --- the events ---


def test_ticking_an_exploitation_indicator_alerts_her_worker_once(assessed_ready, worker) -> None:
    manager = create_user(role="manager")
    save_assessment(assessed_ready, all_domains(), worker)
    assert alerts_of(worker) == []
    assessment = save_assessment(assessed_ready, all_domains(), worker, indicators=["threats"], version=1)
    (alert,) = alerts_of(worker)
    assert (alert.kind, alert.referral_id, alert.acknowledged_at) == ("safeguarding_flag", assessed_ready.id, None)
    assert alerts_of(manager) == []  # she has a worker: the managers are not told
    (raised,) = audit_events(case_id=assessed_ready.id, action="alert.raised")
    assert raised.details == {"kind": "safeguarding_flag", "recipient": str(worker.id)}
    # Saved again with the flag still set: the same flag, no second alert.
    save_assessment(assessed_ready, all_domains(), worker, indicators=["threats", "debt_bondage"], version=2)
    assert len(alerts_of(worker)) == 1
    # Cleared, then raised again: a new event.
    save_assessment(assessed_ready, all_domains(), worker, indicators=[], version=3)
    save_assessment(assessed_ready, all_domains(), worker, indicators=["threats"], version=4)
    assert [a.kind for a in alerts_of(worker)] == ["safeguarding_flag", "safeguarding_flag"]
    assert assessment.has_safeguarding_flag


def test_the_safety_domain_marked_high_need_alerts_once(assessed_ready, worker) -> None:
    domains = all_domains(need=1)
    domains["safety"].need = 3
    save_assessment(assessed_ready, domains, worker)
    assert [a.kind for a in alerts_of(worker)] == ["high_risk"]
    save_assessment(assessed_ready, domains, worker, version=1)
    # High need in another domain is not a risk marked high.
    other = all_domains(need=3)
    other["safety"].need = 2
    save_assessment(assessed_ready, other, worker, version=2)
    assert [a.kind for a in alerts_of(worker)] == ["high_risk"]


@pytest.mark.clock("2026-12-21 10:00")
@pytest.mark.parametrize(
    ("return_date", "alerted"),
    [
        # Five working days after Monday 21 December: 22, 23, 24, 29 and 30 (25 and 28 are bank holidays).
        (date(2026, 12, 30), True),
        (date(2026, 12, 31), False),
        (date(2026, 12, 22), True),
    ],
)
def test_a_did_not_attend_close_to_the_return_date_alerts_her_worker(worker, return_date, alerted) -> None:
    referral = create_referral(state=State.OPTED_IN, worker=worker, return_date=return_date)
    appointment = book(referral=referral, worker=worker, number=1)
    attend(appointment=appointment, worker=worker, outcome="did_not_attend")
    assert [a.kind for a in alerts_of(worker)] == (["did_not_attend"] if alerted else [])
    # Recorded again (a correction): the same event.
    attend(appointment=appointment, worker=worker, outcome="did_not_attend")
    assert len(alerts_of(worker)) == (1 if alerted else 0)


@pytest.mark.clock("2026-12-21 10:00")
def test_attending_raises_no_alert(worker) -> None:
    referral = create_referral(state=State.OPTED_IN, worker=worker, return_date=date(2026, 12, 23))
    attend(appointment=book(referral=referral, worker=worker, number=1), worker=worker)
    assert alerts_of(worker) == []


class FailingNotifier:
    name = "outbox"

    def send(self, message):
        raise DeliveryError("smtp_550", transient=False)


def test_a_message_to_her_that_failed_alerts_her_worker_once(worker, monkeypatch) -> None:
    referral, appointment = reminder_case(worker=worker)
    plan_reminders(appointment.starts_at - timedelta(hours=3))
    message = db.session.scalars(select(ClientMessage).where(ClientMessage.referral_id == referral.id)).first()
    monkeypatch.setattr(notifications, "notifier_for", lambda channel, config: FailingNotifier())
    assert notifications.deliver(message.id, message.next_attempt_at) == Status.FAILED.value
    (alert,) = alerts_of(worker)
    assert (alert.kind, alert.referral_id) == ("message_failed", referral.id)
    # Sent again by a manager, and failing again: the same message, no second alert.
    notifications.retry(message, create_user(role="manager"), now=message.next_attempt_at)
    assert notifications.deliver(message.id, message.next_attempt_at) == Status.FAILED.value
    assert len(alerts_of(worker)) == 1


def test_a_staff_email_that_failed_raises_no_alert(worker, assessed_ready, monkeypatch) -> None:
    save_assessment(assessed_ready, all_domains(), worker, indicators=["threats"])
    (email,) = alert_emails(worker)
    monkeypatch.setattr(notifications, "notifier_for", lambda channel, config: FailingNotifier())
    assert notifications.deliver(email.id) == Status.FAILED.value
    assert len(alerts_of(worker)) == 1


def test_a_court_referral_of_someone_referred_before_alerts_the_managers(app_ctx) -> None:
    court = create_court()
    managers = [create_user(role="manager"), create_user(role="manager")]
    create_referral(
        worker=create_user(role="worker"), court=court, family_name="Earlier", date_of_birth=date(1991, 2, 3)
    )
    court_user = create_user(role="court", court=court)
    referral = take_referral(
        referral_input(court=court, family_name="Earlier", date_of_birth=date(1991, 2, 3)), court_user
    )
    assert referral.possible_previous_referral
    assert referral.assigned_worker_id is None
    for manager in managers:
        assert [(a.kind, a.referral_id) for a in alerts_of(manager)] == [("possible_match", referral.id)]
    assert alerts_of(court_user) == []
    # A court referral of someone new raises nothing.
    take_referral(referral_input(court=court, family_name="Nobodybefore"), court_user)
    assert sum(len(alerts_of(manager)) for manager in managers) == 2


# --- who is told ---


def test_with_no_worker_the_managers_of_her_scheme_are_told_and_nobody_else(app_ctx) -> None:
    other_org = create_organisation()
    other_scheme = create_scheme(organisation=other_org)
    own_scheme_managers = [create_user(role="manager"), create_user(role="manager")]
    elsewhere = [
        create_user(role="manager", organisation=other_org, schemes=[other_scheme]),
        create_user(role="worker"),
        create_user(role="admin"),
        create_user(role="cps", cps_courts=[create_court()]),
    ]
    disabled = create_user(role="manager")
    with transaction():
        disabled.is_disabled = True
    manager = own_scheme_managers[0]
    referral = create_referral(state=State.OPTED_IN, worker=manager)
    assign_worker(referral, None, None, manager)
    with transaction():
        alerts.raise_alert(referral, Kind.SAFEGUARDING_FLAG, "safeguarding_flag:test")
    assert {a.recipient_id for a in db.session.scalars(select(Alert))} == {m.id for m in own_scheme_managers}
    for user in [*elsewhere, disabled]:
        assert alerts_of(user) == []


def test_a_worker_who_left_the_scheme_is_passed_over_for_the_managers(app_ctx) -> None:
    second = create_scheme()
    court = create_court(schemes=[second])
    worker = create_user(role="worker", schemes=[second])
    manager = create_user(role="manager", schemes=[second])
    referral = create_referral(state=State.OPTED_IN, worker=worker, court=court)
    assert alerts.recipients_for(referral) == [worker]
    with transaction():
        worker.schemes = []
    assert alerts.recipients_for(referral) == [manager]


# --- the email ---


def test_the_email_names_nothing_of_her_and_carries_only_a_link(assessed_ready, worker) -> None:
    client = assessed_ready.client
    secrets = [
        client.given_name,
        client.family_name,
        client.date_of_birth.isoformat(),
        client.date_of_birth.strftime("%d/%m/%Y"),
        f"{client.date_of_birth.day} {client.date_of_birth.strftime('%B')}",
        str(assessed_ready.id),
        str(assessed_ready.urn),
        "threat",
        "exploitation",
        "safeguarding",
    ]
    save_assessment(assessed_ready, all_domains(), worker, indicators=["threats"])
    (alert,) = alerts_of(worker)
    (email,) = alert_emails(worker)
    assert (email.recipient, email.status, email.channel) == (worker.email, "queued", "email")
    base = current_app.config["SERVICE_URL"].rstrip("/")
    assert email.body == f"You have a new alert in the diversion service: {base}/alerts/{alert.id}\n"
    assert email.subject == "New alert"
    for text in (email.subject, email.body):
        for secret in secrets:
            assert secret.casefold() not in text.casefold(), secret
    # Nothing of it is sent before the commit, and what is sent is the same text.
    assert notifications.deliver(email.id) == "sent"


def test_the_email_goes_after_the_commit_and_not_when_the_change_is_rolled_back(assessed_ready, worker) -> None:
    def failing_change() -> None:
        with transaction():
            alerts.raise_alert(assessed_ready, Kind.HIGH_RISK, "high_risk:rolled-back")
            assert db.session.info.get(alerts.NEW_KEY)
            raise RuntimeError("the change fails")

    with pytest.raises(RuntimeError):
        failing_change()
    assert alerts_of(worker) == []
    assert alert_emails(worker) == []
    assert not db.session.info.get(alerts.NEW_KEY)


def test_with_redis_the_email_goes_on_the_queue_once_the_change_commits(
    client, assessed_ready, worker, monkeypatch
) -> None:
    from diversion.notifications import queueing

    queued: list = []
    monkeypatch.setitem(client.application.config, "REDIS_URL", "redis://127.0.0.1:9/0")
    monkeypatch.setattr(queueing, "enqueue_delivery", lambda ids, **_: queued.extend(ids) or len(ids))
    log_in_as(client, worker)
    path = f"/cases/{assessed_ready.id}/assessment/edit"
    form = pages.get(client, path)
    data = {**form.hidden_fields(form.form(path)), "indicators": "threats"}
    for domain in all_domains():
        data[f"{domain}_need"] = "2"
        data[f"{domain}_score"] = "5"
    response = client.post(path, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    (email,) = alert_emails(worker)
    assert queued == [email.id]
    assert email.status == "queued"


def test_without_redis_the_email_waits_for_the_sweep(assessed_ready, worker) -> None:
    save_assessment(assessed_ready, all_domains(), worker, indicators=["threats"])
    (email,) = alert_emails(worker)
    assert email.status == "queued"
    report = notifications.send_due()
    assert report.count("sent") >= 1
    (email,) = alert_emails(worker)
    assert email.status == "sent"


# --- the pages: list, count, acknowledge ---


def test_her_alerts_page_lists_them_newest_first_with_the_unread_count_in_the_header(client, worker) -> None:
    referral = create_referral(state=State.OPTED_IN, worker=worker)
    with transaction():
        alerts.raise_alert(referral, Kind.MESSAGE_FAILED, "message_failed:one")
    with transaction():
        alerts.raise_alert(referral, Kind.POSSIBLE_MATCH, "possible_match:two")
    log_in_as(client, worker)
    home = pages.get(client, "/home")
    assert "Alerts (2 unread)" in home.select_one("header").get_text()
    page = pages.get(client, "/alerts")
    rows = page.table_rows()
    assert [row[0].split(",")[0].strip() for row in rows] == [
        "Possible previous referral to resolve",
        "A message to her failed",
    ]
    assert [row[-1] for row in rows] == ["Unread", "Unread"]
    assert referral.client.family_name not in page.html


def test_acknowledging_is_recorded_audited_and_leaves_the_unread_count(client, worker) -> None:
    referral = create_referral(state=State.OPTED_IN, worker=worker)
    with transaction():
        (alert,) = alerts.raise_alert(referral, Kind.SAFEGUARDING_FLAG, "safeguarding_flag:page")
    log_in_as(client, worker)
    shown = pages.get(client, f"/alerts/{alert.id}")
    assert shown.summary_list()["Status"] == "Unread"
    assert shown.link("Open the case this alert is about") == f"/cases/{referral.id}"
    assert "Alerts (1 unread)" in shown.select_one("header").get_text()
    pages.post(client, f"/alerts/{alert.id}/acknowledge", {}, token_from=f"/alerts/{alert.id}", status=302)
    after = pages.get(client, f"/alerts/{alert.id}")
    assert "Alert acknowledged." in after.text
    assert after.summary_list()["Status"].startswith(f"Acknowledged by {worker.display_name}")
    assert "unread" not in after.select_one("header").get_text()
    db.session.refresh(alert)
    assert alert.acknowledged_by_id == worker.id
    assert alert.acknowledged_at is not None
    db.session.commit()  # the test's own savepoint, begun before the requests, ends here
    (event,) = audit_events(case_id=referral.id, action="alert.acknowledged")
    assert (event.actor_id, event.object_id, event.details) == (worker.id, str(alert.id), {"kind": "safeguarding_flag"})
    # Again: refused, nothing changes.
    when = alert.acknowledged_at
    with pytest.raises(Conflict):
        alerts.acknowledge(alert, worker)
    db.session.refresh(alert)
    assert alert.acknowledged_at == when
    assert len(audit_events(case_id=referral.id, action="alert.acknowledged")) == 1


def test_nobody_else_reads_or_acknowledges_her_alert(client, worker) -> None:
    referral = create_referral(state=State.OPTED_IN, worker=worker)
    with transaction():
        (alert,) = alerts.raise_alert(referral, Kind.SAFEGUARDING_FLAG, "safeguarding_flag:mine")
    colleague = create_user(role="manager")
    with pytest.raises(NotFound):
        alerts.acknowledge(alert, colleague)
    log_in_as(client, colleague)
    pages.get(client, f"/alerts/{alert.id}", status=404)
    pages.get(client, f"/alerts/{uuid.uuid4()}", status=404)
    assert "You have no alerts." in pages.get(client, "/alerts").text
    token = pages.get(client, "/alerts").csrf_token if pages.get(client, "/alerts").forms() else None
    response = client.post(f"/alerts/{alert.id}/acknowledge", data={"csrf_token": token or ""})
    assert response.status_code in (400, 404)
    db.session.refresh(alert)
    assert alert.acknowledged_at is None


@pytest.mark.parametrize("role", ["court", "cps", "admin", "operator"])
def test_court_cps_and_administrators_have_no_alerts(client, app_ctx, role: str) -> None:
    log_in_as(client, create_user(role=role))
    assert client.get("/alerts").status_code == 403
    home = client.get("/home").get_data(as_text=True)
    assert "Alerts" not in home


def test_a_case_given_to_a_colleague_in_an_assigned_scheme_leaves_her_list(client, app_ctx) -> None:
    scheme = create_scheme()
    with transaction():
        scheme.access = Access.ASSIGNED.value
    court = create_court(schemes=[scheme])
    worker = create_user(role="worker", schemes=[scheme])
    colleague = create_user(role="worker", schemes=[scheme])
    manager = create_user(role="manager", schemes=[scheme])
    referral = create_referral(state=State.OPTED_IN, worker=worker, court=court)
    with transaction():
        (alert,) = alerts.raise_alert(referral, Kind.MESSAGE_FAILED, "message_failed:assigned")
    assert alerts.unread_count(worker) == 1
    assign_worker(referral, colleague, None, manager)
    # She would be asked a reason to open it now: the alert is not shown to her, nor counted.
    assert alerts.unread_count(worker) == 0
    log_in_as(client, worker)
    pages.get(client, f"/alerts/{alert.id}", status=404)
    assert "You have no alerts." in pages.get(client, "/alerts").text


def test_the_unread_count_is_one_query(client, worker) -> None:
    from sqlalchemy import event

    referral = create_referral(state=State.OPTED_IN, worker=worker)
    with transaction():
        alerts.raise_alert(referral, Kind.MESSAGE_FAILED, "message_failed:count")
    log_in_as(client, worker)
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        if "alerts" in statement and "count(" in statement.lower():
            seen.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        pages.get(client, "/home")  # the home page builds the navigation twice
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len(seen) == 1
    assert db.session.scalar(select(func.count()).select_from(Alert)) == 1


def test_acknowledging_from_a_second_tab_answers_409_and_changes_nothing(client, worker) -> None:
    referral = create_referral(state=State.OPTED_IN, worker=worker)
    with transaction():
        (alert,) = alerts.raise_alert(referral, Kind.DID_NOT_ATTEND, "did_not_attend:tabs")
    log_in_as(client, worker)
    token = pages.get(client, f"/alerts/{alert.id}").csrf_token
    pages.post(client, f"/alerts/{alert.id}/acknowledge", {"csrf_token": token}, status=302)
    after = last_audit_id()
    again = pages.post(client, f"/alerts/{alert.id}/acknowledge", {"csrf_token": token}, status=409)
    assert "You have already acknowledged this alert" in again.text
    assert again.summary_list()["Status"].startswith("Acknowledged by")
    assert audit_events(case_id=referral.id, action="alert.acknowledged", after=after) == []


def test_the_alert_pages_audit_the_cases_they_show(client, worker) -> None:
    referral = create_referral(state=State.OPTED_IN, worker=worker)
    with transaction():
        (alert,) = alerts.raise_alert(referral, Kind.SAFEGUARDING_FLAG, "safeguarding_flag:reads")
    urn = pages.get(log_in_as(client, worker), "/alerts")  # signs in: its own reads are not counted below
    assert urn.status == 200
    for url, endpoint in (("/alerts", "alerts.index"), (f"/alerts/{alert.id}", "alerts.show")):
        after = last_audit_id()
        page = pages.get(client, url)
        assert format_urn(str(referral.urn)) in page.text
        read = audit_events(case_id=referral.id, action="case.viewed", after=after)
        assert [(event.actor_id, event.details) for event in read] == [
            (worker.id, {"page": endpoint, "view": "list"})
        ], url


def test_another_organisations_alert_is_not_found_nor_counted(client, worker) -> None:
    other = create_organisation()
    scheme = create_scheme(organisation=other)
    court = create_court(schemes=[scheme])
    their_worker = create_user(role="worker", organisation=other, schemes=[scheme])
    referral = create_referral(state=State.OPTED_IN, worker=their_worker, court=court)
    with transaction():
        (alert,) = alerts.raise_alert(referral, Kind.SAFEGUARDING_FLAG, "safeguarding_flag:elsewhere")
    assert alert.recipient_id == their_worker.id
    for user in (worker, create_user(role="manager")):
        assert alerts.unread_count(user) == 0
        assert alerts.get_alert(user, alert.id) is None
        with pytest.raises(NotFound):
            alerts.acknowledge(alert, user)
    log_in_as(client, worker)
    pages.get(client, f"/alerts/{alert.id}", status=404)
    assert str(alert.id) not in pages.get(client, "/alerts").html
