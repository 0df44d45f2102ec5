"""Intake: the URN, the age rule, dates, court and offence, who may refer, 'referred before', encryption at rest."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from diversion.clients.contact import SafeContact
from diversion.clients.models import Client
from diversion.clients.preferences import set_quiet_hours
from diversion.clients.services import name_dob_index_value
from diversion.dates import today
from diversion.errors import Conflict, Forbidden, ValidationFailed
from diversion.extensions import db
from diversion.referrals import intake
from diversion.referrals.models import Referral, State
from diversion.referrals.urns import format_urn, urn_index_value
from tests.factories import (
    MAIN_ORG_ID,
    audit_events,
    create_court,
    create_referral,
    create_user,
    raw_column,
    referral_input,
    row_counts,
)

URN_SPELLINGS = ["01/ab/12345/26", "01AB1234526", " 01 ab 12345 26 ", "01-AB-12345-26", "01.ab.12345.26"]


def years_before(day: date, years: int) -> date:
    """The same calendar day ``years`` earlier (28 February for a 29 February that year lacks)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def refuse(data, actor, error=ValidationFailed):
    """Take a referral that must be refused: the error raised, and nothing stored."""
    before = row_counts()
    with pytest.raises(error) as caught:
        intake.create_referral(data, actor)
    assert row_counts() == before
    return caught.value


# --- the URN ---


@pytest.mark.parametrize("spelling", URN_SPELLINGS)
def test_urn_is_normalised_whatever_way_it_is_written(app_ctx, spelling: str) -> None:
    worker = create_user(role="worker")
    referral = intake.create_referral(referral_input(urn=spelling), worker)
    assert referral.urn == "01AB1234526"
    assert format_urn(referral.urn) == "01/AB/12345/26"
    assert referral.urn_index == urn_index_value("01AB1234526")


@pytest.mark.parametrize("urn", ["1/AB/12345/26", "01/A1/12345/26", "ABCDEFG", "01/AB/1234/26", "01/AB/12345/2026", ""])
def test_a_urn_not_in_the_police_shape_is_refused(app_ctx, urn: str) -> None:
    data = referral_input()
    data.urn = urn
    error = refuse(data, create_user(role="worker"))
    assert set(error.fields) == {"urn"}
    assert "01/AB/12345/26" in error.fields["urn"]
    assert error.status == 422


@pytest.mark.parametrize("state", [State.REFERRED, State.OPTED_IN, State.ASSESSED])
@pytest.mark.parametrize("spelling", URN_SPELLINGS)
def test_the_same_urn_cannot_be_referred_while_a_case_is_open(app_ctx, state: State, spelling: str) -> None:
    worker = create_user(role="worker")
    create_referral(state=state, worker=worker, urn="01/AB/12345/26")
    error = refuse(referral_input(urn=spelling), worker, Conflict)
    assert error.status == 409
    assert "urn" in error.fields


@pytest.mark.parametrize("state", [State.DECLINED, State.COMPLETED, State.WITHDRAWN, State.NOT_COMPLETED])
def test_the_same_urn_can_be_referred_again_once_the_case_is_final(app_ctx, state: State) -> None:
    worker = create_user(role="worker")
    first = create_referral(state=state, worker=worker, urn="01/AB/12345/26")
    second = intake.create_referral(referral_input(urn="01ab1234526"), worker)
    assert second.id != first.id
    assert second.state == State.REFERRED
    assert second.urn_index == first.urn_index
    assert intake.open_case_with_urn("01AB1234526", MAIN_ORG_ID).id == second.id


def test_the_database_refuses_a_second_open_case_when_two_referrals_race(app_ctx, monkeypatch) -> None:
    """Two people referring the same URN at the same moment both pass the look-up; the unique index decides."""
    worker = create_user(role="worker")
    first = create_referral(worker=worker, urn="01/AB/12345/26")
    monkeypatch.setattr(intake, "open_case_with_urn", lambda normalised, organisation_id: None)
    with pytest.raises(Conflict) as caught:
        intake.create_referral(referral_input(urn="01 AB 12345 26"), worker)
    assert caught.value.status == 409
    assert db.session.query(Referral).filter(Referral.urn_index == first.urn_index).count() == 1


# --- age ---


def test_under_18_on_the_referral_date_is_refused_with_a_safeguarding_prompt(app_ctx) -> None:
    seventeen_364 = years_before(today(), 18) + timedelta(days=1)
    error = refuse(referral_input(date_of_birth=seventeen_364), create_user(role="worker"))
    assert set(error.fields) == {"client.date_of_birth"}
    message = error.fields["client.date_of_birth"]
    assert "under 18" in message
    assert "safeguarding referral" in message
    assert error.message == message


