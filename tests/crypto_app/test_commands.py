"""``keys reindex`` and ``keys sweep-orphans`` on committed data; the command groups."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from diversion.clients.models import Client
from diversion.clients.services import find_clients
from diversion.extensions import db
from diversion.keyring import keystore
from tests.crypto_app.records import Canaries, create_bulk_clients, create_case, create_staff
from tests.factories import MAIN_ORG_ID


def test_the_command_groups_list_the_encryption_commands(app) -> None:
    runner = app.test_cli_runner()
    keys = runner.invoke(args=["keys", "--help"]).output
    for name in ("generate", "rotate", "reindex", "verify", "sweep-orphans", "reapply-erasures"):
        assert f"  {name} " in keys
    assert "  erase " in runner.invoke(args=["clients", "--help"]).output


def test_reindex_rebuilds_at_a_new_width_skips_the_erased_and_can_run_again(committed_app) -> None:
    committed = committed_app()
    canaries = Canaries()
    with committed.app.app_context():
        court, worker = create_staff(canaries)
        erased = create_case(canaries, court, worker)
        people = create_bulk_clients(40, rng=random.Random(5))
    assert committed.cli("clients", "erase", str(erased.client_id), "--reason", "retention").exit_code == 0

    narrower = committed_app(main_url=committed.main_url, keys_url=committed.keys_url, BLIND_INDEX_NAME_DOB_BITS=8)
    _client_id, _given, family, born = people[0]
    with narrower.app.app_context():
        assert find_clients(family, born, [MAIN_ORG_ID]) == []  # still indexed at 12 bits
    result = narrower.cli("keys", "reindex", "--batch-size", "7")
    assert result.exit_code == 0, result.output
    assert "Index values rewritten: 40; already current: 0." in result.output
    assert "Rebuilding name and date-of-birth indexes: 40 of 40 (100%)" in result.output
    assert "Rebuilding URN indexes: 0 of 0 (100%)" in result.output
    with narrower.app.app_context():
        for client_id, _given, family, born in people[:5]:
            assert [client.id for client in find_clients(family, born, [MAIN_ORG_ID])] == [client_id]
        widths = {len(index) for index in db.session.scalars(select(Client.name_dob_index)) if index is not None}
        assert widths == {1}
        assert db.session.get(Client, erased.client_id).name_dob_index is None
    again = narrower.cli("keys", "reindex")
    assert again.exit_code == 0
    assert "Index values rewritten: 0; already current: 40." in again.output


def test_reindex_leaves_an_unreadable_row_alone_and_exits_1(committed_app) -> None:
    committed = committed_app()
    with committed.app.app_context():
        people = create_bulk_clients(3, rng=random.Random(6))
        broken = people[1][0]
        table = Client.__table__
        db.session.execute(update(table).where(table.c.id == broken).values(date_of_birth=b"\x01\x02garbage"))
        db.session.commit()
        before = db.session.get(Client, broken).name_dob_index
    result = committed.cli("keys", "reindex")
    assert result.exit_code == 1
    assert f"index not rebuilt (value unreadable): table=clients row={broken}" in result.stderr
    with committed.app.app_context():
        assert db.session.get(Client, broken).name_dob_index == before


def test_sweep_orphans_deletes_only_old_keys_of_clients_never_created(committed_app) -> None:
    committed = committed_app()
    with committed.app.app_context():
        people = create_bulk_clients(2, rng=random.Random(8))
        store = keystore()
        old_orphans = [str(uuid.uuid4()) for _ in range(3)]
        new_orphan = str(uuid.uuid4())
        store.create_data_keys([*old_orphans, new_orphan])
        two_days_ago = datetime.now(UTC) - timedelta(days=2)
        with store.engine.begin() as connection:
            ids = old_orphans + [str(person[0]) for person in people]
            connection.execute(
                store.table.update().where(store.table.c.client_id.in_(ids)).values(created_at=two_days_ago)
            )

    refused = committed.cli("keys", "sweep-orphans", "--max", "2")
    assert refused.exit_code == 1
    assert "refusing to sweep" in refused.stderr
    result = committed.cli("keys", "sweep-orphans")
    assert result.exit_code == 0, result.output
    assert "Orphan data keys deleted: 3." in result.output
    with committed.app.app_context():
        remaining = keystore().get_many([*old_orphans, new_orphan, *(str(person[0]) for person in people)])
        assert set(remaining) == {new_orphan, *(str(person[0]) for person in people)}


def test_the_erasure_register_ids_file_takes_ids_comments_and_blank_lines_and_names_a_bad_line() -> None:
    from diversion.keys.services import erased_ids_from

    first, second = uuid.uuid4(), uuid.uuid4()
    assert erased_ids_from([f"{first}  # erased 3 May\n", "\n", "# a comment\n", f"{second}\n"]) == [
        str(first),
        str(second),
    ]
    with pytest.raises(ValueError, match=r"^Line 2 of the ids file is not a client id\.$"):
        erased_ids_from([f"{first}\n", "Jane Example 1990-01-01\n"])
