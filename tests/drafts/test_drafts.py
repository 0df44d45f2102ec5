"""Drafts of the long forms (docs/drafts.md): kept encrypted on the server as she types, seen only by their author,
offered back when she opens the form again (also after signing in again), gone once the form is saved, discarded or
7 days old; a new referral's draft under a key of its own, destroyed with it."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from diversion.clients.erasure import erase_client
from diversion.crypto.errors import DecryptionError
from diversion.crypto.fields import stored_key_id
from diversion.drafts.models import Draft
from diversion.extensions import db
from diversion.keyring import keystore
from diversion.keys.services import _existing_client_ids
from diversion.referrals.models import Referral, State
from tests import pages
from tests.factories import (
    attend,
    book,
    create_court,
    create_referral,
    create_user,
    csrf_token,
    date_fields,
    log_in_as,
    raw_column,
)

pytestmark = pytest.mark.clock("2026-12-01 10:00")

SECRET = "She said her partner takes her money"
JSON = {"Accept": "application/json"}


@pytest.fixture
def worker(app_ctx):
    return create_user(role="worker")


@pytest.fixture
def colleague(app_ctx):
    return create_user(role="worker")


@pytest.fixture
def case(worker):
    """Opted in, appointment 1 attended: the needs assessment is the form to fill."""
    referral = create_referral(state=State.OPTED_IN, worker=worker)
    attend(appointment=book(referral=referral, worker=worker, number=1), worker=worker)
    return referral


@pytest.fixture
def mine(client, worker):
    return log_in_as(client, worker)


def form_path(case) -> str:
    return f"/cases/{case.id}/assessment/edit"


def draft_path(case) -> str:
    return f"/drafts/assessment/{case.id}"


def typed(client, case, **fields) -> dict:
    """A half-typed assessment, as the page sends it: the CSRF token, one note, and whatever else is given."""
    return {"csrf_token": csrf_token(client, form_path(case)), "version": "", "alcohol_notes": SECRET, **fields}


def drafts_of(author=None) -> list[Draft]:
    db.session.expire_all()
    query = select(Draft)
    if author is not None:
        query = query.where(Draft.author_id == author.id)
    return list(db.session.scalars(query))


def textarea(page: pages.Page, name: str) -> str:
    """What the textarea called ``name`` holds, leading and trailing whitespace aside."""
    [field] = page.inputs(name)
    assert field.name == "textarea", f"{name} is not a textarea"
    return page.value(name).strip()


def test_autosave_keeps_her_typing_encrypted_under_her_data_key(mine, case) -> None:
    response = mine.post(draft_path(case), data=typed(mine, case, evil="not a field"), headers=JSON)
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["message"] == "Draft saved at 10am."
    assert answer["saved_at"].startswith("2026-12-01T10:00")
    assert answer["expires_at"].startswith("2026-12-08T10:00")
    (draft,) = drafts_of()
    assert (draft.kind, draft.target, draft.client_id) == ("assessment", str(case.id), case.client_id)
    # Stored as ciphertext under her data key, bound to its row: the words are not in the database.
    ciphertext = raw_column(model=Draft, column="payload", row_id=draft.id)
    assert SECRET.encode() not in ciphertext
    assert stored_key_id(draft, "payload") == "dk"
    kept = json.loads(draft.payload)["fields"]
    # The form's own fields only: no token, no one-time key, nothing the request made up.
    assert kept["alcohol_notes"] == [SECRET]
    assert "csrf_token" not in kept
    assert "evil" not in kept


def test_the_form_offers_the_draft_back_and_restores_it_only_when_asked(mine, case) -> None:
    mine.post(draft_path(case), data=typed(mine, case, drugs_score="7"), headers=JSON)
    offered = pages.get(mine, form_path(case))
    assert "You have a draft of this form" in offered.text
    assert "You last saved it at 10am on Tuesday 1 December 2026" in offered.text
    assert "kept until 10am on Tuesday 8 December 2026" in offered.text
    assert textarea(offered, "alcohol_notes") == ""  # offered, not yet put into the form
    restored = pages.get(mine, f"{form_path(case)}?draft=restore")
    assert "This form shows your draft" in restored.text
    assert textarea(restored, "alcohol_notes") == SECRET
    assert restored.selected("drugs_score") == ["7"]
    # The page autosaves to the draft's address, and has a Save draft button for use without JavaScript.
    assert restored.has(f'[data-draft-url="{draft_path(case)}"]')
    assert restored.has(f'[formaction="{draft_path(case)}"]')


def test_without_javascript_save_draft_goes_back_to_the_form_showing_the_draft(mine, case) -> None:
    response = mine.post(draft_path(case), data=typed(mine, case, save_draft="1"))
    assert response.status_code == 302
    assert response.headers["Location"] == f"{form_path(case)}?draft=restore"
    page = pages.get(mine, response.headers["Location"])
    assert "Draft saved. It is kept until 10am on Tuesday 8 December 2026 unless you save the form." in page.text
    assert textarea(page, "alcohol_notes") == SECRET
    assert SECRET not in response.headers["Location"]


def test_the_draft_is_offered_again_after_signing_in_again(app, mine, case, worker) -> None:
    mine.post(draft_path(case), data=typed(mine, case), headers=JSON)
    later = log_in_as(app.test_client(), worker)  # a new session, as after the old one timed out
    assert "You have a draft of this form" in later.get(form_path(case)).get_data(as_text=True)


def test_only_its_author_sees_a_draft(app, mine, case, colleague) -> None:
    mine.post(draft_path(case), data=typed(mine, case), headers=JSON)
    manager = log_in_as(app.test_client(), create_user(role="manager"))
    page = manager.get(form_path(case)).get_data(as_text=True)
    assert "You have a draft" not in page
    assert SECRET not in manager.get(f"{form_path(case)}?draft=restore").get_data(as_text=True)
    # Discarding is one's own draft only: the author's stays.
    manager.post(f"{draft_path(case)}/discard", data={"csrf_token": csrf_token(manager, form_path(case))})
    assert len(drafts_of()) == 1


def test_saving_the_form_uses_up_its_draft(mine, case) -> None:
    from diversion.assessments.models import Domain

    mine.post(draft_path(case), data=typed(mine, case), headers=JSON)
    data = {"csrf_token": csrf_token(mine, form_path(case)), "version": "", "risk_notes": ""}
    for domain in Domain:
        data |= {f"{domain.value}_need": "2", f"{domain.value}_score": "5", f"{domain.value}_notes": ""}
    data["alcohol_notes"] = SECRET
    saved = mine.post(form_path(case), data=data)
    assert saved.status_code == 302, saved.get_data(as_text=True)[:2000]
    assert drafts_of() == []
    assert "You have a draft" not in mine.get(form_path(case)).get_data(as_text=True)


def test_discarding_a_draft(mine, case) -> None:
    mine.post(draft_path(case), data=typed(mine, case), headers=JSON)
    response = mine.post(f"{draft_path(case)}/discard", data={"csrf_token": csrf_token(mine, form_path(case))})
    assert response.status_code == 302
    assert response.headers["Location"] == form_path(case)
    assert drafts_of() == []
    assert "Draft discarded." in mine.get(form_path(case)).get_data(as_text=True)


def test_a_draft_expires_after_seven_days(mine, case, clock, app, worker) -> None:
    mine.post(draft_path(case), data=typed(mine, case), headers=JSON)
    clock.shift(timedelta(days=6, hours=23))
    # Days later is a new session (sessions end after 30 idle minutes).
    assert "You have a draft" in log_in_as(app.test_client(), worker).get(form_path(case)).get_data(as_text=True)
    clock.shift(timedelta(hours=2))
    assert "You have a draft" not in log_in_as(app.test_client(), worker).get(form_path(case)).get_data(as_text=True)
    assert drafts_of() == []


def test_the_daily_sweep_deletes_expired_drafts_and_the_expiry_is_configurable(mine, case, clock, app) -> None:
    mine.post(draft_path(case), data=typed(mine, case), headers=JSON)
    app.config["DRAFT_EXPIRY"] = timedelta(days=2)
    try:
        mine.post(draft_path(case), data=typed(mine, case, drugs_score="3"), headers=JSON)
        (draft,) = drafts_of()
        assert draft.expires_at - draft.saved_at == timedelta(days=2)
    finally:
        app.config["DRAFT_EXPIRY"] = timedelta(days=7)
    clock.shift(timedelta(days=2, minutes=1))
    result = app.test_cli_runner().invoke(args=["cases", "sweep"])
    assert result.exit_code == 0, result.output
    assert "Drafts swept: 1 expired drafts deleted." in result.output
    assert drafts_of() == []


def test_signed_out_the_autosave_gets_401_json_and_the_button_the_sign_in_page(client, case) -> None:
    answer = client.post(draft_path(case), data={"alcohol_notes": SECRET}, headers=JSON)
    assert answer.status_code == 401
    assert answer.get_json()["error"]["code"] == "unauthorized"
    assert "Location" not in answer.headers
    button = client.post(draft_path(case), data={"alcohol_notes": SECRET})
    assert button.status_code in (302, 400)
    assert drafts_of() == []


@pytest.mark.parametrize("role", ["court", "cps", "admin"])
def test_roles_without_support_records_keep_no_drafts_of_them(app, case, role) -> None:
    other = log_in_as(app.test_client(), create_user(role=role, court=case.court if role == "court" else None))
    token = csrf_token(other, "/account") if role != "court" else csrf_token(other, "/cases/new")
    response = other.post(draft_path(case), data={"csrf_token": token, "alcohol_notes": SECRET}, headers=JSON)
    assert response.status_code == 403
    assert drafts_of() == []


def test_a_form_that_cannot_be_saved_yet_keeps_no_draft(mine, worker) -> None:
    referred = create_referral(state=State.REFERRED, worker=worker)
    token = csrf_token(mine, "/cases")
    response = mine.post(f"/drafts/assessment/{referred.id}", data={"csrf_token": token}, headers=JSON)
    assert response.status_code == 409
    assert drafts_of() == []


@pytest.mark.parametrize(
    "address",
    [
        "/drafts/nonsense/new",
        "/drafts/assessment/not-an-id",
        "/drafts/new-referral/x",
        "/drafts/plan/6d1f2c1e-0000-4000-8000-000000000000",
    ],
)
def test_unknown_forms_and_targets_are_404(mine, address) -> None:
    response = mine.post(address, data={"csrf_token": csrf_token(mine, "/cases")}, headers=JSON)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_a_draft_too_long_to_keep_is_refused(mine, case) -> None:
    response = mine.post(draft_path(case), data=typed(mine, case, risk_notes="x" * 250_000), headers=JSON)
    assert response.status_code in (413, 422)
    assert drafts_of() == []


def test_a_restored_draft_keeps_the_version_it_was_typed_against(app, mine, case, worker, colleague) -> None:
    """Her draft was typed against the form as it was: a colleague's save since then is a conflict, not overwritten."""
    from diversion.assessments.models import Domain
    from tests.factories import save_full_assessment

    save_full_assessment(case, colleague)  # version 1
    mine.post(draft_path(case), data=typed(mine, case, version="1"), headers=JSON)
    save_full_assessment(case, colleague, version=1)  # version 2, saved while her draft waited
    page = pages.get(mine, f"{form_path(case)}?draft=restore")
    assert page.value("version") == "1"
    data = {"csrf_token": csrf_token(mine, form_path(case)), "version": "1", "risk_notes": ""}
    for domain in Domain:
        data |= {f"{domain.value}_need": "1", f"{domain.value}_score": "4", f"{domain.value}_notes": ""}
    assert mine.post(form_path(case), data=data).status_code == 409


