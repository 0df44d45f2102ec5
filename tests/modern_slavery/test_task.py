"""The National Referral Mechanism task on the case (docs/modern-slavery.md): shown only while her assessment records
signs of exploitation and nothing is recorded, worded by the organisation's first responder setting; recorded on its
own page with the error summary for bad input and 409 for a stale save, audited by version only, the note encrypted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from diversion.dates import long_date, today
from diversion.extensions import db
from diversion.modern_slavery import services
from diversion.modern_slavery.models import NrmDecision
from tests import pages
from tests.factories import audit_events, create_user, date_fields, log_in_as, raw_column
from tests.modern_slavery.helpers import NOTE, flagged_case, set_first_responder

FIRST_RESPONDER_TASK = "Consider an NRM referral (with her consent) or a Duty to Notify (if she does not consent)"
OTHER_TASK = "Consider an NRM referral through a first responder (with her consent)"


@pytest.fixture
def worker(app_ctx):
    return create_user(role="worker")


def _url(referral) -> str:
    return f"/cases/{referral.id}/modern-slavery"


def _decisions() -> int:
    return int(db.session.scalar(select(func.count()).select_from(NrmDecision)))


def _form(outcome: str | None = "nrm_referred", day=None, note: str = "", version: str = "0") -> dict[str, str]:
    data = {"version": version, "note": note, **date_fields("date", day or today())}
    if outcome is not None:
        data["outcome"] = outcome
    return data


def test_no_task_without_signs_of_exploitation(client, worker) -> None:
    referral = flagged_case(worker, indicators=())
    log_in_as(client, worker)
    page = pages.get(client, f"/cases/{referral.id}")
    assert "Modern slavery" not in page.text
    assert _url(referral) not in page.hrefs()
    assert not services.task_for(referral).to_consider


@pytest.mark.parametrize(("first_responder", "wording"), [(True, FIRST_RESPONDER_TASK), (False, OTHER_TASK)])
def test_the_task_shows_with_signs_of_exploitation_worded_by_the_setting(
    client, worker, first_responder, wording
) -> None:
    set_first_responder(first_responder)
    referral = flagged_case(worker)
    log_in_as(client, worker)
    page = pages.get(client, f"/cases/{referral.id}")
    task = page.select_one(".app-nrm-task")
    assert wording in pages.normalise(task.get_text())
    assert (FIRST_RESPONDER_TASK if not first_responder else OTHER_TASK) not in page.text
    assert _url(referral) in page.hrefs()
    form = pages.get(client, _url(referral))
    offered = [item["value"] for item in form.inputs("outcome")]
    expected = ["nrm_referred", "duty_to_notify", "declined", "not_applicable"]
    assert offered == (expected if first_responder else [code for code in expected if code != "duty_to_notify"])


def test_the_worker_records_a_referral_and_the_task_clears(client, worker) -> None:
    referral = flagged_case(worker)
    log_in_as(client, worker)
    pages.post(client, _url(referral), _form(note=NOTE), status=302, redirect=f"/cases/{referral.id}")
    page = pages.get(client, f"/cases/{referral.id}")
    assert not page.has(".app-nrm-task")
    summary = page.summary_list(".app-nrm-outcome")
    assert summary["National Referral Mechanism"].startswith(
        f"Referred to the National Referral Mechanism on {long_date(today())}"
    )
    assert summary["Note"] == NOTE
    decision = services.decision_of(referral)
    assert (decision.outcome, decision.decided_on, decision.version) == ("nrm_referred", today(), 1)
    # The note is encrypted under her key, and the audit event names the version only.
    assert NOTE.encode() not in raw_column(model=NrmDecision, column="note", row_id=decision.id)
    [event] = audit_events(case_id=referral.id, action="nrm.recorded")
    assert event.details == {"version": 1}
    assert NOTE not in str(event.details)
    # The history names it.
    assert "National Referral Mechanism outcome recorded" in pages.get(client, f"/cases/{referral.id}/history").text


def test_a_manager_changes_a_recorded_outcome(client, worker) -> None:
    referral = flagged_case(worker)
    services.record_nrm_outcome(referral, worker, outcome="declined", decided_on=today(), note=NOTE)
    manager = create_user(role="manager")
    log_in_as(client, manager)
    form = pages.get(client, _url(referral))
    assert form.checked("outcome") == ["declined"]
    assert form.value("version") == "1"
    pages.post(client, _url(referral), _form("not_applicable", version="1"), status=302)
    decision = services.decision_of(referral)
    db.session.refresh(decision)
    assert (decision.outcome, decision.version, decision.note) == ("not_applicable", 2, None)


def _refused(client, referral, data, field: str, message: str) -> None:
    page = pages.post(client, _url(referral), data, status=422)
    assert page.title.startswith("Error: ")
    assert message in page.error_summary
    assert page.errors[field] == message
    assert _decisions() == 0
    assert audit_events(case_id=referral.id, action="nrm.recorded") == []


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (_form(outcome=None), "outcome", services.OUTCOME_MISSING),
        (_form(outcome="sold_her"), "outcome", services.OUTCOME_MISSING),
        ({"version": "0", "outcome": "declined"}, "date", "Enter the date it was done"),
        (
            {**_form(), "date-day": "31", "date-month": "2"},
            "date",
            "The date it was done must be a real date",
        ),
        (_form(note="x" * 2001), "note", "Note must be 2,000 characters or fewer"),
    ],
)
def test_bad_input_gets_the_error_summary_and_saves_nothing(client, worker, data, field, message) -> None:
    referral = flagged_case(worker)
    log_in_as(client, worker)
    _refused(client, referral, data, field, message)


def test_a_date_in_the_future_or_before_the_referral_is_refused(client, worker) -> None:
    referral = flagged_case(worker)
    log_in_as(client, worker)
    _refused(
        client,
        referral,
        _form(day=today() + timedelta(days=1)),
        "date",
        "The date it was done must be today or in the past",
    )
    _refused(
        client,
        referral,
        _form(day=referral.referred_on - timedelta(days=1)),
        "date",
        f"The date it was done must be on or after the date she was referred, {long_date(referral.referred_on)}",
    )


def test_a_duty_to_notify_only_where_the_organisation_is_a_first_responder(client, worker) -> None:
    set_first_responder(False)
    referral = flagged_case(worker)
    log_in_as(client, worker)
    _refused(client, referral, _form("duty_to_notify"), "outcome", services.NOT_A_FIRST_RESPONDER)
    set_first_responder(True)
    pages.post(client, _url(referral), _form("duty_to_notify"), status=302)
    assert services.decision_of(referral).outcome == "duty_to_notify"


def test_nothing_to_record_without_signs_of_exploitation(client, worker) -> None:
    referral = flagged_case(worker, indicators=())
    log_in_as(client, worker)
    page = pages.post(client, _url(referral), _form(), status=422)
    assert page.error_summary == [services.NOTHING_TO_CONSIDER]
    assert _decisions() == 0


def test_a_stale_save_is_refused_with_409_shown_beside_the_saved_one(client, worker) -> None:
    referral = flagged_case(worker)
    log_in_as(client, worker)
    shown = pages.get(client, _url(referral))
    token = shown.csrf_token
    assert shown.value("version") == "0"
    # Someone else records it meanwhile.
    other = create_user(role="worker")
    services.record_nrm_outcome(referral, other, outcome="declined", decided_on=today(), note=NOTE)
    page = pages.post(client, _url(referral), {**_form(), "csrf_token": token}, status=409)
    assert page.title.startswith("Error: ")
    assert page.error_summary[0] == services.STALE
    assert page.has("#conflict")
    assert page.value("resolved") == "1"
    decision = services.decision_of(referral)
    db.session.refresh(decision)
    assert (decision.outcome, decision.version) == ("declined", 1)
    assert len(audit_events(case_id=referral.id, action="nrm.recorded")) == 1
    # Saving again without choosing is refused too; choosing her answer saves it at the version compared.
    again = {**_form(), "csrf_token": token, "resolved": "1"}
    refused = pages.post(client, _url(referral), again, status=409)
    assert "Choose which answer to keep for what was done" in refused.error_summary
    pages.post(client, _url(referral), {**again, "keep-all": "mine"}, status=302)
    db.session.refresh(decision)
    assert (decision.outcome, decision.version) == ("nrm_referred", 2)


@pytest.mark.parametrize("role", ["court", "cps", "admin"])
def test_court_cps_and_administrators_never_reach_the_page(client, worker, role) -> None:
    referral = flagged_case(worker)
    log_in_as(client, create_user(role=role))
    assert client.get(_url(referral)).status_code == 403
    assert client.post(_url(referral), data=_form()).status_code in (400, 403)
    assert _decisions() == 0


def test_another_organisations_worker_gets_404(client, worker) -> None:
    from tests.factories import create_organisation, create_scheme

    referral = flagged_case(worker)
    organisation = create_organisation()
    outsider = create_user(role="worker", organisation=organisation, schemes=[create_scheme(organisation=organisation)])
    log_in_as(client, outsider)
    assert client.get(_url(referral)).status_code == 404
    assert _decisions() == 0