def test_a_child_well_under_18_is_refused(app_ctx) -> None:
    error = refuse(referral_input(date_of_birth=years_before(today(), 15)), create_user(role="worker"))
    assert "safeguarding referral" in error.fields["client.date_of_birth"]


def test_exactly_18_today_is_accepted(app_ctx) -> None:
    referral = intake.create_referral(
        referral_input(date_of_birth=years_before(today(), 18)), create_user(role="worker")
    )
    assert referral.state == State.REFERRED
    assert referral.referred_on == today()


@pytest.mark.parametrize(
    ("date_of_birth", "words"),
    [(None, "Enter her date of birth"), (date(1899, 12, 31), "after 1900"), ("tomorrow", "in the past")],
)
def test_a_missing_or_impossible_date_of_birth_is_refused(app_ctx, date_of_birth, words: str) -> None:
    data = referral_input()
    data.date_of_birth = today() + timedelta(days=1) if date_of_birth == "tomorrow" else date_of_birth
    error = refuse(data, create_user(role="worker"))
    assert words in error.fields["client.date_of_birth"]


# --- dates, court, offence, names ---


@pytest.mark.parametrize("days_after_first_hearing", [0, -1, -30])
def test_a_return_date_not_after_the_first_hearing_is_refused(app_ctx, days_after_first_hearing: int) -> None:
    first = today() - timedelta(days=3)
    data = referral_input(first_hearing_date=first, return_date=first + timedelta(days=days_after_first_hearing))
    error = refuse(data, create_user(role="worker"))
    assert set(error.fields) == {"return_date"}
    assert "after the first hearing" in error.fields["return_date"]


def test_missing_dates_are_refused(app_ctx) -> None:
    data = referral_input()
    data.first_hearing_date = None
    data.return_date = None
    error = refuse(data, create_user(role="worker"))
    assert {"first_hearing_date", "return_date"} <= set(error.fields)


def test_an_unknown_court_is_refused(app_ctx) -> None:
    data = referral_input()
    data.court_code = "NO-SUCH-COURT"
    error = refuse(data, create_user(role="worker"))
    assert set(error.fields) == {"court"}


def test_an_unknown_offence_is_refused(app_ctx) -> None:
    data = referral_input()
    data.offence = "THEFT"
    error = refuse(data, create_user(role="worker"))
    assert set(error.fields) == {"offence"}


@pytest.mark.parametrize("field", ["given_name", "family_name"])
@pytest.mark.parametrize("value", ["", "   ", "x" * 101])
def test_names_are_required_and_bounded(app_ctx, field: str, value: str) -> None:
    data = referral_input()
    setattr(data, field, value)
    error = refuse(data, create_user(role="worker"))
    assert set(error.fields) == {f"client.{field}"}


def test_every_problem_is_reported_at_once_with_its_field_path(app_ctx) -> None:
    data = referral_input(urn="nonsense", given_name="", date_of_birth=years_before(today(), 10))
    data.offence = "THEFT"
    error = refuse(data, create_user(role="worker"))
    assert set(error.fields) == {"urn", "offence", "client.given_name", "client.date_of_birth"}


# --- who may refer ---


def test_court_staff_may_refer_for_their_own_court(app_ctx) -> None:
    court = create_court()
    clerk = create_user(role="court", court=court)
    referral = intake.create_referral(referral_input(court=court), clerk)
    assert referral.court_id == court.id
    assert referral.referred_by_id == clerk.id
    assert referral.assigned_worker_id is None


def test_court_staff_may_not_refer_for_another_court(app_ctx) -> None:
    clerk = create_user(role="court", court=create_court())
    error = refuse(referral_input(court=create_court()), clerk, Forbidden)
    assert error.status == 403


def test_a_worker_taking_a_referral_is_assigned_it_and_it_is_audited(app_ctx) -> None:
    worker = create_user(role="worker")
    court = create_court()
    referral = intake.create_referral(referral_input(court=court), worker)
    assert referral.assigned_worker_id == worker.id
    [event] = audit_events(case_id=referral.id)
    assert event.action == "referral.created"
    assert event.actor_id == worker.id
    assert event.details == {"court": court.code, "scheme": referral.scheme_id, "linked": False}


# --- a refused referral changes nothing ---


