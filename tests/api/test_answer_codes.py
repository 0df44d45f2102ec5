"""Every answer the API can give is in the OpenAPI document, for the operation that gave it (docs/api.md, "Errors").

The test walks every address under /api/v1 with every method: for each documented operation it sends what makes the
app answer each way it can (no token, a bad token, each role, an unknown id, a real case, an empty body, a body that
is not JSON, a bad Idempotency-Key, a body too large, the service failing, the database down) and checks every status
it gets is one the operation documents; for every other method, that the answer is 405 with an Allow header naming
the methods the address does take, and that each operation of the address documents that 405.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from diversion.api.openapi import DOCUMENT
from diversion.auth import tokens
from diversion.documents.services import Upload, upload_document
from diversion.extensions import db
from diversion.notices.models import OutcomeNotice
from diversion.webhooks import services as webhooks
from tests.api.conftest import ROLES, case_in

PREFIX = "/api/v1"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
NO_SUCH_ID = "0b0e3a70-1111-4222-8333-944445555666"
ID_NAMES = ("referral_id", "appointment_id", "notice_id", "subscription_id", "document_id")
OPERATIONS = {
    (path, method.upper()): operation
    for path, item in DOCUMENT["paths"].items()
    for method, operation in item.items()
    if method != "parameters"
}


def _address(path: str, ids: dict[str, str]) -> str:
    return PREFIX + re.sub(r"\{(\w+)\}", lambda match: ids[match.group(1)], path)


def _send(client, method: str, url: str, *, token: str | None, body: bytes | None = None, **headers: str) -> Any:
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return client.open(
        url, method=method, data=body, headers=headers, content_type="application/json" if body else None
    )


@pytest.fixture
def ids(team) -> list[dict[str, str]]:
    """Path ids to try: none that exist, one that is not a UUID, and a real case's (an appointment booked in the
    past, and a withdrawn case's outcome notice)."""
    booked = case_in("OPTED_IN", court=team.court, worker=team.worker, appointment="booked")
    ended = case_in("WITHDRAWN", court=team.court, worker=team.worker)
    notice_id = db.session.scalar(select(OutcomeNotice.id).where(OutcomeNotice.referral_id == ended.id))
    subscription, _secret = webhooks.subscribe(team.user("cps"), "http://127.0.0.1:9/hook", ["notice.created"])
    document = upload_document(booked, "A letter", Upload(chosen=True, data=b"%PDF-1.7\n"), team.worker)
    db.session.commit()
    return [
        dict.fromkeys(ID_NAMES, NO_SUCH_ID),
        dict.fromkeys(ID_NAMES, "not-a-uuid"),
        {
            "referral_id": str(booked.id),
            "appointment_id": str(booked.test_appointment_id),
            "notice_id": str(notice_id),
            "subscription_id": str(subscription.id),
            "document_id": str(document.id),
        },
    ]


@pytest.mark.parametrize(("path", "method"), sorted(OPERATIONS))
def test_every_answer_an_operation_gives_is_documented(client, team, ids, monkeypatch, path, method) -> None:
    operation = OPERATIONS[(path, method)]
    documented = {int(status) for status in operation["responses"]}
    for role in ROLES:
        team.token(role)
    seen: dict[int, str] = {}

    def record(response: Any, what: str) -> None:
        seen.setdefault(response.status_code, what)
        assert response.status_code in documented, (method, path, what, response.status_code, response.get_data())
        if response.status_code >= 400:
            assert response.get_json()["error"]["code"], (method, path, what)

    bodies = [None, b"{}", b"not json", b'{"version": 1}'] if method != "GET" else [None]
    for id_set in ids:
        url = _address(path, id_set)
        record(_send(client, method, url, token=None), "no token")
        record(_send(client, method, url, token="not-a-token"), "an unknown token")
        for role in ROLES:
            for body in bodies:
                record(_send(client, method, url, token=team.token(role), body=body), f"{role} {body!r}")
        if method == "POST":
            bad_key = {"Idempotency-Key": "é" * 3}
            record(_send(client, method, url, token=team.token("worker"), body=b"{}", **bad_key), "a bad key")
    url = _address(path, ids[-1])
    # A document's upload takes more than any other body (diversion/request_limits.py).
    limit = "UPLOAD_MAX_CONTENT_LENGTH" if operation["operationId"] == "uploadDocument" else "MAX_CONTENT_LENGTH"
    too_large = b"x" * (client.application.config[limit] + 1)
    record(_send(client, method, url, token=team.token("worker"), body=too_large), "a body too large")

    if operation.get("security") != []:
        # The token is looked up in the database first of all: the database down, or the service failing there.
        def database_down(raw: str) -> Any:
            raise OperationalError("SELECT", {}, Exception("connection refused"))

        def failing(raw: str) -> Any:
            raise RuntimeError(str(uuid.uuid4()))

        for broken, status in ((database_down, 503), (failing, 500)):
            monkeypatch.setattr(tokens, "user_for_token", broken)
            response = _send(client, method, url, token=team.token("worker"))
            assert response.status_code == status
            record(response, broken.__name__)
        monkeypatch.undo()
    # The walk reached more than the front door: refusals, and an answer past the rules where a role may act.
    assert {413} <= set(seen), (method, path, seen)
    if operation.get("security") != []:
        assert {401, 500, 503} <= set(seen), (method, path, seen)
        assert set(seen) - {401, 403, 413, 500, 503}, (method, path, seen)


@pytest.mark.parametrize("path", sorted(DOCUMENT["paths"]))
def test_another_method_on_an_address_is_a_documented_405_naming_the_methods_it_takes(client, team, path) -> None:
    taken = {method for (documented_path, method) in OPERATIONS if documented_path == path}
    url = _address(path, dict.fromkeys(ID_NAMES, NO_SUCH_ID))
    for method in set(METHODS) - taken:
        for token in (None, team.token("worker")):
            response = _send(client, method, url, token=token, body=b"{}")
            assert response.status_code == 405, (method, path)
            assert response.get_json()["error"]["code"] == "method_not_allowed"
            allowed = {name.strip() for name in response.headers["Allow"].split(",")}
            assert taken <= allowed <= taken | {"HEAD", "OPTIONS"}, (method, path, allowed)
    for method in taken:
        assert "405" in OPERATIONS[(path, method)]["responses"], (method, path)
    assert DOCUMENT["components"]["responses"]["405"]["headers"]["Allow"]["required"] is True
