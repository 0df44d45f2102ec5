"""Consent withdrawal flows through: once she withdraws consent to share with the court and the CPS, no partner view,
API answer or email carries her name or date of birth (support staff still see them); once she withdraws consent to
equality monitoring, no report counts her age band or ethnic group, and her stored ethnic group is cleared."""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from pypdf import PdfReader
from sqlalchemy import select

from diversion.api.openapi import DOCUMENT
from diversion.auth.models import User
from diversion.auth.tokens import create_api_token
from diversion.clients.models import Client
from diversion.courts.models import Court
from diversion.dates import today
from diversion.errors import InvalidTransition
from diversion.extensions import db
from diversion.notices.models import OutcomeNotice
from diversion.notifications.digests import set_notice_emails
from diversion.notifications.models import StaffMessage
from diversion.outcomes import equality, returns
from diversion.outcomes import services as outcome_services
from diversion.outcomes.queries import Scope
from diversion.referrals.consent import record_consent
from diversion.referrals.models import Consent, Referral, State
from diversion.referrals.queries import WITHHELD_TEXT, shares_with_partners
from diversion.referrals.urns import format_urn
from diversion.reports.services import Period
from tests.factories import (
    audit_events,
    create_court,
    create_referral,
    create_user,
    csrf_token,
    last_audit_id,
    log_in_as,
    row_counts,
)

# Her date of birth, as pages, tables, letters and the API write it: none may reach a partner after withdrawal.
BORN = date(1983, 7, 29)
BORN_FORMS = ("29 July 1983", "29 Jul 1983", "1983-07-29")
EQUALITY_INDICATORS = ("age_band", "ethnicity")


@dataclass
class Case:
    """A completed case with a canary name, on a return day of its own, and the people around it."""

    referral: Referral
    notice: OutcomeNotice
    given: str
    family: str
    court: Court
    worker: User

    @property
    def canaries(self) -> tuple[str, ...]:
        return (self.given, self.family, *BORN_FORMS)

    @property
    def urn(self) -> str:
        return format_urn(str(self.referral.urn))


def completed_case(court: Court | None = None, born: date = BORN) -> Case:
    court = court or create_court()
    worker = create_user(role="worker")
    given, family = f"Canarygiven{secrets.token_hex(4)}", f"Canaryfamily{secrets.token_hex(4)}"
    referral = create_referral(
        state=State.COMPLETED,
        court=court,
        worker=worker,
        given_name=given,
        family_name=family,
        date_of_birth=born,
        return_date=today() + timedelta(days=30),
    )
    notice = db.session.scalars(select(OutcomeNotice).where(OutcomeNotice.referral_id == referral.id)).one()
    return Case(referral, notice, given, family, court, worker)


def withdraw_sharing(case: Case) -> None:
    record_consent(case.referral, "share_with_court_cps", False, case.worker)


def partner(role: str, case: Case) -> User:
    return create_user(role=role, court=case.court if role == "court" else None)


def web_pages(client: FlaskClient, case: Case, role: str) -> dict[str, str]:
    """Every page a partner (or a manager) reads her case on, as text; the PDF letter's text too."""
    pages = {
        "court_day": f"/court-day?date={case.referral.return_date.isoformat()}",
        "status": f"/cases/{case.referral.id}/status",
        "status_list": "/statuses",
        "inbox": "/notices",
        "notice": f"/notices/{case.notice.id}",
    }
    if role == "cps":
        pages["acknowledge"] = f"/notices/{case.notice.id}/acknowledge"
    texts = {}
    for name, path in pages.items():
        response = client.get(path)
        assert response.status_code == 200, (name, response.status_code)
        texts[name] = response.get_data(as_text=True)
    letter = client.get(f"/notices/{case.notice.id}/letter.pdf")
    assert letter.mimetype == "application/pdf"
    # Lines of the letter wrap where they will: compare its words, one space apart.
    texts["letter"] = " ".join(
        " ".join(page.extract_text() for page in PdfReader(io.BytesIO(letter.data)).pages).split()
    )
    return texts