@pytest.mark.parametrize(
    "break_it",
    [
        lambda data: setattr(data, "urn", "ABCDEFG"),
        lambda data: setattr(data, "date_of_birth", years_before(today(), 17)),
        lambda data: setattr(data, "return_date", data.first_hearing_date),
        lambda data: setattr(data, "offence", "THEFT"),
        lambda data: setattr(data, "phone", "12345"),
        lambda data: setattr(data, "email", "not an email"),
        lambda data: setattr(data, "email", '=hyperlink("http://evil.example","x")@x.example'),
    ],
    ids=["urn", "under-18", "return-date", "offence", "phone", "email", "formula-email"],
)
def test_a_refused_referral_creates_no_client_no_referral_and_no_audit_event(app_ctx, break_it) -> None:
    worker = create_user(role="worker")
    create_referral(worker=worker)
    data = referral_input(family_name="Refusedperson")
    break_it(data)
    events_before = len(audit_events())
    refuse(data, worker)
    assert len(audit_events()) == events_before
    assert intake.matching_clients("Refusedperson", data.date_of_birth or date(1990, 5, 17), [MAIN_ORG_ID]) == []


# --- referred before: matching clients and linking ---


@pytest.mark.parametrize("typed", ["O'Brien", "obrien", "O BRIEN", "Ó'Brien", " o\u2019brien ", "o-brien"])
def test_an_earlier_client_is_offered_whatever_way_her_family_name_is_typed(app_ctx, typed: str) -> None:
    worker = create_user(role="worker")
    dob = date(1988, 3, 9)
    earlier = create_referral(state=State.COMPLETED, worker=worker, family_name="Ó'Brien", date_of_birth=dob)
    # A second record of the same name, made by saying she is someone else (docs/api.md, "Someone referred before").
    other = create_referral(
        state=State.DECLINED, worker=worker, family_name="OBrien", date_of_birth=dob, new_person=True
    )
    matches = intake.matching_clients(typed, dob, [MAIN_ORG_ID])
    by_client = {match.client.id: match for match in matches}
    assert set(by_client) == {earlier.client_id, other.client_id}
    assert (by_client[other.client_id].referrals, by_client[other.client_id].completed) == (1, 0)
    match = by_client[earlier.client_id]
    assert (match.referrals, match.completed) == (1, 1)
    assert match.last_referred_on == earlier.referred_on


def test_earlier_referrals_of_the_same_client_are_counted(app_ctx) -> None:
    worker = create_user(role="worker")
    dob = date(1985, 1, 2)
    first = create_referral(state=State.COMPLETED, worker=worker, family_name="Nguyen", date_of_birth=dob)
    create_referral(
        state=State.WITHDRAWN, worker=worker, family_name="Nguyen", date_of_birth=dob, link_client_id=first.client_id
    )
    create_referral(worker=worker, family_name="Nguyen", date_of_birth=dob, link_client_id=first.client_id)
    [match] = intake.matching_clients("NGUYEN", dob, [MAIN_ORG_ID])
    assert match.client.id == first.client_id
    assert (match.referrals, match.completed) == (3, 1)


def test_a_client_with_another_date_of_birth_is_not_offered(app_ctx) -> None:
    worker = create_user(role="worker")
    create_referral(worker=worker, family_name="Kowalska", date_of_birth=date(1990, 1, 1))
    assert intake.matching_clients("Kowalska", date(1990, 1, 2), [MAIN_ORG_ID]) == []
    assert intake.matching_clients("Kowalski", date(1990, 1, 1), [MAIN_ORG_ID]) == []
    assert len(intake.matching_clients("kowalska", date(1990, 1, 1), [MAIN_ORG_ID])) == 1


def test_linking_reuses_the_client_and_keeps_her_newest_phone(app_ctx) -> None:
    worker = create_user(role="worker")
    dob = date(1992, 7, 30)
    first = create_referral(state=State.DECLINED, worker=worker, family_name="Adeyemi", date_of_birth=dob)
    clients_before = db.session.query(Client).count()
    data = referral_input(
        family_name="Adeyemi", date_of_birth=dob, phone="07700 100456", link_client_id=first.client_id
    )
    second = intake.create_referral(data, worker)
    assert db.session.query(Client).count() == clients_before
    assert second.client_id == first.client_id
    assert db.session.get(Client, first.client_id).phone == "+447700100456"
    [event] = audit_events(case_id=second.id, action="referral.created")
    assert event.details["linked"] is True


