"""Start-up with a database down: the app is made without connecting to either database, says which one is down on
/health/ready, keeps /health/live at 200, and serves what does not need the missing one. With the key store down,
sign-in and administration work, and a page that needs a client's key answers the GOV.UK 503 page (JSON under
/api/) instead of showing every value as "unreadable". The key store's table is made by a command, never at start-up.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from flask_migrate import upgrade

from diversion.auth.tokens import create_api_token
from diversion.db import utcnow
from diversion.extensions import db
from diversion.keyring import keystore
from tests.clock import SERVER_CLOCK_ENV, shared_clock
from tests.conftest import build_app, dispose_app
from tests.factories import PASSWORD, create_referral, create_user, csrf_token, log_in_as, sign_in
from tests.faults.conftest import closed_port
from tests.test_security import LEAKS

PROBLEM = "Sorry, there is a problem with the service"
ROOT = Path(__file__).resolve().parents[2]
CLOCK_HOOKS = Path(__file__).with_name("gunicorn_clock.py")


def _nowhere(name: str) -> str:
    """A PostgreSQL URL at a loopback port nothing listens on: connecting is refused at once."""
    return f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/{name}"


@pytest.fixture
def keystore_down(fresh_app):
    """An app on the run's main database whose key store cannot be reached."""
    return fresh_app(DIVERSION_KEYSTORE_URL=_nowhere("keys"))


def _assert_problem_page(response) -> str:
    html = response.get_data(as_text=True)
    assert response.status_code == 503, (response.status_code, html[:300])
    assert response.mimetype == "text/html"
    assert PROBLEM in html
    assert "Anything you had saved before is safe" in html
    for leak in LEAKS:
        assert leak not in html, leak
    return html


def test_the_app_starts_with_the_key_store_down_and_says_which_part_is_down(keystore_down, app_ctx) -> None:
    client = keystore_down.test_client()
    live = client.get("/health/live")
    assert live.status_code == 200
    assert live.get_json() == {"status": "ok"}
    ready = client.get("/health/ready")
    assert ready.status_code == 503
    assert ready.get_json() == {"database": "ok", "keystore": "unreachable"}
    assert client.get("/health").status_code == 200, "the main database's own check still passes"


def test_sign_in_and_administration_work_with_the_key_store_down(keystore_down, app_ctx) -> None:
    admin = create_user(role="admin")
    client = keystore_down.test_client()
    assert client.get("/sign-in").status_code == 200
    signed_in = sign_in(client, admin, PASSWORD)
    assert signed_in.status_code == 302, signed_in.get_data(as_text=True)[:300]
    for path in ("/home", "/admin/users", f"/admin/users/{admin.id}", "/admin/courts", "/admin/courts/new"):
        assert client.get(path).status_code == 200, path