def api_get(client: FlaskClient, token: str, path: str, search: dict[str, str] | None = None) -> Any:
    """A GET, or with ``search`` the search by POST (her identity never goes in an address)."""
    headers = {"Authorization": f"Bearer {token}"}
    if search is not None:
        response = client.post("/api/v1" + path, json=search, headers=headers)
    else:
        response = client.get("/api/v1" + path, headers=headers)
    assert response.status_code == 200, (path, response.get_data(as_text=True)[:400])
    return response


def api_answers(client: FlaskClient, token: str, case: Case) -> dict[str, Any]:
    """Every API answer naming her case: the case, the lists (by URN, by name and date of birth) and the notices."""
    paths = {
        "referral": f"/referrals/{case.referral.id}",
        "list": "/referrals",
        "notices": "/notices",
    }
    answers = {name: api_get(client, token, path) for name, path in paths.items()}
    answers["by_urn"] = api_get(client, token, "/referrals/search", {"urn": case.urn})
    answers["by_name"] = api_get(
        client, token, "/referrals/search", {"family_name": case.family, "date_of_birth": BORN.isoformat()}
    )
    return answers


def validator(schema: str) -> Draft202012Validator:
    schemas = DOCUMENT["components"]["schemas"]
    return Draft202012Validator({"components": {"schemas": schemas}, **schemas[schema]})


def assert_no_canary(text: str, case: Case, where: str) -> None:
    for canary in case.canaries:
        assert canary.lower() not in text.lower(), (where, canary)


# --- the partner views ---


@pytest.mark.parametrize("role", ["court", "cps"])
def test_partner_pages_show_her_identity_until_she_withdraws_sharing_and_never_after(client, app_ctx, role) -> None:
    case = completed_case()
    # Another woman at the same court, returning the same day, who has not withdrawn.
    control = completed_case(case.court, born=date(1990, 5, 17))
    log_in_as(client, partner(role, case))
    before = web_pages(client, case, role)
    for name, text in before.items():
        assert case.family in text, name
    assert any(form in before["status"] for form in BORN_FORMS)

    withdraw_sharing(case)
    after = web_pages(client, case, role)
    for name, text in after.items():
        assert_no_canary(text, case, name)
    for name in ("court_day", "status", "status_list", "notice", "letter"):
        assert WITHHELD_TEXT in after[name], name
    # What they keep: the URN, the court, the state and outcome, and the notice itself.
    for name in ("court_day", "status", "status_list", "inbox", "notice", "letter"):
        assert case.urn in after[name], name
    assert "Completed" in after["status"]
    assert "completed the diversion scheme" in after["notice"]
    assert "completed the diversion scheme" in after["letter"]
    # Only her case: the other woman's name is still shown.
    for name in ("court_day", "status_list", "inbox"):
        assert control.family in after[name], name


@pytest.mark.parametrize("role", ["manager", "worker"])
def test_support_staff_still_see_her_identity_after_she_withdraws_sharing(client, app_ctx, role) -> None:
    case = completed_case()
    withdraw_sharing(case)
    log_in_as(client, create_user(role=role))
    paths = [
        f"/court-day?date={case.referral.return_date.isoformat()}",
        f"/cases/{case.referral.id}/status",
        "/statuses",
    ]
    if role == "manager":
        paths += ["/notices", f"/notices/{case.notice.id}"]
    else:
        paths.append(f"/cases/{case.referral.id}")
    for path in paths:
        html = client.get(path).get_data(as_text=True)
        assert case.family in html, path
        assert WITHHELD_TEXT not in html, path
    assert "29 July 1983" in client.get(f"/cases/{case.referral.id}/status").get_data(as_text=True)


def test_the_cps_can_still_act_on_the_notice_by_urn_after_withdrawal(client, app_ctx) -> None:
    case = completed_case()
    withdraw_sharing(case)
    log_in_as(client, partner("cps", case))
    path = f"/notices/{case.notice.id}/acknowledge"
    day = today()
    form = {
        "decision": "discontinued",
        "decided_on-day": day.day,
        "decided_on-month": day.month,
        "decided_on-year": day.year,
        "csrf_token": csrf_token(client, path),
    }
    assert client.post(path, data=form).status_code == 302
    shown = client.get(f"/notices/{case.notice.id}").get_data(as_text=True)
    assert "Discontinued on" in shown
    assert case.urn in shown
    assert_no_canary(shown, case, "acknowledged notice")


