"""The programme screen (docs/organisations.md, "Programmes"): a manager sees the programmes of her schemes and their
versions, and changes one; a change is a new version, audited; no change makes none; invalid input is refused with
an error summary and changes nothing; a page shown before someone else's save is refused with 409 and the two side by
side; another scheme's, or another organisation's, programme answers 404."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from diversion.extensions import db
from diversion.organisations.models import ProgrammeVersion
from diversion.organisations.services import ProgrammeChanged, current_version, new_programme_version
from diversion.referrals.models import ConsentPurpose
from diversion.referrals.programme import programme_for, scheme_programme
from diversion.referrals.wording import FIRST_WORDINGS, scheme_wordings
from tests import pages
from tests.factories import (
    audit_events,
    create_court,
    create_organisation,
    create_referral,
    create_scheme,
    create_user,
    log_in_as,
    main_scheme,
    row_counts,
)

PROGRAMME_ROWS = ("programme_versions", "consent_wordings", "audit_events")
NEW_REMINDERS = "I agree to text reminders of my appointments. A reminder never says what it is for."


@pytest.fixture
def manager(app_ctx):
    return create_user(role="manager", display_name="Mo Grant")


def edit_path(scheme) -> str:
    return f"/programmes/{scheme.id}/edit"


def shown_form(client, scheme) -> tuple[pages.Page, dict[str, Any]]:
    """The edit page and its form's answers, as a browser would send them unchanged."""
    path = edit_path(scheme)
    page = pages.get(client, path)
    form = page.form(path)
    data: dict[str, Any] = dict(page.hidden_fields(form))
    for field in form.find_all(["input", "select", "textarea"]):
        name = field.get("name")
        if not name or name in data or field.get("type") in ("hidden", "submit"):
            continue
        if field.get("type") == "radio":
            checked = page.checked(name, form)
            if checked:
                data[name] = checked[0]
            continue
        data[name] = page.value(name, form)
    return page, data


def versions(scheme) -> int:
    return int(db.session.scalar(select(func.count()).where(ProgrammeVersion.scheme_id == scheme.id)) or 0)


# --- what she sees ---


def test_a_manager_sees_the_programmes_of_her_schemes_only(client, app_ctx) -> None:
    other = create_scheme()
    create_scheme()  # of her organisation, not hers
    manager = create_user(role="manager", schemes=[main_scheme(), other])
    log_in_as(client, manager)
    page = pages.get(client, "/programmes")
    rows = page.table_rows()
    assert sorted(row[0] for row in rows) == sorted([main_scheme().name, other.name])
    assert all(row[1] == "1" for row in rows)
    assert ("Programmes", "/programmes") in page.links(".govuk-service-navigation")


def test_the_programme_page_shows_its_settings_and_versions(client, manager) -> None:
    scheme = main_scheme()
    new_programme_version(scheme, {"retention_years": 8}, manager)
    log_in_as(client, manager)
    page = pages.get(client, f"/programmes/{scheme.id}")
    assert page.text_of("h1") == "Programme: version 2"
    summary = page.summary_list("#programme-settings")
    assert summary["Appointments"] == "Needs assessment Care Action Plan"
    assert summary["Deadline"] == "Every appointment before her return date at court"
    assert summary["At risk"] == "A return date within 5 working days"
    assert summary["Reminders"] == "the day before at 10am; 2 hours before"
    assert summary["Retention"] == "8 years after her last case ends"
    wordings = page.summary_list("#programme-wordings")
    assert (
        wordings["Support from the diversion scheme"]
        == f"{FIRST_WORDINGS[ConsentPurpose.SUPPORT]} (wording version 2026-1)"
    )
    history = page.table_rows()
    assert [row[0] for row in history] == ["Version 2", "Version 1"]
    assert history[0][2] == "Mo Grant"
    assert history[1][2] == "Not recorded"
    first = pages.get(client, page.link("Version 1"))
    assert first.text_of("h1") == "Programme: version 1"
    assert first.summary_list("#programme-settings")["Retention"] == "6 years after her last case ends"
    assert "Version 2 has replaced it for new cases" in first.text
    pages.get(client, f"/programmes/{scheme.id}/versions/3", status=404)


