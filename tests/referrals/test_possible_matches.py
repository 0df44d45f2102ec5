"""The worklist of court referrals that may be someone referred before, and merging her records from her case
(docs/api.md, "Someone referred before"; docs/merging.md)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from diversion.audit.models import AuditEvent
from diversion.clients.models import Client
from diversion.extensions import db
from diversion.referrals import intake
from diversion.referrals.models import Referral
from tests import pages
from tests.factories import create_court, create_referral, create_user, csrf_token, log_in_as, referral_input

BORN = date(1989, 11, 23)
WORKLIST = "/cases/possible-matches"


@pytest.fixture
def court(app_ctx):
    return create_court()


@pytest.fixture
def worker(app_ctx):
    return create_user(role="worker")


def flagged_case(court, worker, family: str = "Flaggedperson") -> tuple[Referral, Referral]:
    """An earlier case of hers, and a court user's new referral of the same family name and date of birth."""
    earlier = create_referral(state="COMPLETED", worker=worker, court=court, family_name=family, date_of_birth=BORN)
    court_user = create_user(role="court", court=court)
    data = referral_input(court=court, given_name="Sam", family_name=family.upper(), date_of_birth=BORN)
    flagged = intake.create_referral(data, court_user)
    assert flagged.possible_previous_referral is True
    assert flagged.client_id != earlier.client_id
    return earlier, flagged


def decide(client, referral: Referral, decision: str, version: int | None = None):
    prefix = str(referral.id)
    return client.post(
        f"/cases/{referral.id}/possible-match",
        data={
            f"{prefix}-csrf_token": csrf_token(client, "/cases/new"),
            f"{prefix}-decision": decision,
            f"{prefix}-version": str(referral.version if version is None else version),
        },
    )


def resolutions(referral: Referral) -> list[dict]:
    return [
        event.details
        for event in db.session.scalars(
            select(AuditEvent).where(AuditEvent.case_id == referral.id, AuditEvent.action == "referral.match_resolved")
        )
    ]


def test_support_staff_see_the_worklist_and_partners_and_admins_may_not(client, court, worker) -> None:
    earlier, _ = flagged_case(court, worker)
    log_in_as(client, worker)
    page = pages.get(client, WORKLIST)
    html = page.html
    assert "Sam FLAGGEDPERSON" in html
    assert "Earlier record: Alex Flaggedperson" in html
    assert f"/cases/{earlier.id}" in html
    values = [str(field.get("value")) for field in page.soup.find_all("input")]
    assert "different" in values
    assert str(earlier.client_id) in values
    # The caseload links to it, with how many wait.
    assert "Referrals that may be someone referred before (1)" in client.get("/cases").get_data(as_text=True)
    for role in ("court", "cps", "admin"):
        client.get("/logout")
        log_in_as(client, create_user(role=role, court=court if role == "court" else None))
        assert client.get(WORKLIST).status_code == 403


def test_a_different_person_clears_the_flag_and_is_audited(client, court, worker) -> None:
    _, flagged = flagged_case(court, worker)
    log_in_as(client, worker)
    response = decide(client, flagged, "different")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Referral, flagged.id).possible_previous_referral is False
    assert resolutions(flagged) == [{"decision": "different_person"}]
    html = client.get(WORKLIST).get_data(as_text=True)
    assert "Saved: she is a different person" in html
    assert "No referral is waiting" in html


def test_linking_her_merges_the_new_record_into_the_earlier_one(client, court, worker) -> None:
    earlier, flagged = flagged_case(court, worker)
    new_client = flagged.client_id
    log_in_as(client, worker)
    assert decide(client, flagged, str(earlier.client_id)).status_code == 302
    db.session.expire_all()
    referral = db.session.get(Referral, flagged.id)
    assert referral.client_id == earlier.client_id
    assert referral.possible_previous_referral is False
    assert referral.client.given_name == "Alex"
    assert "Sam FLAGGEDPERSON" in (referral.client.aliases or "")
    gone = db.session.get(Client, new_client)
    assert gone.merged_into_id == earlier.client_id
    assert resolutions(flagged) == [{"decision": "linked", "client": str(earlier.client_id)}]


def test_a_stale_or_already_resolved_decision_is_409_and_changes_nothing(client, court, worker) -> None:
    _, flagged = flagged_case(court, worker)
    log_in_as(client, worker)
    stale = decide(client, flagged, "different", version=flagged.version - 1 if flagged.version > 1 else 99)
    assert stale.status_code == 409
    assert "Someone else changed this case" in stale.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Referral, flagged.id).possible_previous_referral is True
    assert resolutions(flagged) == []
    assert decide(client, flagged, "different").status_code == 302
    db.session.expire_all()
    again = decide(client, db.session.get(Referral, flagged.id), "different")
    assert again.status_code == 409
    assert len(resolutions(flagged)) == 1


