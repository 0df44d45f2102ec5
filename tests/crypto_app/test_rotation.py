"""``keys rotate`` in another process, killed midway and run again; then ``keys verify``; then the old master key
removed from the configuration, and everything still reads."""

from __future__ import annotations

import random
import signal
import subprocess
import uuid

import pyotp
import pytest
from sqlalchemy import select

from diversion.auth.models import User
from diversion.clients.models import Client
from diversion.clients.services import find_clients, name_dob_index_value
from diversion.crypto.blind import URN_PURPOSE, urn_index
from diversion.crypto.fields import stored_key_id
from diversion.crypto.keys import KeyRing, generate_master_key_line
from diversion.crypto.keystore import KeyStore
from diversion.db import transaction
from diversion.extensions import db
from diversion.keyring import keyring
from diversion.referrals.models import Referral
from tests.conftest import dispose_app
from tests.crypto_app.conftest import ROOT, flask_command
from tests.crypto_app.records import (
    PASSWORD,
    Canaries,
    create_bulk_clients,
    create_case,
    create_staff,
    encrypted_models,
)
from tests.factories import MAIN_ORG_ID

CLIENTS = 2000


def _pending(url: str, keys: str) -> int:
    store = KeyStore(url, KeyRing.from_config(keys))
    try:
        return store.count_pending_rotation()
    finally:
        store.close()


@pytest.mark.slow
def test_rotation_killed_midway_resumes_then_the_old_key_can_go(committed_app) -> None:
    old, new = generate_master_key_line("old"), generate_master_key_line("new")
    committed = committed_app(keys=old)
    canaries = Canaries()
    with committed.app.app_context():
        court, worker = create_staff(canaries)
        worker_id = worker.id
        case = create_case(canaries, court, worker)
        people = create_bulk_clients(CLIENTS, rng=random.Random(7))
        secret = pyotp.random_base32(32)
        with transaction():
            db.session.get(User, worker_id).totp_secret = secret
    dispose_app(committed.app)
    # Her key, the other clients' keys, and the key of her notice's canary (a notice's own key: docs/privacy.md).
    total = CLIENTS + 2
    assert _pending(committed.keys_url, f"{new},{old}") == total

    process = subprocess.Popen(
        flask_command("keys", "rotate", "--batch-size", "20"),
        env=committed.process_env(f"{new},{old}"),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen = []
    assert process.stdout is not None
    for line in process.stdout:
        seen.append(line)
        if line.startswith("Rewrapping data keys:") and not line.startswith("Rewrapping data keys: 0 of"):
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=60)
    process.stdout.close()
    assert process.stderr is not None
    process.stderr.close()
    assert process.returncode == -signal.SIGKILL, seen
    left = _pending(committed.keys_url, f"{new},{old}")
    assert 0 < left < total, f"killed with {left} of {total} keys left"

    resumed = committed.flask("keys", "rotate", "--batch-size", "20", master_keys=f"{new},{old}", timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"Data keys rewrapped: {left};" in resumed.stdout
    assert "Everything is under master key new." in resumed.stdout
    assert "Rewrapping data keys: 0 of" in resumed.stdout
    both = committed_app(keys=f"{new},{old}", main_url=committed.main_url, keys_url=committed.keys_url)
    verified = both.cli("keys", "verify")
    assert verified.exit_code == 0, verified.output
    assert "Every encrypted value is readable." in verified.output
    dispose_app(both.app)

    # The old key leaves the configuration: every client, case and secret still reads, and search still finds.
    after = committed_app(keys=new, main_url=committed.main_url, keys_url=committed.keys_url)
    assert _pending(after.keys_url, new) == 0
    with after.app.app_context():
        clients = {client.id: client for client in db.session.scalars(select(Client))}
        assert len(clients) == CLIENTS + 1
        for client_id, given, family, born in people:
            client = clients[client_id]
            assert (client.given_name, client.family_name, client.date_of_birth) == (given, family, born)
            assert client.name_dob_index == name_dob_index_value(family, born, MAIN_ORG_ID)
        models = {cls.__name__: cls for cls in encrypted_models()}
        for (class_name, name, row_id), expected in canaries.values.items():
            if class_name != "User":
                assert getattr(db.session.get(models[class_name], uuid.UUID(row_id)), name) == expected
        user = db.session.get(User, worker_id)
        assert user.totp_secret == secret
        assert stored_key_id(user, "totp_secret") == "new"
        referral = db.session.get(Referral, case.referral_id)
        assert referral.urn == case.urn
        assert referral.urn_index == urn_index(keyring().derived(URN_PURPOSE), case.urn)
        assert len(keyring().ids) == 1
        for client_id, _given, family, born in people[:: CLIENTS // 10]:
            assert [client.id for client in find_clients(family, born, [MAIN_ORG_ID])] == [client_id]
    verified = after.cli("keys", "verify")
    assert verified.exit_code == 0, verified.output
    assert PASSWORD not in verified.output


def test_rotation_refuses_while_a_key_in_use_is_not_configured(committed_app) -> None:
    old, new = generate_master_key_line("old"), generate_master_key_line("new")
    committed = committed_app(keys=old)
    with committed.app.app_context():
        create_bulk_clients(3, rng=random.Random(1))
    only_new = committed_app(keys=new, main_url=committed.main_url, keys_url=committed.keys_url)
    result = only_new.cli("keys", "rotate")
    assert result.exit_code == 1
    assert "wrapped under master key(s) old, which are not configured" in result.stderr
    assert _pending(committed.keys_url, f"{new},{old}") == 3


def test_rotation_names_a_data_key_that_does_not_unwrap_and_exits_1(committed_app) -> None:
    old, new = generate_master_key_line("old"), generate_master_key_line("new")
    committed = committed_app(keys=old)
    with committed.app.app_context():
        people = create_bulk_clients(4, rng=random.Random(2))
    broken = str(people[0][0])
    store = KeyStore(committed.keys_url, KeyRing.from_config(old))
    try:
        with store.engine.begin() as connection:
            wrapped = connection.execute(
                select(store.table.c.wrapped).where(store.table.c.client_id == broken)
            ).scalar_one()
            connection.execute(
                store.table.update()
                .where(store.table.c.client_id == broken)
                .values(wrapped=bytes(wrapped[:-1]) + bytes([wrapped[-1] ^ 1]))
            )
    finally:
        store.close()
    both = committed_app(keys=f"{new},{old}", main_url=committed.main_url, keys_url=committed.keys_url)
    result = both.cli("keys", "rotate")
    assert result.exit_code == 1
    assert f"data key of client {broken} not rewrapped" in result.stderr
    assert "Data keys rewrapped: 3;" in result.stdout
    verified = both.cli("keys", "verify")
    assert verified.exit_code == 1
    assert f"data key of client {broken} does not unwrap" in verified.stderr
    assert f"table=clients column=family_name row={broken}" in verified.stderr
    assert people[0][2] not in verified.output
