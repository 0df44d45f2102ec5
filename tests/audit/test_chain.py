"""The audit chain: who did what, never values; and `audit verify` names the first edited, deleted, inserted,
reordered or cut-off event.

The test database is shared by the run and each test's changes are rolled back, so expectations are relative to the
head of the chain when the test starts, never absolute event ids.
"""

from __future__ import annotations

import base64
import hashlib
import os
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pyotp
import pytest
import sqlalchemy as sa

from diversion.admin import services as admin_services
from diversion.audit.models import AuditEvent, AuditHead
from diversion.audit.services import (
    AUDIT_KEY_PURPOSE,
    GENESIS_MAC,
    HEAD_ID,
    canonical_content,
    compute_head_mac,
    compute_mac,
    record_event,
    verify_chain,
)
from diversion.auth.names import change_display_name
from diversion.crypto.keys import MasterKey, derive_key
from diversion.db import transaction
from diversion.extensions import db
from diversion.keyring import keyring
from tests import pages
from tests.factories import PASSWORD, create_court, create_user, csrf_token, fresh_code, shown_totp_secret, totp_secret


def _head_seq() -> int:
    db.session.expire_all()
    head = db.session.get(AuditHead, HEAD_ID)
    return head.seq if head else 0


def _rows(since: int = 0) -> list[Any]:
    """The chain's rows after event ``since``, read straight from the table."""
    table = AuditEvent.__table__
    return list(db.session.execute(sa.select(table).where(table.c.id > since).order_by(table.c.id)).all())


def _row(event_id: int) -> Any:
    table = AuditEvent.__table__
    return db.session.execute(sa.select(table).where(table.c.id == event_id)).one()


@pytest.fixture
def chain(app_ctx) -> list[int]:
    """Seven new events, from services and from record_event directly; returns their ids, oldest first."""
    start = _head_seq()
    admin = create_user(role="admin")  # user.created
    court = create_court()  # court.created
    admin_services.save_court(court.code, "Renamed Magistrates' Court", court, actor=admin)  # court.updated
    with transaction():
        for n in range(4):
            record_event("test.event", object_type="court", object_id=court.id, details={"n": n}, actor=admin)
    ids = list(range(start + 1, _head_seq() + 1))
    assert len(ids) == 7
    assert [row.id for row in _rows(start)] == ids
    assert verify_chain().ok
    return ids


def _assert_broken_at(app, expected: int | None, problem: str | None = None) -> None:
    db.session.expire_all()
    report = verify_chain()
    assert report.ok is False
    assert report.bad_event_id == expected, report
    if problem:
        assert problem in (report.problem or "")
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1, result.output
    where = f"event {expected}" if expected is not None else "the chain head"
    assert f"Audit chain broken at {where}:" in result.output


def test_an_intact_chain_verifies(app, chain) -> None:
    report = verify_chain()
    assert report.ok
    assert report.checked == chain[-1]
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert f"Audit chain intact: {chain[-1]} events checked." in result.output


def test_each_event_links_to_the_one_before(chain) -> None:
    rows = {row.id: row for row in _rows(chain[0] - 1)}
    for event_id in chain[1:]:
        assert rows[event_id].prev_mac == rows[event_id - 1].mac
    first = _row(1)
    assert first.prev_mac == GENESIS_MAC
    assert len({row.mac for row in rows.values()}) == len(rows)


# --- the five kinds of tampering ---


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("action", "user.enabled"),
        ("object_id", "00000000-0000-0000-0000-000000000000"),
        ("actor_id", None),
        ("actor_role", "worker"),
        ("request_id", "forged-request"),
        ("details", {"n": 99}),
        ("key_id", "test0"),  # the other configured key: the MAC was not made with it
        ("prev_mac", "1" * 64),
        ("mac", "2" * 64),
        ("at", "shift"),
    ],
)
def test_an_edited_event_is_named(app, chain, column: str, value: Any) -> None:
    bad = chain[3]
    if value == "shift":
        value = _row(bad).at + timedelta(seconds=1)
    table = AuditEvent.__table__
    db.session.execute(sa.update(table).where(table.c.id == bad).values({column: value}))
    _assert_broken_at(app, bad)


