"""The audit review: search by client, user, action and date; CSV export; who has viewed a case; the daily sweep
checks the chain and alerts managers when it is broken."""

from __future__ import annotations

import csv
import io
import logging
from datetime import timedelta

from sqlalchemy import select, update

from diversion.audit.models import AuditEvent
from diversion.dates import today
from diversion.extensions import db
from diversion.notifications.models import StaffMessage
from tests.factories import audit_events, create_referral, create_user, log_in_as


def test_search_by_client_user_action_and_date(client, app_ctx) -> None:
    worker = create_user(role="worker")
    hers = create_referral(state="OPTED_IN", worker=worker)
    other = create_referral(state="OPTED_IN")
    log_in_as(client, worker)
    assert client.get(f"/cases/{hers.id}").status_code == 200
    manager = create_user(role="manager")
    log_in_as(client, manager)

    found = client.get(f"/privacy/audit?client_id={hers.client_id}").get_data(as_text=True)
    assert "referral.created" in found
    assert "case.viewed" in found
    assert str(other.id) not in found
    assert str(hers.id) in found

    by_user = client.get(f"/privacy/audit?user_email={worker.email}&action=case.viewed").get_data(as_text=True)
    assert "1 event" in by_user
    assert worker.email in by_user

    day = today().strftime("%d/%m/%Y").split("/")
    future = (today() + timedelta(days=2)).strftime("%d/%m/%Y").split("/")
    dated = (
        f"/privacy/audit?client_id={hers.client_id}&from_date-day={future[0]}&from_date-month={future[1]}"
        f"&from_date-year={future[2]}"
    )
    assert "0 events" in client.get(dated).get_data(as_text=True)
    today_only = (
        f"/privacy/audit?client_id={hers.client_id}&from_date-day={day[0]}&from_date-month={day[1]}"
        f"&from_date-year={day[2]}&to_date-day={day[0]}&to_date-month={day[1]}&to_date-year={day[2]}"
    )
    assert "case.viewed" in client.get(today_only).get_data(as_text=True)

    for bad in (
        "/privacy/audit?client_id=not-an-id",
        "/privacy/audit?user_email=nobody",
        "/privacy/audit?from_date-day=40",
    ):
        response = client.get(bad)
        assert response.status_code == 422, bad
        assert "There is a problem" in response.get_data(as_text=True)


def test_csv_export_is_audited(client, app_ctx) -> None:
    referral = create_referral(state="OPTED_IN")
    manager = create_user(role="manager")
    log_in_as(client, manager)
    response = client.get(f"/privacy/audit.csv?client_id={referral.client_id}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert rows
    assert {"referral.created", "consent.recorded"} <= {row["action"] for row in rows}
    exported = audit_events(action="audit.exported")
    assert len(exported) == 1
    assert exported[0].details["rows"] == len(rows)
    assert client.get("/privacy/audit.csv?client_id=bad").status_code == 302
    assert len(audit_events(action="audit.exported")) == 1


def test_who_has_viewed_this_case(client, app, app_ctx) -> None:
    worker = create_user(role="worker")
    referral = create_referral(state="OPTED_IN", worker=worker)
    log_in_as(client, worker)
    client.get(f"/cases/{referral.id}")
    client.get(f"/cases/{referral.id}/consent")
    assert client.get(f"/cases/{referral.id}/viewed-by").status_code == 403
    manager = app.test_client()
    log_in_as(manager, create_user(role="manager"))
    page = manager.get(f"/cases/{referral.id}/viewed-by").get_data(as_text=True)
    assert "Who has viewed this case" in page
    assert worker.display_name in page
    assert "Viewed by" in manager.get(f"/cases/{referral.id}").get_data(as_text=True)
    assert "Viewed by" not in client.get(f"/cases/{referral.id}").get_data(as_text=True)


def test_the_sweep_checks_the_chain_and_alerts_managers(app, app_ctx, caplog) -> None:
    create_referral(state="OPTED_IN")
    managers = [create_user(role="manager"), create_user(role="manager")]
    runner = app.test_cli_runner()
    intact = runner.invoke(args=["cases", "sweep"])
    assert intact.exit_code == 0, intact.output
    assert "Audit chain broken" not in intact.output
    assert db.session.scalars(select(StaffMessage).where(StaffMessage.dedupe_key.like("audit-alert:%"))).all() == []

    victim = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).first()
    db.session.execute(update(AuditEvent).where(AuditEvent.id == victim.id).values(action="tampered"))
    db.session.commit()
    caplog.set_level(logging.ERROR, logger="diversion.security")
    broken = runner.invoke(args=["cases", "sweep"])
    assert broken.exit_code == 1
    assert f"Audit chain broken at event {victim.id}" in broken.output
    assert any(record.getMessage() == "audit chain broken" for record in caplog.records)
    alerts = db.session.scalars(select(StaffMessage).where(StaffMessage.dedupe_key.like("audit-alert:%"))).all()
    assert {alert.user_id for alert in alerts} >= {manager.id for manager in managers}
    # Once a day per manager, however often the sweep runs.
    runner.invoke(args=["cases", "sweep"])
    again = db.session.scalars(select(StaffMessage).where(StaffMessage.dedupe_key.like("audit-alert:%"))).all()
    assert len(again) == len(alerts)
