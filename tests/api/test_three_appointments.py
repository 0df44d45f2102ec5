"""A three-appointment scheme completes a case only after its third appointment, through the API: a second
organisation's Engagement and Support Order (appointment 1 the needs assessment, 2 attendance, 3 the Care Action
Plan), and a three-appointment programme whose plan is agreed at appointment 2 and whose third appointment is
attendance alone. After appointment 2 the case is not completed; after appointment 3 it is; appointment 4 is refused
with the JSON error shape, while the case is open and after it completed."""

from __future__ import annotations

from typing import Any

import pytest

from diversion.auth.tokens import create_api_token
from diversion.referrals.programme import DEFAULT_PROGRAMME, programme_with_appointments
from tests.api import bodies
from tests.api.conftest import Api, error_of
from tests.factories import create_court, create_organisation, create_scheme, create_user

ESO = programme_with_appointments("Engagement and Support Order", 3)
# The plan at appointment 2, then a third appointment she need only attend.
PLAN_AT_TWO = {
    **DEFAULT_PROGRAMME,
    "name": "Three appointments, the plan at the second",
    "steps": [
        {"number": 1, "produces": "assessment"},
        {"number": 2, "produces": "care_plan"},
        {"number": 3, "produces": None},
    ],
}


class ThreeAppointments:
    """A second organisation with a three-appointment scheme at a court of its own, its worker and the court's
    staff, each with a token."""

    def __init__(self, client: Any, settings: dict[str, Any]) -> None:
        organisation = create_organisation()
        self.scheme = create_scheme(organisation=organisation, settings=settings)
        self.court = create_court(schemes=[self.scheme])
        self.worker = Api(
            client, create_api_token(create_user(role="worker", organisation=organisation, schemes=[self.scheme]))
        )
        self.court_staff = Api(client, create_api_token(create_user(role="court", court=self.court)))


def _opted_in(api: Api, court_code: str) -> str:
    created = api.post("/referrals", bodies.referral(court_code))
    assert created.status_code == 201, created.get_json()
    case_id = created.get_json()["id"]
    for purpose in ("support", "share_with_court_cps"):
        consent = api.post(f"/referrals/{case_id}/consent", {"purpose": purpose, "given": True})
        assert consent.status_code == 201, consent.get_json()
    assert consent.get_json()["state"] == "OPTED_IN"
    return case_id


def _attend(api: Api, case_id: str, number: int, days_ago: int) -> str:
    booked = api.post(f"/referrals/{case_id}/appointments", bodies.past_booking(number, days_ago=days_ago))
    assert booked.status_code == 201, booked.get_json()
    appointment_id = booked.get_json()["id"]
    outcome = api.post(f"/appointments/{appointment_id}/outcome", {"outcome": "attended"})
    assert outcome.status_code == 200, outcome.get_json()
    return appointment_id


def _state(api: Api, case_id: str) -> str:
    return api.get(f"/referrals/{case_id}").get_json()["state"]


def _fourth_refused_while_open(api: Api, case_id: str) -> None:
    refused = api.post(f"/referrals/{case_id}/appointments", bodies.past_booking(4, days_ago=1))
    error = error_of(refused, 422, "validation_error")
    assert "1 to 3" in error["fields"]["number"]


def _fourth_refused_once_completed(api: Api, case_id: str) -> None:
    refused = api.post(f"/referrals/{case_id}/appointments", bodies.past_booking(4, days_ago=1))
    error = error_of(refused, 422, "invalid_transition")
    assert "completed" in error["message"]