def test_the_form_shows_the_current_programme(client, manager) -> None:
    log_in_as(client, manager)
    _, data = shown_form(client, main_scheme())
    assert data["version"] == "1"
    assert data["name"] == "Court diversion"
    assert (data["appointments"], data["step_1"], data["step_2"]) == ("2", "assessment", "care_plan")
    assert "step_3" not in data
    assert (data["deadline"], data["at_risk_working_days"]) == ("before_return_date", "5")
    assert (data["reminder_lead_times"], data["retention_years"]) == ("1d@10:00, 2h", "6")
    assert data["wording_support"] == FIRST_WORDINGS[ConsentPurpose.SUPPORT]


# --- saving ---


def test_saving_a_change_makes_a_new_version_audited(client, manager) -> None:
    scheme = main_scheme()
    before = create_referral(state="OPTED_IN")
    log_in_as(client, manager)
    _, data = shown_form(client, scheme)
    data.update(
        appointments="3",
        step_2="attendance",
        step_3="care_plan",
        at_risk_working_days="3",
        reminder_lead_times="2d@18:00; 90m",
        retention_years="8",
        wording_reminders=NEW_REMINDERS,
    )
    response = client.post(edit_path(scheme), data=data)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/programmes/{scheme.id}")
    page = pages.get(client, f"/programmes/{scheme.id}")
    assert "Version 2 of the programme is saved" in page.text
    saved = scheme_programme(scheme.id)
    assert [step.produces for step in saved.steps] == ["assessment", None, "care_plan"]
    assert (saved.at_risk_working_days, saved.reminder_lead_times, saved.retention_years) == (3, ("2d@18:00", "90m"), 8)
    wordings = scheme_wordings(scheme.id)
    assert (wordings[ConsentPurpose.REMINDERS].text, wordings[ConsentPurpose.REMINDERS].version) == (
        NEW_REMINDERS,
        "2026-2",
    )
    assert wordings[ConsentPurpose.SUPPORT].version == "2026-1"
    [event] = audit_events(action="programme.changed")
    assert (event.actor_id, event.object_type, event.object_id) == (manager.id, "scheme", str(scheme.id))
    assert event.details == {
        "version": 2,
        "replaces": 1,
        "changed": [
            "steps",
            "at_risk_working_days",
            "reminder_lead_times",
            "retention_years",
            "consent_wordings",
        ],
    }
    [published] = audit_events(action="consent_wording.published")
    assert published.details["purpose"] == "reminders"
    # The case already started keeps its version; a case taken now follows the new one.
    assert programme_for(before).required_appointments == 2
    assert programme_for(create_referral()).required_appointments == 3


