"""The needs assessment: after appointment 1 is attended, all twelve domains in range, exploitation indicators and
the safeguarding flag, the move to ASSESSED, encryption at rest, and the optimistic lock (two users at once)."""

from __future__ import annotations

import json
from contextlib import contextmanager

import pytest

from diversion.assessments import services as assessment_services
from diversion.assessments.models import EXPLOITATION_INDICATORS, Assessment, AssessmentDomain, Domain
from diversion.assessments.services import DomainInput, assessment_is_complete, assessment_of, indicators_of
from diversion.assessments.services import save_assessment as save
from diversion.errors import Conflict, InvalidTransition, ValidationFailed
from diversion.extensions import db
from diversion.referrals.models import FINAL_STATES, Referral, State
from tests.factories import (
    all_domains,
    attend,
    audit_events,
    book,
    create_referral,
    create_user,
    last_audit_id,
    raw_column,
    row_counts,
)

DOMAIN_CODES = [domain.value for domain in Domain]


@pytest.fixture
def worker(app_ctx):
    return create_user(role="worker")


@pytest.fixture
def case(worker):
    """Opted in, appointment 1 attended: ready for the assessment."""
    referral = create_referral(state=State.OPTED_IN, worker=worker)
    attend(appointment=book(referral=referral, worker=worker, number=1), worker=worker)
    return referral


def refuse(error, referral, domains, worker, **kwargs):
    """Save what must be refused: the error, and nothing stored or changed."""
    counts = row_counts()
    state, flag = referral.state, referral.has_safeguarding_flag
    with pytest.raises(error) as caught:
        save(referral, domains, worker, **kwargs)
    assert row_counts() == counts
    assert (referral.state, referral.has_safeguarding_flag) == (state, flag)
    return caught.value


def stored(referral: Referral) -> dict:
    """What the database holds for the case's assessment, read afresh."""
    db.session.expire_all()
    assessment = assessment_of(referral)
    return {
        "version": assessment.version,
        "domains": {row.domain: (row.need_level, row.wellbeing_score, row.notes) for row in assessment.domains},
        "risk_notes": assessment.risk_notes,
        "indicators": indicators_of(assessment),
        "flag": assessment.has_safeguarding_flag,
    }


# --- when ---


def test_refused_before_appointment_1_is_attended(worker) -> None:
    referral = create_referral(state=State.OPTED_IN, worker=worker)
    error = refuse(InvalidTransition, referral, all_domains(), worker)
    assert "appointment 1" in error.message
    first = book(referral=referral, worker=worker, number=1)
    refuse(InvalidTransition, referral, all_domains(), worker)
    attend(appointment=first, worker=worker, outcome="did_not_attend")
    refuse(InvalidTransition, referral, all_domains(), worker)


@pytest.mark.parametrize("state", [State.REFERRED, *sorted(FINAL_STATES - {State.COMPLETED})])
def test_refused_before_opting_in_and_after_the_case_closed(worker, state: State) -> None:
    referral = create_referral(state=state, worker=worker)
    refuse(InvalidTransition, referral, all_domains(), worker)


def test_saving_the_assessment_moves_the_case_to_assessed(case, worker) -> None:
    mark = last_audit_id()
    assessment = save(case, all_domains(need=1, score=7), worker)
    assert case.state == State.ASSESSED
    assert assessment_is_complete(case)
    assert assessment.completed_by_id == worker.id
    assert assessment.completed_at is not None
    assert assessment.version == 1
    assert [row.domain for row in assessment.domains] == DOMAIN_CODES
    assert {(row.need_level, row.wellbeing_score) for row in assessment.domains} == {(1, 7)}
    events = audit_events(after=mark)
    assert [event.action for event in events] == ["assessment.saved", "referral.state_changed"]
    assert events[0].details == {"version": 1, "safeguarding_flag": False}
    assert events[0].case_id == case.id
    assert events[1].details == {"from": "OPTED_IN", "to": "ASSESSED", "reason": "first_step_done"}


def test_string_numbers_from_a_form_are_accepted(case, worker) -> None:
    save(case, {code: DomainInput(need="3", score=" 10 ") for code in DOMAIN_CODES}, worker)
    assert {(need, score) for need, score, _ in stored(case)["domains"].values()} == {(3, 10)}


