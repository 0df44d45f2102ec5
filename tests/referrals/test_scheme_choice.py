"""Which scheme takes a referral (docs/organisations.md, "Which scheme takes a referral"): where more than one scheme
(of hers, for support staff) serves the court, the person referring chooses, on the form and in the API; where one
does, nothing is asked."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from diversion.auth.tokens import create_api_token
from diversion.dates import today
from diversion.extensions import db
from diversion.referrals.models import Referral
from tests import pages
from tests.api.conftest import Api
from tests.factories import (
    create_court,
    create_organisation,
    create_scheme,
    create_user,
    date_fields,
    log_in_as,
    main_scheme,
    new_urn,
)

CHOOSE = "Select the scheme that takes this referral"


@pytest.fixture
def two_schemes(app_ctx) -> dict:
    """A court served by the main scheme and a second scheme of the main organisation, and another court served by
    the main scheme alone."""
    court = create_court(name="Shared Magistrates' Court")
    second = create_scheme(courts=(court,))
    only_main = create_court(name="Main Only Magistrates' Court")
    return {"court": court, "second": second, "only_main": only_main}


def referral_form(court, **overrides) -> dict:
    start = today()
    return {
        "court": court.code,
        "urn": new_urn(),
        "offence": "SOA1959_S1",
        **date_fields("first_hearing_date", start),
        **date_fields("return_date", start + timedelta(days=21)),
        "given_name": "Jade",
        "family_name": f"Schemetest{uuid.uuid4().hex[:6]}",
        **date_fields("date_of_birth", date(1992, 4, 3)),
        "may_text": "unknown",
        "may_voicemail": "unknown",
        **overrides,
    }


def api_body(court, **overrides) -> dict:
    start = today()
    return {
        "court": court.code,
        "urn": new_urn(),
        "offence": "SOA1959_S1",
        "first_hearing_date": start.isoformat(),
        "return_date": (start + timedelta(days=21)).isoformat(),
        "client": {
            "given_name": "Jade",
            "family_name": f"Schemetest{uuid.uuid4().hex[:6]}",
            "date_of_birth": "1992-04-03",
        },
        **overrides,
    }


def saved(urn: str) -> Referral:
    from diversion.referrals.urns import check_urn, urn_index_value

    return db.session.query(Referral).filter_by(urn_index=urn_index_value(check_urn(urn))).one()


# --- the web form ---


def test_a_worker_of_two_schemes_serving_the_court_is_asked_which(client, two_schemes) -> None:
    worker = create_user(role="worker", schemes=[main_scheme(), two_schemes["second"]])
    log_in_as(client, worker)
    page = pages.get(client, "/cases/new")
    assert sorted(field["value"] for field in page.inputs("scheme")) == sorted(
        [str(main_scheme().id), str(two_schemes["second"].id)]
    )
    data = referral_form(two_schemes["court"])
    refused = pages.post(client, "/cases/new", data)
    assert CHOOSE in refused.error_summary
    assert refused.error_summary_links[refused.error_summary.index(CHOOSE)] == "#scheme"
    assert refused.errors["scheme"] == CHOOSE
    assert db.session.query(Referral).count() == 0

    pages.post(client, "/cases/new", {**data, "scheme": str(two_schemes["second"].id)}, status=302)
    referral = saved(data["urn"])
    assert referral.scheme_id == two_schemes["second"].id


def test_a_worker_of_one_of_them_is_not_asked(client, two_schemes) -> None:
    worker = create_user(role="worker", schemes=[two_schemes["second"]])
    log_in_as(client, worker)
    page = pages.get(client, "/cases/new")
    assert page.inputs("scheme") == []
    # Her scheme serves only the shared court: the other court is not hers to refer from.
    assert two_schemes["only_main"].code not in [option["value"] for option in page.select("#court option")]
    data = referral_form(two_schemes["court"])
    pages.post(client, "/cases/new", data, status=302)
    assert saved(data["urn"]).scheme_id == two_schemes["second"].id


def test_a_court_user_whose_court_two_organisations_serve_chooses_between_them(client, app_ctx) -> None:
    other = create_organisation(name="Second Charity")
    theirs = create_scheme(organisation=other)
    court = create_court(schemes=[main_scheme(), theirs])
    log_in_as(client, create_user(role="court", court=court))
    page = pages.get(client, "/cases/new")
    labels = {field["value"]: page.text_of(f"label[for='{field['id']}']") for field in page.inputs("scheme")}
    assert labels == {
        str(main_scheme().id): f"{main_scheme().name} ({main_scheme().organisation.name})",
        str(theirs.id): f"{theirs.name} (Second Charity)",
    }
    data = referral_form(court)
    assert CHOOSE in pages.post(client, "/cases/new", data).error_summary
    pages.post(client, "/cases/new", {**data, "scheme": str(theirs.id)}, status=302)
    referral = saved(data["urn"])
    assert (referral.scheme_id, referral.organisation_id, referral.client.organisation_id) == (
        theirs.id,
        other.id,
        other.id,
    )


def test_one_scheme_serving_the_court_asks_nothing(client, app_ctx) -> None:
    log_in_as(client, create_user(role="worker"))
    court = create_court()
    assert pages.get(client, "/cases/new").inputs("scheme") == []
    data = referral_form(court)
    pages.post(client, "/cases/new", data, status=302)
    assert saved(data["urn"]).scheme_id == main_scheme().id


# --- the API ---


@pytest.fixture
def both(client, two_schemes) -> Api:
    worker = create_user(role="worker", schemes=[main_scheme(), two_schemes["second"]])
    return Api(client, create_api_token(worker))


def test_the_api_asks_for_the_scheme_where_two_serve_the_court(both, two_schemes) -> None:
    body = api_body(two_schemes["court"])
    refused = both.post("/referrals", body)
    assert refused.status_code == 422
    assert refused.get_json()["error"]["fields"] == {"scheme": CHOOSE}
    assert db.session.query(Referral).count() == 0

    made = both.post("/referrals", {**body, "scheme": str(two_schemes["second"].id)})
    assert made.status_code == 201, made.get_json()
    assert saved(body["urn"]).scheme_id == two_schemes["second"].id


def test_the_api_takes_the_scheme_by_its_short_name(both, two_schemes) -> None:
    body = api_body(two_schemes["court"], scheme=main_scheme().slug)
    assert both.post("/referrals", body).status_code == 201
    assert saved(body["urn"]).scheme_id == main_scheme().id


def test_the_api_refuses_a_scheme_that_does_not_serve_the_court(both, two_schemes) -> None:
    body = api_body(two_schemes["only_main"], scheme=str(two_schemes["second"].id))
    refused = both.post("/referrals", body)
    assert refused.status_code == 422
    assert set(refused.get_json()["error"]["fields"]) == {"scheme"}


def test_the_api_needs_no_scheme_where_one_serves_the_court(both, two_schemes) -> None:
    body = api_body(two_schemes["only_main"])
    assert both.post("/referrals", body).status_code == 201
    assert saved(body["urn"]).scheme_id == main_scheme().id


def test_the_openapi_document_describes_the_scheme_as_optional(client, app_ctx) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    schema = document["components"]["schemas"]["ReferralInput"]
    assert "scheme" in schema["properties"]
    assert "scheme" not in schema["required"]