def test_an_edit_by_raw_sql_is_named(app, chain) -> None:
    bad = chain[2]
    db.session.execute(sa.text("UPDATE audit_events SET action = 'user.unlocked' WHERE id = :id"), {"id": bad})
    _assert_broken_at(app, bad, "content does not match")


@pytest.mark.parametrize("position", [0, 3])
def test_a_deleted_event_is_named(app, chain, position: int) -> None:
    bad = chain[position]
    db.session.execute(sa.text("DELETE FROM audit_events WHERE id = :id"), {"id": bad})
    _assert_broken_at(app, bad, "missing or out of place")


def test_an_event_inserted_in_the_middle_is_named(app, chain) -> None:
    bad = chain[3]
    before = _row(bad - 1)
    original = _row(bad)
    # Make room: every later event moves up one (through negative ids, so no key clashes on the way).
    db.session.execute(sa.text("UPDATE audit_events SET id = -id - 1 WHERE id >= :id"), {"id": bad})
    db.session.execute(sa.text("UPDATE audit_events SET id = -id WHERE id < 0"))
    forged = {**original._asdict(), "id": bad, "action": "user.unlocked", "prev_mac": before.mac}
    forged["mac"] = hashlib.sha256(repr(forged).encode()).hexdigest()
    db.session.execute(sa.insert(AuditEvent.__table__).values(forged))
    _assert_broken_at(app, bad, "content does not match")


def test_an_event_appended_after_the_head_is_named(app, chain) -> None:
    last = _row(chain[-1])
    forged = {**last._asdict(), "id": last.id + 1, "action": "user.enabled", "prev_mac": last.mac}
    forged["mac"] = hashlib.sha256(repr(forged).encode()).hexdigest()
    db.session.execute(sa.insert(AuditEvent.__table__).values(forged))
    # Even with the head moved along to match, the forged event's MAC cannot be made without the key.
    db.session.execute(
        sa.text("UPDATE audit_head SET seq = :seq, mac = :mac WHERE id = 1"), {"seq": last.id + 1, "mac": forged["mac"]}
    )
    _assert_broken_at(app, last.id + 1, "content does not match")


def test_two_events_renumbered_into_each_other_s_place_are_named(app, chain) -> None:
    first, second = chain[2], chain[3]
    # Each row moves, whole, to the other's position.
    db.session.execute(sa.text("UPDATE audit_events SET id = -1 WHERE id = :id"), {"id": first})
    db.session.execute(sa.text("UPDATE audit_events SET id = :to WHERE id = :id"), {"id": second, "to": first})
    db.session.execute(sa.text("UPDATE audit_events SET id = :to WHERE id = -1"), {"to": second})
    assert _row(first).mac != _row(second).prev_mac
    _assert_broken_at(app, first)


def test_two_events_swapped_in_place_are_named(app, chain) -> None:
    """The contents of two events change places; the ids stay where they were."""
    first, second = _row(chain[2]), _row(chain[3])
    table = AuditEvent.__table__
    columns = [c.name for c in table.columns if c.name != "id"]
    for row, other in ((first, second), (second, first)):
        db.session.execute(
            sa.update(table).where(table.c.id == row.id).values({name: getattr(other, name) for name in columns})
        )
    _assert_broken_at(app, first.id, "does not follow")


def test_a_chain_cut_short_is_named(app, chain) -> None:
    db.session.execute(sa.text("DELETE FROM audit_events WHERE id > :id"), {"id": chain[-3]})
    assert _head_seq() == chain[-1]  # the head still says where the chain ended
    _assert_broken_at(app, chain[-2], f"the chain ends at event {chain[-3]} but its head says {chain[-1]}")


def test_a_chain_cut_short_with_the_head_wound_back_is_caught(app, chain) -> None:
    keep = _row(chain[-3])
    db.session.execute(sa.text("DELETE FROM audit_events WHERE id > :id"), {"id": keep.id})
    db.session.execute(
        sa.text("UPDATE audit_head SET seq = :seq, mac = :mac WHERE id = 1"), {"seq": keep.id, "mac": keep.mac}
    )
    _assert_broken_at(app, None, "the head of the chain was altered")


# --- the key lives outside the database ---