def test_the_edges_of_the_ranges_are_accepted(case, worker) -> None:
    domains = all_domains()
    domains["accommodation"] = DomainInput(need=0, score=1)
    domains["drugs"] = DomainInput(need=3, score=10)
    save(case, domains, worker)
    assert stored(case)["domains"]["accommodation"][:2] == (0, 1)
    assert stored(case)["domains"]["drugs"][:2] == (3, 10)


# --- all twelve domains, in range ---


@pytest.mark.parametrize("code", DOMAIN_CODES)
def test_each_missing_domain_is_reported_by_its_field_path(case, worker, code: str) -> None:
    domains = all_domains()
    del domains[code]
    error = refuse(ValidationFailed, case, domains, worker)
    assert set(error.fields) == {f"domains.{code}.need"}


def test_an_empty_assessment_reports_every_domain(case, worker) -> None:
    error = refuse(ValidationFailed, case, {}, worker)
    assert set(error.fields) == {f"domains.{code}.need" for code in DOMAIN_CODES}


BAD_NEEDS = [-1, 4, "4", "3.5", 3.5, 2.0, True, False, None, "", "two", [2]]
BAD_SCORES = [0, 11, "11", "3.5", 7.5, 5.0, True, False, None, "", "ten", {"score": 5}]


@pytest.mark.parametrize("need", BAD_NEEDS, ids=repr)
def test_a_need_outside_0_to_3_is_reported_by_its_field_path_in_every_domain(case, worker, need) -> None:
    for code in DOMAIN_CODES:
        domains = all_domains()
        domains[code] = DomainInput(need=need, score=5)
        error = refuse(ValidationFailed, case, domains, worker)
        assert set(error.fields) == {f"domains.{code}.need"}, code


@pytest.mark.parametrize("score", BAD_SCORES, ids=repr)
def test_a_score_outside_1_to_10_is_reported_by_its_field_path_in_every_domain(case, worker, score) -> None:
    for code in DOMAIN_CODES:
        domains = all_domains()
        domains[code] = DomainInput(need=2, score=score)
        error = refuse(ValidationFailed, case, domains, worker)
        assert set(error.fields) == {f"domains.{code}.score"}, code


def test_both_fields_of_a_domain_are_reported(case, worker) -> None:
    domains = all_domains()
    domains["safety"] = DomainInput(need=9, score=0)
    error = refuse(ValidationFailed, case, domains, worker)
    assert set(error.fields) == {"domains.safety.need", "domains.safety.score"}


def test_an_unknown_domain_is_refused(case, worker) -> None:
    domains = all_domains()
    domains["astrology"] = DomainInput(need=1, score=5)
    error = refuse(ValidationFailed, case, domains, worker)
    assert set(error.fields) == {"domains"}


def test_notes_are_bounded(case, worker) -> None:
    domains = all_domains()
    domains["family"] = DomainInput(need=1, score=5, notes="x" * 2001)
    error = refuse(ValidationFailed, case, domains, worker, risk_notes="y" * 2001)
    assert set(error.fields) == {"domains.family.notes", "risk_notes"}


# --- exploitation indicators and the safeguarding flag ---


@pytest.mark.parametrize("indicators", [["not_an_indicator"], ["threats", "made_up"], ["THREATS"]])
def test_unknown_exploitation_indicators_are_refused(case, worker, indicators: list[str]) -> None:
    error = refuse(ValidationFailed, case, all_domains(), worker, indicators=indicators)
    assert set(error.fields) == {"exploitation_indicators"}


@pytest.mark.parametrize("indicator", sorted(EXPLOITATION_INDICATORS))
def test_any_indicator_sets_the_safeguarding_flag_on_the_assessment_and_the_case(case, worker, indicator) -> None:
    mark = last_audit_id()
    assessment = save(case, all_domains(), worker, indicators=[indicator, indicator])
    assert assessment.has_safeguarding_flag
    assert case.has_safeguarding_flag
    assert indicators_of(assessment) == [indicator]
    assert audit_events(after=mark, action="assessment.saved")[0].details["safeguarding_flag"] is True


def test_no_indicator_no_flag(case, worker) -> None:
    assessment = save(case, all_domains(), worker, indicators=[])
    assert not assessment.has_safeguarding_flag
    assert not case.has_safeguarding_flag


# --- encryption at rest ---


