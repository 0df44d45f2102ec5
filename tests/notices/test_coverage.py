"""Who sees which outcome notices (docs/organisations.md): a court user her court's, a CPS user those of the courts
she covers, support staff their schemes'; in the inbox, on a notice's page and in the API alike."""

from __future__ import annotations

import pytest

from diversion.auth.tokens import create_api_token
from diversion.extensions import db
from diversion.notices.models import OutcomeNotice
from diversion.notices.services import list_notices
from tests import pages
from tests.factories import create_court, create_referral, create_scheme, create_user, log_in_as, main_scheme


@pytest.fixture
def courts(app_ctx) -> dict:
    """Two courts of the main scheme and one of a second scheme of the main organisation, a withdrawn case (so a
    notice) at each."""
    second = create_scheme()
    made = {
        "covered": create_court(cps_covers=False),
        "uncovered": create_court(cps_covers=False),
        "second": create_court(schemes=[second], cps_covers=False),
    }
    worker = create_user(role="worker", schemes=[main_scheme(), second])
    notices = {}
    for name, court in made.items():
        referral = create_referral(state="WITHDRAWN", court=court, worker=worker)
        notices[name] = db.session.query(OutcomeNotice).filter_by(referral_id=referral.id).one().id
    return {"courts": made, "notices": notices, "second": second}


def _seen(client, headers=None) -> set:
    listed = client.get("/api/v1/notices", headers=headers).get_json()["items"]
    return {item["id"] for item in listed}


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("cps", {"covered"}),
        ("court", {"uncovered"}),
        ("main-manager", {"covered", "uncovered"}),
        ("second-manager", {"second"}),
    ],
)
def test_each_user_sees_the_notices_of_the_cases_she_may_see(client, courts, who: str, sees: set) -> None:
    made = courts["courts"]
    user = {
        "cps": lambda: create_user(role="cps", cps_courts=[made["covered"]]),
        "court": lambda: create_user(role="court", court=made["uncovered"]),
        "main-manager": lambda: create_user(role="manager"),
        "second-manager": lambda: create_user(role="manager", schemes=[courts["second"]]),
    }[who]()
    log_in_as(client, user)
    bearer = {"Authorization": f"Bearer {create_api_token(user)}"}
    expected = {str(courts["notices"][name]) for name in sees}
    assert _seen(client, bearer) == expected
    inbox = pages.get(client, "/notices")
    shown = {href.rsplit("/", 1)[-1] for href in inbox.hrefs() if href.startswith("/notices/")}
    assert shown == expected
    # The inbox's tab counts are of the same notices.
    assert list_notices("new", user=user).counts == {"new": len(sees), "acknowledged": 0}
    for name, notice_id in courts["notices"].items():
        status = 200 if name in sees else 404
        assert client.get(f"/notices/{notice_id}").status_code == status, (name, status)