# --- the API ---


@pytest.mark.parametrize("role", ["court", "cps"])
def test_api_answers_withhold_her_identity_from_court_and_cps(client, app_ctx, role) -> None:
    case = completed_case()
    token = create_api_token(partner(role, case))
    before = api_answers(client, token, case)
    for name, response in before.items():
        assert case.family in response.get_data(as_text=True), name
    assert before["referral"].get_json()["client"]["date_of_birth"] == BORN.isoformat()

    withdraw_sharing(case)
    after = api_answers(client, token, case)
    for name, response in after.items():
        assert_no_canary(response.get_data(as_text=True), case, name)
    # A search by her name and date of birth no longer finds the case for them.
    assert after["by_name"].get_json()["items"] == []
    body = after["referral"].get_json()
    assert body["client"] == {
        "id": None,
        "given_name": None,
        "family_name": None,
        "date_of_birth": None,
        "identity_withheld": True,
    }
    assert (body["urn"], body["court"], body["state"]) == (case.urn, case.court.code, "COMPLETED")
    assert body["outcome_date"] == case.referral.outcome_date.isoformat()
    assert not list(validator("CaseStatus").iter_errors(body))
    (listed,) = after["by_urn"].get_json()["items"]
    assert listed["client"]["identity_withheld"] is True
    assert not list(validator("CaseList").iter_errors(after["by_urn"].get_json()))
    (notice,) = [item for item in after["notices"].get_json()["items"] if item["id"] == str(case.notice.id)]
    assert notice["identity_withheld"] is True
    assert (notice["urn"], notice["outcome"], notice["given_name"]) == (case.urn, "completed", None)
    assert not list(validator("NoticeList").iter_errors(after["notices"].get_json()))


def test_the_cps_decision_answer_withholds_her_identity_too(client, app_ctx) -> None:
    case = completed_case()
    withdraw_sharing(case)
    token = create_api_token(partner("cps", case))
    response = client.post(
        f"/api/v1/notices/{case.notice.id}/acknowledge",
        json={"decision": "discontinued", "decided_on": today().isoformat()},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["decision"], body["identity_withheld"], body["family_name"]) == ("discontinued", True, None)
    assert_no_canary(response.get_data(as_text=True), case, "acknowledge")
    acknowledged = api_get(client, token, "/notices?status=acknowledged")
    assert_no_canary(acknowledged.get_data(as_text=True), case, "acknowledged list")


@pytest.mark.parametrize("role", ["manager", "worker"])
def test_api_answers_for_support_staff_keep_her_identity(client, app_ctx, role) -> None:
    case = completed_case()
    withdraw_sharing(case)
    token = create_api_token(create_user(role=role))
    body = api_get(client, token, f"/referrals/{case.referral.id}").get_json()
    assert (body["client"]["family_name"], body["client"]["date_of_birth"]) == (case.family, BORN.isoformat())
    assert "identity_withheld" not in body["client"]
    assert body["consents"]["share_with_court_cps"] is False
    listed = api_get(
        client, token, "/referrals/search", {"family_name": case.family, "date_of_birth": BORN.isoformat()}
    )
    assert [item["id"] for item in listed.get_json()["items"]] == [str(case.referral.id)]
    if role == "manager":
        notices = api_get(client, token, "/notices").get_data(as_text=True)
        assert case.family in notices


# --- emails to partners ---


