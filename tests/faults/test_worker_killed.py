"""A gunicorn worker killed with SIGKILL in the middle of a save leaves no partial record: the client, the referral
and their audit events are written in one transaction, and a transaction whose process dies is never committed.
The same save sent again afterwards is stored once, whole. Runs on both databases: gunicorn serves the run's
database (a fresh one, migrated) in another process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from diversion.auth.tokens import create_api_token
from diversion.courts.models import Court
from diversion.db import utcnow
from diversion.extensions import db
from tests.api import bodies
from tests.clock import SERVER_CLOCK_ENV, shared_clock
from tests.factories import create_court, create_user, row_counts
from tests.faults.conftest import closed_port

ROOT = Path(__file__).resolve().parents[2]
HOOKS = Path(__file__).with_name("gunicorn_block.py")


def _wait_until(check, what: str, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    pytest.fail(f"gave up waiting for {what}")


def _healthy(base: str) -> bool:
    try:
        return requests.get(f"{base}/health", timeout=2).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture
def gunicorn(committed_app, tmp_path):
    committed = committed_app()
    port = closed_port()
    marker = tmp_path / "blocked.pid"
    env = committed.process_env()
    env["FAULT_MARKER"] = str(marker)
    # The server answers on this test's clock, not the machine's: the referral it is sent is dated by the test.
    env[SERVER_CLOCK_ENV] = shared_clock(utcnow())
    command = [sys.executable, "-m", "gunicorn", "-c", str(HOOKS), "--workers", "1", "--timeout", "120"]
    command += ["--bind", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"]
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until(lambda: _healthy(base) or server.poll() is not None, "gunicorn to start")
        assert server.poll() is None, (tmp_path / "gunicorn.log").read_text()[-2000:]
        yield committed, base, marker
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def test_a_worker_killed_mid_save_leaves_no_partial_record(gunicorn) -> None:
    committed, base, marker = gunicorn
    with committed.app.app_context():
        court = create_court()
        headers = {"Authorization": f"Bearer {create_api_token(create_user(role='worker'))}"}
        before = row_counts()
        court_code = court.code
    body = bodies.referral(court_code)

    answers: list[object] = []

    def send() -> None:
        try:
            answers.append(requests.post(f"{base}/api/v1/referrals", json=body, headers=headers, timeout=60))
        except requests.RequestException as error:
            answers.append(error)

    sender = threading.Thread(target=send)
    sender.start()
    _wait_until(lambda: marker.exists() and marker.read_text().strip(), "the worker to stop inside the save")
    worker_pid = int(marker.read_text())
    with committed.app.app_context():
        db.session.expire_all()
        assert row_counts() == before, "nothing is visible before the commit"
    os.kill(worker_pid, signal.SIGKILL)
    sender.join(timeout=60)
    assert not sender.is_alive()
    assert len(answers) == 1
    assert not isinstance(answers[0], requests.Response) or answers[0].status_code >= 500

    with committed.app.app_context():
        db.session.expire_all()
        assert row_counts() == before, "a killed save leaves no client, referral or audit event behind"

    # The arbiter starts a new worker; the same save sent again is stored whole, once.
    _wait_until(lambda: _healthy(base), "a new worker")
    again = requests.post(f"{base}/api/v1/referrals", json=body, headers=headers, timeout=60)
    assert again.status_code == 201, again.text[:500]
    with committed.app.app_context():
        db.session.expire_all()
        after = row_counts()
        assert after["clients"] == before["clients"] + 1
        assert after["referrals"] == before["referrals"] + 1
        assert after["audit_events"] > before["audit_events"]
        assert db.session.query(Court).filter_by(code=court_code).count() == 1