def test_a_case_page_answers_503_with_the_key_store_down(keystore_down, app_ctx, caplog) -> None:
    worker = create_user(role="worker")
    case = create_referral(worker=worker, state="OPTED_IN")  # made while the run's key store is up
    client = log_in_as(keystore_down.test_client(), worker)
    caplog.set_level(logging.WARNING)
    html = _assert_problem_page(client.get(f"/cases/{case.id}"))
    assert "unreadable" not in html
    _assert_problem_page(client.get("/cases?tab=open"))
    assert not [r for r in caplog.records if r.name == "diversion.security"], "an outage is not a tampered value"

    token = create_api_token(worker)
    api = keystore_down.test_client().get(f"/api/v1/referrals/{case.id}", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 503
    assert api.get_json()["error"]["code"] == "unavailable"


def test_the_app_starts_with_the_main_database_down(app_environ) -> None:
    app = build_app({**app_environ, "DATABASE_URL": _nowhere("main")})
    try:
        client = app.test_client()
        assert client.get("/health/live").status_code == 200
        ready = client.get("/health/ready")
        assert ready.status_code == 503
        assert ready.get_json() == {"database": "unreachable", "keystore": "ok"}
        _assert_problem_page(client.get("/health"))
        token = csrf_token(client, "/sign-in")  # the sign-in form itself needs no database
        data = {"email": "someone@example.org", "password": "a password long enough", "csrf_token": token}
        _assert_problem_page(client.post("/sign-in", data=data))
    finally:
        dispose_app(app)


def test_the_key_store_table_is_made_by_keys_init_not_by_start_up(app_environ, databases) -> None:
    app = build_app({**app_environ, "DIVERSION_KEYSTORE_URL": databases.new("keys")})
    try:
        client = app.test_client()
        ready = client.get("/health/ready")
        assert ready.status_code == 503
        assert ready.get_json() == {"database": "ok", "keystore": "no_schema"}
        result = app.test_cli_runner().invoke(args=["keys", "init"])
        assert result.exit_code == 0, result.output
        assert "Key store ready." in result.output
        assert client.get("/health/ready").get_json() == {"database": "ok", "keystore": "ok"}
        again = app.test_cli_runner().invoke(args=["keys", "init"])
        assert again.exit_code == 0, "running it again changes nothing"
    finally:
        dispose_app(app)


def test_keys_init_says_when_the_key_store_cannot_be_reached(app_environ) -> None:
    app = build_app({**app_environ, "DIVERSION_KEYSTORE_URL": _nowhere("keys")})
    try:
        result = app.test_cli_runner().invoke(args=["keys", "init"])
        assert result.exit_code == 1
        assert "The key store cannot be reached" in result.output
        assert "127.0.0.1" not in result.output
    finally:
        dispose_app(app)


def test_db_upgrade_makes_the_key_store_table_too(databases, app_environ) -> None:
    app = build_app(
        {**app_environ, "DATABASE_URL": databases.new("main"), "DIVERSION_KEYSTORE_URL": databases.new("keys")}
    )
    try:
        with app.app_context():
            assert keystore().status() == "no_schema"
            upgrade()
            assert keystore().status() == "ok"
            assert sa.inspect(keystore().engine).has_table("data_keys")
            db.session.remove()
    finally:
        dispose_app(app)


def _answers(url: str, timeout: float = 2) -> int | None:
    try:
        return requests.get(url, timeout=timeout).status_code
    except requests.RequestException:
        return None


def test_gunicorn_stays_up_with_the_key_store_port_closed(committed_app, tmp_path) -> None:
    """Before, each worker died in start-up connecting to the key store, and gunicorn exited with them."""
    env = committed_app().process_env()
    env["DIVERSION_KEYSTORE_URL"] = _nowhere("keys")
    env[SERVER_CLOCK_ENV] = shared_clock(utcnow())
    port = closed_port()
    command = [sys.executable, "-m", "gunicorn", "-c", str(CLOCK_HOOKS), "--workers", "2", "--timeout", "60"]
    command += ["--bind", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"]
    log_path = tmp_path / "gunicorn.log"
    base = f"http://127.0.0.1:{port}"
    with log_path.open("w") as log:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while _answers(f"{base}/health/live") != 200 and server.poll() is None and time.monotonic() < deadline:
                time.sleep(0.1)
            assert server.poll() is None, log_path.read_text()[-2000:]
            assert _answers(f"{base}/health/live") == 200
            # Every worker has been through start-up by now; a worker that died would take the arbiter down with it
            # (gunicorn stops when a worker fails to boot), so the server must still be there after a while.
            time.sleep(2)
            assert server.poll() is None, log_path.read_text()[-2000:]
            for _ in range(4):  # more requests than workers: each worker answers
                assert _answers(f"{base}/health/live", timeout=30) == 200
                # A worker's first page compiles the templates: seconds, on a machine busy with other tests.
                assert _answers(f"{base}/sign-in", timeout=60) == 200
            ready = requests.get(f"{base}/health/ready", timeout=5)
            assert ready.status_code == 503
            assert ready.json() == {"database": "ok", "keystore": "unreachable"}
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