def test_domain_notes_risk_notes_and_indicators_are_stored_encrypted(case, worker) -> None:
    domains = all_domains()
    domains["drugs"] = DomainInput(need=3, score=2, notes="Injecting heroin daily")
    assessment = save(case, domains, worker, risk_notes="Boyfriend takes her earnings", indicators=["controlled_money"])
    row = next(row for row in assessment.domains if row.domain == "drugs")
    for model, column, row_id, plaintext in [
        (AssessmentDomain, "notes", row.id, b"heroin"),
        (Assessment, "risk_notes", assessment.id, b"earnings"),
        (Assessment, "exploitation_indicators", assessment.id, b"controlled_money"),
    ]:
        value = raw_column(model=model, column=column, row_id=row_id)
        assert isinstance(value, bytes)
        assert plaintext not in value, column
    assert stored(case)["domains"]["drugs"] == (3, 2, "Injecting heroin daily")
    assert stored(case)["risk_notes"] == "Boyfriend takes her earnings"
    assert json.loads(assessment_of(case).exploitation_indicators) == ["controlled_money"]


# --- the optimistic lock ---


def test_an_edit_names_the_version_it_read(case, worker) -> None:
    save(case, all_domains(need=1), worker)
    assessment = save(case, all_domains(need=2), worker, version=1)
    assert assessment.version == 2
    assert stored(case)["domains"]["safety"][0] == 2
    assert case.state == State.ASSESSED


def test_two_users_the_second_save_is_stale_and_nothing_of_the_first_is_lost(case, worker) -> None:
    colleague = create_user(role="worker")
    save(case, all_domains(need=1, score=5, notes="First draft"), worker)
    # Both open the assessment at version 1.
    read_by_both = assessment_of(case).version
    assert read_by_both == 1
    firsts = all_domains(need=3, score=2, notes="Worker's update")
    save(case, firsts, worker, risk_notes="Worker's risk notes", indicators=["threats"], version=read_by_both)
    after_first = stored(case)
    counts = row_counts()
    with pytest.raises(Conflict) as caught:
        save(
            case,
            all_domains(need=0, score=9, notes="Colleague's update"),
            colleague,
            risk_notes="Colleague's risk notes",
            indicators=[],
            version=read_by_both,
        )
    assert caught.value.status == 409
    assert stored(case) == after_first
    assert after_first["version"] == 2
    assert set(after_first["domains"].values()) == {(3, 2, "Worker's update")}
    assert after_first["risk_notes"] == "Worker's risk notes"
    assert after_first["flag"] is True
    assert case.has_safeguarding_flag
    assert row_counts() == counts


@pytest.mark.parametrize("version", [None, 0, 2])
def test_an_edit_without_the_current_version_is_stale(case, worker, version) -> None:
    save(case, all_domains(need=1), worker)
    error = refuse(Conflict, case, all_domains(need=2), worker, version=version)
    assert error.status == 409
    assert stored(case)["version"] == 1


def interleave(monkeypatch, other_save) -> None:
    """Run another user's whole save after this one has checked its version and before it writes: the race of
    two requests at the same moment, in one connection."""
    original = assessment_services.transaction
    pending = [other_save]

    @contextmanager
    def racing():
        while pending:
            pending.pop()()
        with original() as session:
            yield session

    monkeypatch.setattr(assessment_services, "transaction", racing)


def test_two_saves_at_the_same_moment_the_second_gets_409_and_the_first_is_kept(case, worker, monkeypatch) -> None:
    colleague = create_user(role="worker")
    save(case, all_domains(need=1), worker)
    interleave(
        monkeypatch,
        lambda: save(case, all_domains(need=3, notes="Worker's update"), worker, risk_notes="Worker's", version=1),
    )
    with pytest.raises(Conflict):
        save(case, all_domains(need=0, notes="Colleague's"), colleague, risk_notes="Colleague's", version=1)
    kept = stored(case)
    assert kept["version"] == 2
    assert set(kept["domains"].values()) == {(3, 5, "Worker's update")}
    assert kept["risk_notes"] == "Worker's"


def test_two_first_saves_at_the_same_moment_the_second_gets_409(case, worker, monkeypatch) -> None:
    colleague = create_user(role="worker")
    interleave(monkeypatch, lambda: save(case, all_domains(need=3, notes="Worker's"), worker))
    with pytest.raises(Conflict):
        save(case, all_domains(need=0, notes="Colleague's"), colleague)
    kept = stored(case)
    assert kept["version"] == 1
    assert set(kept["domains"].values()) == {(3, 5, "Worker's")}
    assert db.session.query(Assessment).filter(Assessment.referral_id == case.id).count() == 1
    assert case.state == State.ASSESSED