def test_saving_with_no_change_makes_no_version(client, manager) -> None:
    scheme = main_scheme()
    log_in_as(client, manager)
    _, data = shown_form(client, scheme)
    before = row_counts(tables=PROGRAMME_ROWS)
    response = client.post(edit_path(scheme), data=data, follow_redirects=True)
    assert response.status_code == 200
    assert "Nothing was changed, so no new version was saved." in pages.read(response).text
    assert versions(scheme) == 1
    assert audit_events(action="programme.changed") == []
    counts = row_counts(tables=PROGRAMME_ROWS)
    assert counts["programme_versions"] == before["programme_versions"]
    assert counts["consent_wordings"] == before["consent_wordings"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": " "}, "name", "Enter the programme's name"),
        ({"appointments": "0"}, "appointments", "whole number from 1 to 10"),
        ({"appointments": "eleven"}, "appointments", "whole number from 1 to 10"),
        ({"step_1": "care_plan", "step_2": "attendance"}, "step_1", "Appointment 1 must produce the needs assessment"),
        ({"step_2": "assessment"}, "step_2", "Only appointment 1 produces the needs assessment"),
        ({"step_2": ""}, "step_2", "Choose what appointment 2 produces"),
        ({"appointments": "3", "step_3": "care_plan"}, "step_3", "Only one appointment produces the Care Action Plan"),
        ({"deadline": "within_28_days"}, "deadline", "Not a valid choice"),
        ({"at_risk_working_days": "0"}, "at_risk_working_days", "from 1 to 30"),
        ({"at_risk_working_days": "5.5"}, "at_risk_working_days", "from 1 to 30"),
        ({"reminder_lead_times": "tomorrow"}, "reminder_lead_times", "like 1d@10:00, 2h or 90m"),
        ({"reminder_lead_times": "2h, 2h"}, "reminder_lead_times", "once"),
        ({"reminder_lead_times": "1h, 2h, 3h, 4h, 5h, 6h"}, "reminder_lead_times", "at most 5"),
        ({"retention_years": "0"}, "retention_years", "from 1 to 25"),
        ({"retention_years": "100"}, "retention_years", "from 1 to 25"),
        ({"wording_support": "  "}, "wording_support", "Enter the wording she is read"),
        ({"wording_reminders": "x" * 2001}, "wording_reminders", "2,000 characters or fewer"),
    ],
)
def test_invalid_input_gets_an_error_summary_and_changes_nothing(client, manager, changes, field, message) -> None:
    scheme = main_scheme()
    log_in_as(client, manager)
    _, data = shown_form(client, scheme)
    data.update(changes)
    before = row_counts(tables=PROGRAMME_ROWS)
    response = client.post(edit_path(scheme), data=data)
    assert response.status_code == 422
    page = pages.read(response)
    assert page.title.startswith("Error: ")
    assert message in page.errors[field]
    assert f"#{field}" in page.error_summary_links
    assert row_counts(tables=PROGRAMME_ROWS) == before
    assert current_version(scheme.id).number == 1


def test_more_appointments_ask_what_each_new_one_produces(client, manager) -> None:
    scheme = main_scheme()
    log_in_as(client, manager)
    _, data = shown_form(client, scheme)
    response = client.post(edit_path(scheme), data={**data, "appointments": "3"})
    assert response.status_code == 422
    page = pages.read(response)
    assert page.error_summary == ["Choose what appointment 3 produces"]
    assert page.selected("step_2") == ["care_plan"], "what she chose stays"
    assert page.inputs("step_3")
    data = {**data, "appointments": "3", "step_2": "attendance", "step_3": "care_plan"}
    assert client.post(edit_path(scheme), data=data).status_code == 302
    assert scheme_programme(scheme.id).required_appointments == 3


def test_fewer_appointments_are_checked_before_they_are_saved(client, manager) -> None:
    scheme = main_scheme()
    log_in_as(client, manager)
    _, data = shown_form(client, scheme)
    response = client.post(edit_path(scheme), data={**data, "appointments": "1"})
    assert response.status_code == 422
    page = pages.read(response)
    assert page.errors["appointments"].startswith("You changed the number of appointments to 1")
    assert not page.inputs("step_2"), "the page shows the one appointment that stays"
    data = {name: value for name, value in data.items() if name != "step_2"}
    assert client.post(edit_path(scheme), data={**data, "appointments": "1"}).status_code == 302
    assert scheme_programme(scheme.id).required_appointments == 1


# --- a stale page ---


def test_a_page_shown_before_another_save_is_refused_with_409_and_both_side_by_side(client, manager) -> None:
    scheme = main_scheme()
    log_in_as(client, manager)
    _, data = shown_form(client, scheme)
    # Another manager saves while she is changing it.
    new_programme_version(scheme, {"retention_years": 7}, create_user(role="manager"))
    data["at_risk_working_days"] = "3"
    before = row_counts(tables=PROGRAMME_ROWS)
    response = client.post(edit_path(scheme), data=data)
    assert response.status_code == 409
    page = pages.read(response)
    assert page.error_summary[0].startswith("Someone else saved a new version of this programme")
    assert page.value("resolved") == "2"
    assert page.value("version") == "1", "the form keeps the version she started from"
    assert page.value("at_risk_working_days") == "3", "her answers stay on the page"
    rows = {row[0].split(" Different")[0]: row[1:] for row in page.table_rows(".app-conflict__table")}
    assert rows["At-risk working days"] == ["3", "5"]
    assert rows["Retention period, in years"] == ["6", "7"]
    assert row_counts(tables=PROGRAMME_ROWS) == before
    # Sent again without a choice for each difference: refused, naming each.
    token = page.csrf_token
    again = {**data, "csrf_token": token, "resolved": "2"}
    refused = client.post(edit_path(scheme), data=again)
    assert refused.status_code == 409
    refused_page = pages.read(refused)
    assert "Choose which answer to keep for at-risk working days" in refused_page.error_summary
    assert row_counts(tables=PROGRAMME_ROWS) == before
    # With a choice for each: hers for the at-risk days, the saved retention kept; saved over version 2.
    chosen = {**again, "csrf_token": refused_page.csrf_token, "keep-at_risk_working_days": "mine"}
    chosen["keep-retention_years"] = "theirs"
    assert client.post(edit_path(scheme), data=chosen).status_code == 302
    saved = scheme_programme(scheme.id)
    assert (current_version(scheme.id).number, saved.at_risk_working_days, saved.retention_years) == (3, 3, 7)