def test_erasing_her_deletes_drafts_about_her(mine, case, app, worker) -> None:
    mine.post(draft_path(case), data=typed(mine, case), headers=JSON)
    manager = create_user(role="manager")
    db.session.get(Referral, case.id).state = State.WITHDRAWN.value  # a closed case: she may be erased
    db.session.commit()
    erase_client(db.session.get(Referral, case.id).client, "erasure_request", manager)
    assert drafts_of() == []


# --- a new referral: a key of its own ---


def referral_form(court, **overrides) -> dict:
    return {
        "court": court.code,
        "urn": "01/ab/64321/26",
        "offence": "SOA1959_S1",
        **date_fields("first_hearing_date", date(2026, 11, 30)),
        **date_fields("return_date", date(2026, 12, 22)),
        "given_name": "Jade",
        "family_name": "Draftwell",
        **date_fields("date_of_birth", date(1992, 4, 3)),
        "may_text": "unknown",
        "may_voicemail": "unknown",
        **overrides,
    }


def key_state(draft_id: uuid.UUID) -> str:
    """ "live", "destroyed" or "none": the key store's row for a draft's own key."""
    table = keystore().table
    with keystore().engine.connect() as connection:
        row = connection.execute(select(table).where(table.c.client_id == str(draft_id))).first()
    if row is None:
        return "none"
    return "destroyed" if row.destroyed_at is not None else "live"