def test_partner_emails_never_carry_her_identity_before_or_after_withdrawal(client, app_ctx) -> None:
    court = create_court()
    partners = [create_user(role="court", court=court), create_user(role="cps")]
    for user in partners:
        set_notice_emails(user, True)
    worker = create_user(role="worker")
    given, family = f"Canarygiven{secrets.token_hex(4)}", f"Canaryfamily{secrets.token_hex(4)}"
    referral = create_referral(
        state=State.OPTED_IN, court=court, worker=worker, given_name=given, family_name=family, date_of_birth=BORN
    )
    # Withdrawing sharing on an open case withdraws her from diversion: the notice is made and partners emailed.
    record_consent(referral, "share_with_court_cps", False, worker)
    assert referral.state == State.WITHDRAWN
    emails = list(db.session.scalars(select(StaffMessage).where(StaffMessage.kind == "notice_email")))
    assert sorted(str(email.recipient) for email in emails) == sorted(user.email for user in partners)
    notice = db.session.scalars(select(OutcomeNotice).where(OutcomeNotice.referral_id == referral.id)).one()
    for email in emails:
        text = f"{email.subject}\n{email.body}"
        assert f"/notices/{notice.id}" in text
        for canary in (given, family, *BORN_FORMS):
            assert canary.lower() not in text.lower()
    # The link leads to the notice with her identity withheld.
    log_in_as(client, partners[1])
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert WITHHELD_TEXT in page
    assert family not in page


# --- the consent ledger after a final state ---


def test_withdrawing_sharing_after_the_notice_is_recorded_audited_and_keeps_the_state(app_ctx) -> None:
    case = completed_case()
    assert shares_with_partners(case.referral)
    mark = last_audit_id()
    withdraw_sharing(case)
    db.session.refresh(case.referral)
    assert case.referral.state == State.COMPLETED
    assert not shares_with_partners(case.referral)
    lines = list(db.session.scalars(select(Consent).where(Consent.referral_id == case.referral.id)))
    # In the order recorded (PostgreSQL keeps no insertion order after an UPDATE): her agreement, then the withdrawal.
    share = sorted(
        (line for line in lines if line.purpose == "share_with_court_cps"),
        key=lambda line: (line.recorded_at, not line.is_given),
    )
    assert [line.is_given for line in share] == [True, False]
    assert share[0].withdrawn_at is not None
    assert share[0].withdrawn_by_id == case.worker.id
    (event,) = audit_events(case_id=case.referral.id, after=mark)
    assert event.action == "consent.recorded"
    assert event.details == {"purpose": "share_with_court_cps", "given": False, "withdrawal": True}
    assert event.actor_id == case.worker.id
    # The notice stays as it was.
    db.session.refresh(case.notice)
    assert (case.notice.outcome, case.notice.referral_id) == ("completed", case.referral.id)


def test_giving_sharing_again_after_a_final_state_is_refused_and_changes_nothing(app_ctx) -> None:
    case = completed_case()
    withdraw_sharing(case)
    counts, mark = row_counts(), last_audit_id()
    with pytest.raises(InvalidTransition):
        record_consent(case.referral, "share_with_court_cps", True, case.worker)
    assert row_counts() == counts
    assert last_audit_id() == mark
    assert not shares_with_partners(case.referral)