def test_two_saves_over_the_same_version_cannot_both_be_saved(manager, monkeypatch) -> None:
    """The check of the version shown and the save are one: a save that read version 1 just before another saved
    version 2 is refused by the unique version number, however close together they were, and saves nothing."""
    from diversion.organisations import services

    scheme = main_scheme()
    read = current_version(scheme.id)
    new_programme_version(scheme, {"retention_years": 7}, create_user(role="manager"))
    before = row_counts(tables=PROGRAMME_ROWS)
    monkeypatch.setattr(services, "current_version", lambda scheme_id: read)
    with pytest.raises(ProgrammeChanged):
        services.new_programme_version(
            scheme, {"retention_years": 9}, manager, wordings={"reminders": NEW_REMINDERS}, based_on=1
        )
    monkeypatch.undo()
    assert row_counts(tables=PROGRAMME_ROWS) == before
    assert scheme_programme(scheme.id).retention_years == 7


# --- who may ---


def test_another_schemes_or_organisations_programme_answers_404(client, manager) -> None:
    mine_not = create_scheme()
    elsewhere = create_organisation()
    theirs = create_scheme(organisation=elsewhere)
    log_in_as(client, manager)
    for scheme in (mine_not, theirs):
        for path in (f"/programmes/{scheme.id}", edit_path(scheme), f"/programmes/{scheme.id}/versions/1"):
            assert client.get(path).status_code == 404, path
        token = pages.get(client, edit_path(main_scheme())).csrf_token
        before = row_counts(tables=PROGRAMME_ROWS)
        response = client.post(edit_path(scheme), data={"csrf_token": token, "version": "1", "retention_years": "9"})
        assert response.status_code == 404
        assert row_counts(tables=PROGRAMME_ROWS) == before
    # Their own manager opens it.
    log_in_as(client, create_user(role="manager", organisation=elsewhere))
    assert client.get(f"/programmes/{theirs.id}").status_code == 200


@pytest.mark.parametrize("role", ["worker", "court", "cps", "admin", "operator"])
def test_only_a_manager_may_see_or_change_a_programme(client, app_ctx, role) -> None:
    scheme = main_scheme()
    log_in_as(client, create_user(role=role))
    for path in ("/programmes", f"/programmes/{scheme.id}", edit_path(scheme)):
        assert client.get(path).status_code == 403, path
    assert client.post(edit_path(scheme), data={"retention_years": "9"}).status_code in (400, 403)
    assert versions(scheme) == 1


def test_a_scheme_with_no_court_yet_is_still_hers_to_set_up(client, app_ctx) -> None:
    """A manager of a scheme that serves no court yet sets its programme before the first case."""
    scheme = create_scheme()
    manager = create_user(role="manager", schemes=[scheme])
    log_in_as(client, manager)
    _, data = shown_form(client, scheme)
    assert client.post(edit_path(scheme), data={**data, "retention_years": "10"}).status_code == 302
    court = create_court(schemes=[scheme])
    referral = create_referral(worker=create_user(role="worker", schemes=[scheme]), court=court)
    assert programme_for(referral).retention_years == 10