def _rewrite_last_event(key: bytes, chain: list[int]) -> None:
    """Change the last event and recompute its MAC and the head's with ``key``, as a forger would."""
    row = _row(chain[-1])
    changed = SimpleNamespace(**{**row._asdict(), "object_id": "someone-else"})
    mac = compute_mac(key, row.prev_mac, canonical_content(changed))
    table = AuditEvent.__table__
    db.session.execute(sa.update(table).where(table.c.id == row.id).values(object_id="someone-else", mac=mac))
    db.session.execute(
        sa.update(AuditHead.__table__)
        .where(AuditHead.__table__.c.id == HEAD_ID)
        .values(mac=mac, head_mac=compute_head_mac(key, row.id, mac))
    )


def test_a_mac_made_with_the_configured_key_verifies(app, chain) -> None:
    """The control for the next test: recomputing as below is exactly what the chain checks."""
    _rewrite_last_event(keyring().derived(AUDIT_KEY_PURPOSE, _row(chain[-1]).key_id), chain)
    db.session.expire_all()
    assert verify_chain().ok


def test_a_mac_made_without_the_master_key_is_refused(app, chain) -> None:
    key_id = _row(chain[-1]).key_id
    # Everything in the database, the key id included, but another master key: as someone with only the database.
    guessed = derive_key(MasterKey(key_id, os.urandom(32)), AUDIT_KEY_PURPOSE)
    _rewrite_last_event(guessed, chain)
    _assert_broken_at(app, chain[-1], "content does not match")


def test_the_audit_key_is_not_stored_in_the_database(chain) -> None:
    key = keyring().derived(AUDIT_KEY_PURPOSE)
    forms = {key.hex(), base64.b64encode(key).decode(), base64.urlsafe_b64encode(key).decode().rstrip("=")}
    stored = " ".join(str(value) for row in _rows() for value in row)
    stored += " ".join(str(value) for value in db.session.execute(sa.select(AuditHead.__table__)).one())
    assert not any(form in stored for form in forms)


# --- what the events say ---


def _new_events(since: int) -> list[Any]:
    return _rows(since)


def _assert_no_values(rows: list[Any], *secrets: str) -> None:
    for row in rows:
        for value in row:
            text = str(value).lower()
            for secret in secrets:
                assert secret.lower() not in text, (row.action, secret)


def test_sign_in_events_carry_the_request_id_and_never_the_email_or_password(client, app_ctx) -> None:
    canary_password = "canary password " + os.urandom(6).hex()
    user = create_user(email=f"audit.{os.urandom(4).hex()}@example.org", password=canary_password)
    unknown_email = f"nobody.{os.urandom(4).hex()}@example.org"
    start = _head_seq()

    def post(path: str, data: dict[str, str], request_id: str) -> Any:
        data = {**data, "csrf_token": csrf_token(client, path)}
        return client.post(path, data=data, headers={"X-Request-ID": request_id})

    post("/sign-in", {"email": unknown_email, "password": canary_password}, "req-unknown-0001")
    post("/sign-in", {"email": user.email, "password": canary_password + "x"}, "req-wrongpw-0002")
    assert post("/sign-in", {"email": user.email, "password": canary_password}, "req-password-03").status_code == 302
    db.session.refresh(user)
    code = fresh_code(totp_secret(user), user.totp_last_step)
    assert post("/sign-in/security-code", {"code": code}, "req-code-0004").status_code == 302

    events = _new_events(start)
    by_action = {row.action: row for row in events}
    assert by_action["login.unknown_account"].request_id == "req-unknown-0001"
    assert by_action["login.unknown_account"].object_id is None
    assert by_action["login.unknown_account"].actor_id is None
    assert by_action["login.password_failed"].request_id == "req-wrongpw-0002"
    assert by_action["login.password_failed"].object_id == str(user.id)
    assert by_action["login.succeeded"].request_id == "req-code-0004"
    assert by_action["login.succeeded"].actor_id == user.id
    assert by_action["login.succeeded"].actor_role == "worker"
    _assert_no_values(events, canary_password, user.email, unknown_email, user.email.split("@")[0], code)
    assert verify_chain().ok


def _actions(since: int) -> list[tuple[str, str | None]]:
    return [(row.action, row.object_id) for row in _new_events(since)]