def test_a_new_referral_of_someone_referred_before_keeps_her_quiet_hours(app_ctx) -> None:
    """Quiet hours set on the Messages page are not dropped by a later intake that left them empty; what the intake
    did answer replaces what was there."""
    worker = create_user(role="worker")
    dob = date(1992, 7, 30)
    first = create_referral(state=State.DECLINED, worker=worker, family_name="Adeyemi", date_of_birth=dob)
    set_quiet_hours(first, "21:00", "08:00", worker)
    data = referral_input(family_name="Adeyemi", date_of_birth=dob, link_client_id=first.client_id)
    data.safe_contact = SafeContact(False, None, None, "new number, texts now safe only at work")
    intake.create_referral(data, worker)
    kept = SafeContact.from_json(db.session.get(Client, first.client_id).safe_contact)
    assert str(kept.quiet_hours) == "21:00-08:00"
    assert kept.may_text is False
    assert kept.note == "new number, texts now safe only at work"


def test_a_link_to_a_client_with_another_date_of_birth_is_refused(app_ctx) -> None:
    worker = create_user(role="worker")
    first = create_referral(worker=worker, family_name="Adeyemi", date_of_birth=date(1992, 7, 30))
    data = referral_input(family_name="Adeyemi", date_of_birth=date(1992, 7, 31), link_client_id=first.client_id)
    error = refuse(data, worker)
    assert set(error.fields) == {"link_to_client"}
    assert db.session.get(Client, first.client_id).date_of_birth == date(1992, 7, 30)


def test_a_link_to_an_unknown_client_is_refused(app_ctx) -> None:
    import uuid

    error = refuse(referral_input(link_client_id=uuid.uuid4()), create_user(role="worker"))
    assert set(error.fields) == {"link_to_client"}


# --- contact details and encryption at rest ---


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("07700 100123", "+447700100123"), ("+44 7700 100123", "+447700100123"), ("020 7946 0123", "+442079460123")],
)
def test_a_uk_phone_number_is_normalised(app_ctx, typed: str, stored: str) -> None:
    referral = intake.create_referral(referral_input(phone=typed), create_user(role="worker"))
    assert referral.client.phone == stored


@pytest.mark.parametrize("typed", ["12345", "07700 1001", "not a number", "+1 202 456 1111", "+33 6 12 34 56 78"])
def test_a_phone_number_that_is_not_uk_is_refused(app_ctx, typed: str) -> None:
    error = refuse(referral_input(phone=typed), create_user(role="worker"))
    assert set(error.fields) == {"client.phone"}


def test_identity_urn_and_notes_are_not_stored_in_plaintext(app_ctx) -> None:
    worker = create_user(role="worker")
    data = referral_input(
        urn="01/AB/54321/26",
        given_name="Marguerite",
        family_name="Plaintextcheck",
        date_of_birth=date(1991, 4, 12),
        phone="07700 100789",
        notes="Disclosed a violent partner at court.",
    )
    referral = intake.create_referral(data, worker)
    db.session.expire_all()
    secrets = {
        (Referral, "urn", referral.id): [b"01AB5432126", b"54321"],
        (Referral, "notes", referral.id): [b"violent partner"],
        (Client, "given_name", referral.client_id): [b"Marguerite"],
        (Client, "family_name", referral.client_id): [b"Plaintextcheck", b"plaintextcheck"],
        (Client, "date_of_birth", referral.client_id): [b"1991-04-12", b"1991"],
        (Client, "phone", referral.client_id): [b"7700100789", b"07700 100789"],
    }
    for (model, column, row_id), plaintexts in secrets.items():
        stored = raw_column(model=model, column=column, row_id=row_id)
        assert isinstance(stored, bytes)
        assert len(stored) > 16, column
        for plaintext in plaintexts:
            assert plaintext not in stored, column
    # ...and they read back through the model.
    referral = db.session.get(Referral, referral.id)
    assert (referral.urn, referral.notes) == ("01AB5432126", "Disclosed a violent partner at court.")
    assert referral.client.family_name == "Plaintextcheck"
    assert referral.client.date_of_birth == date(1991, 4, 12)


def test_the_blind_indexes_are_set(app_ctx) -> None:
    worker = create_user(role="worker")
    referral = intake.create_referral(
        referral_input(urn="01/ab/12345/26", family_name="Índex", date_of_birth=date(1993, 2, 3)), worker
    )
    assert referral.urn_index == urn_index_value("01AB1234526")
    assert len(referral.urn_index) == 32
    stored = raw_column(model=Client, column="name_dob_index", row_id=referral.client_id)
    assert stored == name_dob_index_value("index", date(1993, 2, 3), MAIN_ORG_ID)
    assert stored == name_dob_index_value(" ÍNDEX ", date(1993, 2, 3), MAIN_ORG_ID)
    assert referral.client.birth_year_band == 1990