def test_a_decision_left_out_is_shown_on_the_worklist(client, court, worker) -> None:
    _, flagged = flagged_case(court, worker)
    log_in_as(client, worker)
    prefix = str(flagged.id)
    response = client.post(
        f"/cases/{flagged.id}/possible-match",
        data={f"{prefix}-csrf_token": csrf_token(client, "/cases/new"), f"{prefix}-version": str(flagged.version)},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Choose whether she is one of these women" in html
    assert "govuk-error-summary" in html
    assert db.session.get(Referral, flagged.id).possible_previous_referral is True


# --- the merge page ---


def merge_form(client, referral: Referral, **fields: str):
    data = {"csrf_token": csrf_token(client, f"/cases/{referral.id}/merge"), "version": str(referral.version)}
    return client.post(f"/cases/{referral.id}/merge", data={**data, **fields})


def test_two_records_are_merged_after_a_confirmation(client, court, worker) -> None:
    mine = create_referral(worker=worker, court=court, family_name="Twicerecorded", date_of_birth=BORN)
    other = create_referral(
        state="DECLINED", worker=worker, court=court, family_name="Twicerecorded", date_of_birth=BORN, new_person=True
    )
    other_client = other.client_id
    log_in_as(client, worker)
    page = pages.get(client, f"/cases/{mine.id}/merge")
    assert str(other.client_id) in [str(field.get("value")) for field in page.inputs("other")]
    assert "She has another record: merge her records" in client.get(f"/cases/{mine.id}").get_data(as_text=True)
    asked = merge_form(client, mine, other=str(other.client_id), keep="this", reason="Same woman, two records")
    assert asked.status_code == 200
    check = pages.read(asked)
    assert "Check before you merge her records" in check.text
    assert "cannot be undone" in check.text
    db.session.expire_all()
    assert db.session.get(Referral, other.id).client_id == other.client_id  # nothing yet
    carried = check.hidden_fields(check.form(f"/cases/{mine.id}/merge"))
    assert carried["other"] == str(other.client_id)
    done = client.post(f"/cases/{mine.id}/merge", data={**carried, "confirmed": "yes"})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Referral, other.id).client_id == mine.client_id
    assert db.session.get(Client, other_client).merged_into_id == mine.client_id
    assert "Her records have been merged into one." in client.get(f"/cases/{mine.id}").get_data(as_text=True)


def test_the_other_record_can_be_found_by_the_urn_of_its_case_and_kept(client, court, worker) -> None:
    mine = create_referral(worker=worker, court=court, family_name="Firstname", date_of_birth=BORN)
    other = create_referral(state="DECLINED", worker=worker, court=court, family_name="Maidenname")
    log_in_as(client, worker)
    asked = merge_form(client, mine, other_urn=str(other.urn), keep="other", reason="Her maiden name")
    check = pages.read(asked)
    assert "Check before you merge her records" in check.text
    carried = check.hidden_fields(check.form(f"/cases/{mine.id}/merge"))
    assert client.post(f"/cases/{mine.id}/merge", data={**carried, "confirmed": "yes"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Referral, mine.id).client_id == other.client_id


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"keep": "this", "reason": "x"}, "Choose the other record of hers, or enter the URN of one of its cases"),
        ({"keep": "this", "reason": "x", "other_urn": "nonsense"}, "Enter the URN in the police format"),
        ({"keep": "this", "reason": "x", "other_urn": "09/ZZ/99999/26"}, "No case has this URN"),
        ({"keep": "this", "reason": "x", "other_urn": "SELF"}, "These are the same record"),
        ({"keep": "this", "other_urn": "OTHER"}, "Enter why these are the same woman"),
    ],
)
def test_a_merge_page_sent_wrong_says_why_and_changes_nothing(client, court, worker, fields, message) -> None:
    mine = create_referral(worker=worker, court=court)
    other = create_referral(worker=worker, court=court)
    fields = {
        name: {"SELF": str(mine.urn), "OTHER": str(other.urn)}.get(value, value) for name, value in fields.items()
    }
    log_in_as(client, worker)
    response = merge_form(client, mine, **fields)
    html = response.get_data(as_text=True)
    assert "govuk-error-summary" in html
    assert message in html
    db.session.expire_all()
    assert db.session.get(Referral, other.id).client_id == other.client_id
    assert db.session.get(Client, mine.client_id).merged_into_id is None


def test_court_and_cps_users_cannot_merge(client, court, worker) -> None:
    mine = create_referral(worker=worker, court=court)
    for role in ("court", "cps"):
        log_in_as(client, create_user(role=role, court=court if role == "court" else None))
        assert client.get(f"/cases/{mine.id}/merge").status_code == 403
        client.get("/logout")