def test_a_new_referrals_draft_has_a_key_of_its_own_destroyed_when_the_referral_is_made(mine) -> None:
    court = create_court()
    token = csrf_token(mine, "/cases/new")
    response = mine.post("/drafts/new-referral", data={**referral_form(court), "csrf_token": token}, headers=JSON)
    assert response.status_code == 200
    (draft,) = drafts_of()
    draft_id = draft.id
    assert draft.client_id is None
    assert draft.key_owner == draft.id
    assert key_state(draft.id) == "live"
    assert b"Draftwell" not in raw_column(model=Draft, column="payload", row_id=draft.id)
    # Not an orphan to the key sweep while the draft lives.
    assert _existing_client_ids([str(draft.id)]) == {str(draft.id)}

    page = pages.get(mine, "/cases/new?draft=restore")
    assert page.value("family_name") == "Draftwell"
    made = mine.post("/cases/new", data={**referral_form(court), "csrf_token": csrf_token(mine, "/cases/new")})
    assert made.status_code == 302, made.get_data(as_text=True)[:2000]
    assert db.session.scalar(select(func.count()).select_from(Referral)) == 1
    assert drafts_of() == []
    assert key_state(draft_id) == "destroyed"
    with pytest.raises(DecryptionError):
        keystore().get_data_key(draft_id)