def test_failed_sign_ins_and_the_lockout_are_recorded(client, app_ctx) -> None:
    user = create_user()
    start = _head_seq()
    token = csrf_token(client, "/sign-in")
    client.post("/sign-in", data={"email": "no.such.person@example.org", "password": PASSWORD, "csrf_token": token})
    for _ in range(10):
        client.post("/sign-in", data={"email": user.email, "password": "wrong password here", "csrf_token": token})
    actions = _actions(start)
    assert actions[0] == ("login.unknown_account", None)
    assert actions.count(("login.password_failed", str(user.id))) == 10
    assert actions[-1] == ("login.locked", str(user.id))


def test_enrolling_an_authenticator_is_recorded(client, app_ctx) -> None:
    user = create_user(enrolled=False)
    start = _head_seq()
    token = csrf_token(client, "/sign-in")
    client.post("/sign-in", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    page = pages.get(client, "/sign-in/set-up-authenticator")
    secret = shown_totp_secret(page)
    token = csrf_token(client, "/sign-in/set-up-authenticator")
    client.post("/sign-in/set-up-authenticator", data={"code": pyotp.TOTP(secret).now(), "csrf_token": token})
    actions = _actions(start)
    assert ("two_factor.enrolled", str(user.id)) in actions
    assert _new_events(start)[-1].actor_id == user.id
    _assert_no_values(_new_events(start), secret)


def test_user_and_court_administration_is_recorded_with_the_administrator_as_actor(app_ctx) -> None:
    admin = create_user(role="admin")
    start = _head_seq()
    court = admin_services.save_court("AUD1", "Audit Magistrates' Court", actor=admin)
    admin_services.save_court("AUD1", "Audit Magistrates' Court (renamed)", court, actor=admin)
    user, _ = admin_services.create_user(
        "audited.person@example.org", "court", "AUD1", actor=admin, display_name="Audrey Person"
    )
    change_display_name(user, "Audrey Persona", actor=admin)
    admin_services.disable_user(user, actor=admin)
    admin_services.enable_user(user, actor=admin)
    admin_services.unlock_user(user, actor=admin)
    admin_services.reset_two_factor(user, actor=admin)
    admin_services.reset_password(user, actor=admin)

    events = _new_events(start)
    assert [(row.action, row.object_type, row.object_id) for row in events] == [
        ("court.created", "court", str(court.id)),
        ("court.updated", "court", str(court.id)),
        ("user.created", "user", str(user.id)),
        # Court staff read client data: each change that gives a way to sign in as them waits for a manager.
        ("user.confirmation_needed", "user", str(user.id)),
        ("user.renamed", "user", str(user.id)),
        ("user.disabled", "user", str(user.id)),
        ("user.enabled", "user", str(user.id)),
        ("user.confirmation_needed", "user", str(user.id)),
        ("user.unlocked", "user", str(user.id)),
        ("two_factor.reset", "user", str(user.id)),
        ("user.confirmation_needed", "user", str(user.id)),
        ("user.password_reset", "user", str(user.id)),
        ("user.confirmation_needed", "user", str(user.id)),
    ]
    assert {(row.actor_id, row.actor_role) for row in events} == {(admin.id, "admin")}
    assert events[2].details == {"role": "court"}
    _assert_no_values(events, "audited.person", "Audit Magistrates", "Audrey")
    assert verify_chain().ok


# --- record_event refuses values ---


@pytest.mark.parametrize(
    ("details", "error"),
    [
        ({"note": "She said that she had been " + "x" * 64}, ValueError),
        ({"codes": ["short", "y" * 65]}, ValueError),
        ({"answers": {"drugs": "yes"}}, TypeError),
        ({"fields": [["nested"]]}, TypeError),
        ({"score": 1.5}, TypeError),
        ({"raw": b"bytes"}, TypeError),
    ],
)
def test_record_event_refuses_free_text_and_structures_and_changes_nothing(app_ctx, details, error) -> None:
    create_court()
    start = _head_seq()
    with pytest.raises(error):
        record_event("test.refused", details=details)
    assert _head_seq() == start
    assert _new_events(start) == []
    assert verify_chain().ok


def test_record_event_accepts_ids_codes_and_field_names(app_ctx) -> None:
    start = _head_seq()
    with transaction():
        event = record_event(
            "test.accepted", details={"fields": ["name", "date_of_birth"], "count": 2, "flag": True, "none": None}
        )
    assert event.id == start + 1
    assert _row(event.id).details == {"fields": ["name", "date_of_birth"], "count": 2, "flag": True, "none": None}
    assert verify_chain().ok
