"""The main database goes away in the middle of a signed-in session: every page is a 503 page with no traceback,
the API answers 503 in its JSON shape, a save sent meanwhile changes nothing, and the same session carries on when
the database comes back.

On PostgreSQL the app reaches the server through a TCP proxy the test cuts (open connections dropped, new ones
refused). On SQLite, the counterpart: the database file's folder is moved away and the pool's open connections are
closed, so every new connection fails to open the file, until the folder is put back.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from diversion.auth.tokens import create_api_token
from diversion.extensions import db
from diversion.referrals.models import Referral, State
from tests.factories import create_referral, create_user, csrf_token, log_in_as
from tests.test_security import LEAKS

UNAVAILABLE = "Sorry, the service is unavailable"


class SqliteOutage:
    """The SQLite file's folder moved away and back."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir()
        self.away = folder.with_name(folder.name + "-away")
        self.url = f"sqlite:///{folder / 'main.db'}"
        self.app = None

    def cut(self) -> None:
        shutil.move(self.folder, self.away)
        with self.app.app_context():
            db.engine.dispose()

    def restore(self) -> None:
        shutil.move(self.away, self.folder)


class PostgresOutage:
    """A database of the run reached through the cuttable proxy."""

    def __init__(self, proxy, database_url: str) -> None:
        self.proxy = proxy
        self.url = sa.make_url(database_url).set(host="127.0.0.1", port=proxy.port).render_as_string(False)
        self.app = None

    def cut(self) -> None:
        self.proxy.cut()

    def restore(self) -> None:
        self.proxy.restore()


@pytest.fixture
def outage(request, databases, tmp_path):
    if databases.kind == "sqlite":
        return SqliteOutage(tmp_path / "main-db")
    return PostgresOutage(request.getfixturevalue("pg_proxy"), databases.new("outage"))


def _assert_unavailable_page(response) -> None:
    html = response.get_data(as_text=True)
    assert response.status_code == 503, (response.status_code, html[:300])
    assert response.mimetype == "text/html"
    assert UNAVAILABLE in html
    assert "Anything you had saved before is safe" in html
    for leak in LEAKS:
        assert leak not in html, leak


def test_the_database_going_away_mid_session_gives_503_pages_and_the_session_recovers(committed_app, outage):
    committed = committed_app(main_url=outage.url)
    app = outage.app = committed.app
    with app.app_context():
        worker = create_user(role="worker")
        case = create_referral(worker=worker, state="OPTED_IN")
        case_id, urn = case.id, case.client.family_name
        token = create_api_token(worker)
        client = log_in_as(app.test_client(), worker)
    assert urn in client.get(f"/cases/{case_id}").get_data(as_text=True)
    form_token = csrf_token(client, f"/cases/{case_id}/withdraw")
    bearer = {"Authorization": f"Bearer {token}"}

    outage.cut()
    for path in ("/cases?tab=open", f"/cases/{case_id}", f"/cases/{case_id}/history", "/court-day", "/health"):
        _assert_unavailable_page(client.get(path))
    _assert_unavailable_page(
        client.post(
            f"/cases/{case_id}/withdraw",
            data={"reason": "Sent during the outage", "confirmed": "yes", "csrf_token": form_token},
        )
    )
    api = client.get(f"/api/v1/referrals/{case_id}", headers=bearer)
    assert api.status_code == 503
    assert api.get_json() == {"error": {"code": "unavailable", "message": UNAVAILABLE + "."}}

    outage.restore()
    page = client.get(f"/cases/{case_id}")
    assert page.status_code == 200, "the same session carries on, without signing in again"
    assert urn in page.get_data(as_text=True)
    assert client.get(f"/api/v1/referrals/{case_id}", headers=bearer).status_code == 200
    with app.app_context():
        assert db.session.get(Referral, case_id).state == State.OPTED_IN, "the save sent during the outage is lost"
    saved = client.post(
        f"/cases/{case_id}/withdraw", data={"reason": "She moved away", "confirmed": "yes", "csrf_token": form_token}
    )
    assert saved.status_code == 302
    with app.app_context():
        assert db.session.get(Referral, case_id).state == State.WITHDRAWN