def test_an_engagement_and_support_order_completes_only_after_its_third_appointment(app_ctx, client) -> None:
    eso = ThreeAppointments(client, ESO)
    api = eso.worker
    case_id = _opted_in(api, eso.court.code)

    _attend(api, case_id, 1, days_ago=5)
    saved = api.put(f"/referrals/{case_id}/assessment", bodies.assessment())
    assert saved.status_code == 200, saved.get_json()
    assert _state(api, case_id) == "ASSESSED"

    _attend(api, case_id, 2, days_ago=3)
    assert _state(api, case_id) == "ASSESSED"
    # Her agreement to the plan waits for appointment 3, which produces it; a draft of the plan may be saved.
    early = api.put(f"/referrals/{case_id}/care-plan", bodies.care_plan(agreed=True))
    assert "appointment 3" in error_of(early, 422, "invalid_transition")["message"]
    draft = api.put(f"/referrals/{case_id}/care-plan", bodies.care_plan(agreed=False))
    assert draft.status_code == 200, draft.get_json()
    assert draft.get_json()["state"] == "ASSESSED"
    assert _state(api, case_id) == "ASSESSED"
    _fourth_refused_while_open(api, case_id)

    _attend(api, case_id, 3, days_ago=1)
    assert _state(api, case_id) == "ASSESSED"
    agreed = api.put(
        f"/referrals/{case_id}/care-plan", bodies.care_plan(agreed=True, version=draft.get_json()["version"])
    )
    assert agreed.status_code == 200, agreed.get_json()
    assert agreed.get_json()["state"] == "COMPLETED"
    assert agreed.get_json()["notice_id"]

    final = api.get(f"/referrals/{case_id}").get_json()
    assert final["state"] == "COMPLETED"
    assert final["outcome_date"] is not None
    assert [(item["number"], item["outcome"]) for item in final["appointments"]] == [
        (1, "attended"),
        (2, "attended"),
        (3, "attended"),
    ]
    _fourth_refused_once_completed(api, case_id)
    # The court sees the same, as status.
    assert _state(eso.court_staff, case_id) == "COMPLETED"


def test_a_three_appointment_programme_with_the_plan_at_two_completes_when_she_attends_the_third(
    app_ctx, client
) -> None:
    scheme = ThreeAppointments(client, PLAN_AT_TWO)
    api = scheme.worker
    case_id = _opted_in(api, scheme.court.code)
    _attend(api, case_id, 1, days_ago=5)
    assert api.put(f"/referrals/{case_id}/assessment", bodies.assessment()).status_code == 200

    _attend(api, case_id, 2, days_ago=3)
    plan = api.put(f"/referrals/{case_id}/care-plan", bodies.care_plan(agreed=True))
    assert plan.status_code == 200, plan.get_json()
    assert plan.get_json()["agreed"] is True
    # Appointment 2 attended and the plan agreed: still not completed, appointment 3 remains.
    assert plan.get_json()["state"] == "ASSESSED"
    assert plan.get_json()["notice_id"] is None
    assert _state(api, case_id) == "ASSESSED"
    _fourth_refused_while_open(api, case_id)

    _attend(api, case_id, 3, days_ago=1)
    final = api.get(f"/referrals/{case_id}").get_json()
    assert final["state"] == "COMPLETED"
    assert [item["number"] for item in final["appointments"]] == [1, 2, 3]
    _fourth_refused_once_completed(api, case_id)


@pytest.mark.parametrize("settings", [ESO, PLAN_AT_TWO], ids=["eso", "plan-at-two"])
def test_appointment_3_is_booked_only_once_appointment_2_is_attended(app_ctx, client, settings) -> None:
    scheme = ThreeAppointments(client, settings)
    api = scheme.worker
    case_id = _opted_in(api, scheme.court.code)
    _attend(api, case_id, 1, days_ago=5)
    assert api.put(f"/referrals/{case_id}/assessment", bodies.assessment()).status_code == 200
    early = api.post(f"/referrals/{case_id}/appointments", bodies.past_booking(3, days_ago=1))
    assert "appointment 2" in error_of(early, 422, "invalid_transition")["message"]
    assert [item["number"] for item in api.get(f"/referrals/{case_id}").get_json()["appointments"]] == [1]