def test_a_discarded_or_expired_new_referral_draft_has_its_key_destroyed(mine, clock, app) -> None:
    court = create_court()
    token = csrf_token(mine, "/cases/new")
    mine.post("/drafts/new-referral", data={**referral_form(court), "csrf_token": token}, headers=JSON)
    first = drafts_of()[0].id
    mine.post("/drafts/new-referral/discard", data={"csrf_token": token})
    assert drafts_of() == []
    assert key_state(first) == "destroyed"

    mine.post("/drafts/new-referral", data={**referral_form(court), "csrf_token": token}, headers=JSON)
    second = drafts_of()[0].id
    clock.shift(timedelta(days=8))
    result = app.test_cli_runner().invoke(args=["cases", "sweep"])
    assert "Drafts swept: 1 expired drafts deleted." in result.output
    assert drafts_of() == []
    assert key_state(second) == "destroyed"


def test_each_form_keeps_drafts(app, mine, case, worker) -> None:
    """The plan, review and appointment-outcome forms keep drafts too, each offered back on its own page."""
    from tests.factories import save_agreed_plan, save_full_assessment

    appointment = book(referral=case, worker=worker, number=2)
    forms = {
        f"/drafts/outcome/{appointment.id}": (f"/appointments/{appointment.id}/outcome", "notes"),
    }
    save_full_assessment(case, worker)
    forms[f"/drafts/plan/{case.id}"] = (f"/cases/{case.id}/plan/edit", "notes")
    for draft_address, (page, field) in forms.items():
        token = csrf_token(mine, page)
        answer = mine.post(draft_address, data={"csrf_token": token, field: SECRET}, headers=JSON)
        assert answer.status_code == 200, (draft_address, answer.get_data(as_text=True))
        assert "You have a draft of this form" in mine.get(page).get_data(as_text=True), page
        assert SECRET in mine.get(f"{page}?draft=restore").get_data(as_text=True), page
    attend(appointment=appointment, worker=worker)
    save_agreed_plan(case, worker)
    review_page = f"/cases/{case.id}/reviews/new"
    token = csrf_token(mine, review_page)
    answer = mine.post(f"/drafts/new-review/{case.id}", data={"csrf_token": token, "notes": SECRET}, headers=JSON)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert SECRET in mine.get(f"{review_page}?draft=restore").get_data(as_text=True)