@pytest.mark.parametrize("role", ["court", "cps"])
def test_a_partner_cannot_change_her_consent_and_a_refused_request_changes_nothing(client, app_ctx, role) -> None:
    case = completed_case()
    user = partner(role, case)
    token = create_api_token(user)
    counts, mark = row_counts(), last_audit_id()
    response = client.post(
        f"/api/v1/referrals/{case.referral.id}/consent",
        json={"purpose": "share_with_court_cps", "given": False},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 403
    log_in_as(client, user)
    form = {"share_with_court_cps": "refused", "confirmed": "yes", "csrf_token": csrf_token(client, "/court-day")}
    assert client.post(f"/cases/{case.referral.id}/consent", data=form).status_code == 403
    assert shares_with_partners(case.referral)
    counts_after = row_counts()
    # Only the session row and the sign-in differ; nothing of the case.
    assert {name: counts_after[name] for name in counts if name != "audit_events"} == {
        name: counts[name] for name in counts if name != "audit_events"
    }
    assert audit_events(case_id=case.referral.id, after=mark) == []
    assert case.family in api_get(client, token, f"/referrals/{case.referral.id}").get_data(as_text=True)


# --- equality monitoring ---


def _return_figures(scope: Scope) -> dict[str, dict[str, Any]]:
    report = returns.funder_return(Period(scope.start, scope.end), scope, suppressed=False)
    return {item.indicator.key: {cell.group: cell.value for cell in item.cells} for item in report.figures}


def _monitored(ethnicity: str, *, court: Court, worker: User, **kwargs: Any) -> Referral:
    referral = create_referral(state=State.OPTED_IN, court=court, worker=worker, **kwargs)
    record_consent(referral, "equality_monitoring", True, worker)
    equality.record_ethnicity(referral, ethnicity, worker)
    return referral


def test_withdrawing_equality_monitoring_takes_her_codes_out_of_every_report(app_ctx) -> None:
    court, worker = create_court(), create_user(role="worker")
    scope = Scope(today() - timedelta(days=1), today() + timedelta(days=1), court_id=court.id)
    hers = _monitored("asian", court=court, worker=worker, date_of_birth=date(1990, 5, 17))
    _monitored("black", court=court, worker=worker, date_of_birth=date(1960, 2, 3))
    before = _return_figures(scope)
    assert outcome_services.count("equality_monitored", scope, "ethnicity") == {"asian": 1, "black": 1}
    age_bands = outcome_services.count("equality_monitored", scope, "age_band")
    assert sum(age_bands.values()) == 2

    mark = last_audit_id()
    record_consent(hers, "equality_monitoring", False, worker)
    assert outcome_services.count("equality_monitored", scope, "ethnicity") == {"black": 1}
    assert sum(outcome_services.count("equality_monitored", scope, "age_band").values()) == 1
    after = _return_figures(scope)
    for key in EQUALITY_INDICATORS:
        assert after[key] != before[key], key
    assert after["ethnicity"].get("asian", 0) == 0
    # Every other figure is as it was.
    assert {key: value for key, value in after.items() if key not in EQUALITY_INDICATORS} == {
        key: value for key, value in before.items() if key not in EQUALITY_INDICATORS
    }
    # The stored code is cleared, and the clearing audited (the field's name, never its value).
    db.session.expire_all()
    assert db.session.get(Client, hers.client_id).ethnicity_code is None
    actions = [event.action for event in audit_events(case_id=hers.id, after=mark)]
    assert actions == ["consent.recorded", "client.equality_cleared"]
    (cleared,) = audit_events(action="client.equality_cleared", after=mark)
    assert cleared.details == {"field": "ethnicity_code", "reason": "consent_withdrawn"}
    assert "asian" not in str(cleared.details)
    # Without her consent, it cannot be recorded again.
    with pytest.raises(InvalidTransition):
        equality.record_ethnicity(hers, "asian", worker)


def test_a_withdrawal_on_her_later_case_leaves_her_out_of_the_earlier_cases_figures(app_ctx) -> None:
    court, worker = create_court(), create_user(role="worker")
    scope = Scope(today() - timedelta(days=1), today() + timedelta(days=1), court_id=court.id)
    first = _monitored("white", court=court, worker=worker)
    second = create_referral(state=State.OPTED_IN, court=court, worker=worker, link_client_id=first.client_id)
    assert sum(outcome_services.count("equality_monitored", scope, "age_band").values()) == 1
    record_consent(second, "equality_monitoring", False, worker)
    # Her consent on the first case still reads as given there, but her later "no" is hers for every case.
    assert equality.has_equality_consent(first)
    assert outcome_services.count("equality_monitored", scope, "age_band") == {}
    assert outcome_services.count("equality_monitored", scope, "ethnicity") == {}
    assert outcome_services.count("women_referred", scope)[None] == 1


def test_withdrawing_equality_monitoring_with_no_code_stored_writes_no_clearing_event(app_ctx) -> None:
    worker = create_user(role="worker")
    referral = create_referral(state=State.OPTED_IN, worker=worker)
    record_consent(referral, "equality_monitoring", True, worker)
    mark = last_audit_id()
    record_consent(referral, "equality_monitoring", False, worker)
    assert [event.action for event in audit_events(after=mark)] == ["consent.recorded"]
