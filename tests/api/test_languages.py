"""Her language, interpreter need and reading help through the API (docs/api.md, docs/languages.md): given with a
referral, answered in the record view only, unknown codes refused with a clear message, and the document agreeing."""

from __future__ import annotations

import pytest

from diversion.api.openapi import DOCUMENT
from diversion.clients.languages import LANGUAGES
from diversion.clients.models import Client
from diversion.referrals.models import Referral
from tests.api import bodies
from tests.api.conftest import count, error_of

NOTE = "Needs letters read to her; a large-print plan."
CODE_MESSAGE = "Must be an ISO 639-1 language code, like ro for Romanian"


def _create(api, body):
    response = api.post("/referrals", body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.mark.parametrize("role", ["worker", "manager"])
def test_support_staff_give_them_and_read_them_back_in_the_record(as_role, team, role: str) -> None:
    api = as_role(role)
    body = bodies.referral(
        team.court.code, client={"language": "ro", "interpreter": {"needed": True}, "reading_help": NOTE}
    )
    case = _create(api, body)
    expected = {"language": "ro", "interpreter": {"needed": True, "language": "ro"}, "reading_help": NOTE}
    assert {key: case["client"][key] for key in expected} == expected
    again = api.get(f"/referrals/{case['id']}").get_json()
    assert {key: again["client"][key] for key in expected} == expected


def test_nothing_given_reads_as_not_asked(as_role, team) -> None:
    case = _create(as_role("worker"), bodies.referral(team.court.code))
    assert case["client"]["language"] is None
    assert case["client"]["interpreter"] == {"needed": False, "language": None}
    assert case["client"]["reading_help"] is None


def test_an_interpreter_in_another_language_and_none_needed(as_role, team) -> None:
    api = as_role("worker")
    other = _create(
        api,
        bodies.referral(team.court.code, client={"language": "en", "interpreter": {"needed": True, "language": "pl"}}),
    )
    assert other["client"]["interpreter"] == {"needed": True, "language": "pl"}
    none = _create(
        api,
        bodies.referral(team.court.code, client={"language": "ro", "interpreter": {"needed": False, "language": "ro"}}),
    )
    assert none["client"]["interpreter"] == {"needed": False, "language": None}


@pytest.mark.parametrize(
    ("given", "field", "message"),
    [
        ({"language": "xx"}, "client.language", CODE_MESSAGE),
        ({"language": "RO"}, "client.language", CODE_MESSAGE),
        ({"language": "rum"}, "client.language", CODE_MESSAGE),
        ({"interpreter": {"needed": True, "language": "qq"}}, "client.interpreter.language", CODE_MESSAGE),
        (
            {"language": "en", "interpreter": {"needed": True}},
            "client.interpreter.language",
            "Select the language she needs an interpreter for",
        ),
        ({"interpreter": {"needed": True}}, "client.interpreter.language", "Select the language she needs"),
        ({"interpreter": {"language": "ro"}}, "client.interpreter.needed", None),
        ({"interpreter": {"needed": True, "language": "ro", "agency": "x"}}, "client.interpreter.agency", None),
        ({"reading_help": "x" * 501}, "client.reading_help", "Must be 500 characters or fewer"),
    ],
)
def test_what_breaks_a_rule_is_422_naming_the_field_and_changes_nothing(as_role, team, given, field, message) -> None:
    before = (count(Referral), count(Client))
    error = error_of(as_role("worker").post("/referrals", bodies.referral(team.court.code, client=given)), 422)
    assert error["code"] == "validation_error"
    assert field in error["fields"], error
    if message:
        assert error["fields"][field].startswith(message)
    assert (count(Referral), count(Client)) == before


def test_a_wrong_type_is_malformed(as_role, team) -> None:
    body = bodies.referral(team.court.code, client={"interpreter": {"needed": "yes"}})
    error = error_of(as_role("worker").post("/referrals", body), 400, "validation_error")
    assert "client.interpreter.needed" in error["fields"]


@pytest.mark.parametrize("role", ["court", "cps"])
def test_court_and_cps_answers_never_carry_them(as_role, team, role: str) -> None:
    body = bodies.referral(
        team.court.code, client={"language": "ro", "interpreter": {"needed": True}, "reading_help": NOTE}
    )
    made = as_role("court").post("/referrals", body)
    assert made.status_code == 201
    case_id = made.get_json()["id"]
    answer = as_role(role).get(f"/referrals/{case_id}")
    assert answer.status_code == 200
    text = answer.get_data(as_text=True)
    assert answer.get_json()["view"] == "status"
    assert NOTE not in text
    assert "interpreter" not in text
    assert "reading_help" not in text
    assert not {"language", "interpreter", "reading_help"} & set(answer.get_json()["client"])
    # What the court gave is on her record for support staff.
    record = as_role("worker").get(f"/referrals/{case_id}").get_json()
    assert record["client"]["reading_help"] == NOTE


def test_admin_reads_no_case(as_role, team) -> None:
    case = _create(as_role("worker"), bodies.referral(team.court.code, client={"reading_help": NOTE}))
    answer = as_role("admin").get(f"/referrals/{case['id']}")
    assert answer.status_code in (403, 404)
    assert NOTE not in answer.get_data(as_text=True)


def test_the_document_says_the_same() -> None:
    schemas = DOCUMENT["components"]["schemas"]
    assert schemas["Language"]["enum"] == [str(code) for code in LANGUAGES]
    client_input = schemas["ClientInput"]["properties"]
    assert {"language", "interpreter", "reading_help"} <= set(client_input)
    assert client_input["interpreter"]["required"] == ["needed"]
    assert client_input["reading_help"]["maxLength"] == 500
    record = schemas["ClientRecord"]
    assert {"language", "interpreter", "reading_help"} <= set(record["required"])
    assert not {"language", "interpreter", "reading_help"} & set(schemas["ClientStatus"]["properties"])
