"""Backups: the main database and the key store go to separate files; restoring a backup made before an erasure
leaves the erased client unreadable, because the restore re-applies the shred list."""

from __future__ import annotations

from diversion.clients.models import Client
from diversion.crypto.fields import ERASED
from diversion.extensions import db
from diversion.keyring import keystore
from tests.crypto_app.conftest import committed_app  # noqa: F401 - the fixture
from tests.crypto_app.records import Canaries, create_case, create_staff, find_canaries


def test_erase_then_restore_a_backup_from_before_the_erasure(committed_app, tmp_path) -> None:  # noqa: F811
    committed = committed_app()
    canaries = Canaries()
    with committed.app.app_context():
        court, worker = create_staff(canaries)
        her = create_case(canaries, court, worker)
        other = create_case(canaries, court, worker)
    main_file, keys_file = tmp_path / "main" / "main.backup", tmp_path / "keys" / "keys.backup"
    made = committed.cli("backup", "create", "--main", str(main_file), "--keys", str(keys_file))
    assert made.exit_code == 0, made.output
    assert main_file.stat().st_size > 0
    assert keys_file.stat().st_size > 0
    # The main database's backup holds no key and no canary in the clear.
    assert find_canaries({"main backup": main_file.read_bytes()}, canaries.texts) == []
    again = committed.cli("backup", "create", "--main", str(main_file), "--keys", str(tmp_path / "k2" / "k"))
    assert again.exit_code == 1
    together = committed.cli("backup", "create", "--main", str(tmp_path / "a"), "--keys", str(tmp_path / "b"))
    assert together.exit_code == 1
    assert "another directory" in together.output

    erased = committed.cli("clients", "erase", str(her.client_id), "--reason", "erasure_request")
    assert erased.exit_code == 0, erased.output

    restored = committed.cli("backup", "restore", "--main", str(main_file), "--keys", str(keys_file), "--yes")
    assert restored.exit_code == 0, restored.output
    assert "Restored: key store, main database." in restored.output
    # Hers, and the key of her case's notice that kept a URN for the CPS (destroyed with her: docs/privacy.md).
    assert "2 data keys destroyed again; 1 clients marked erased again" in restored.output

    with committed.app.app_context():
        client = db.session.get(Client, her.client_id)
        assert client.erased_at is not None
        assert client.given_name is ERASED
        assert str(her.client_id) in keystore().shredded_client_ids()
        assert db.session.get(Client, other.client_id).family_name == other.family_name
    verified = committed.cli("keys", "verify")
    assert verified.exit_code == 0, verified.output


def test_restoring_only_the_main_database_keeps_her_erased(committed_app, tmp_path) -> None:  # noqa: F811
    committed = committed_app()
    canaries = Canaries()
    with committed.app.app_context():
        court, worker = create_staff(canaries)
        her = create_case(canaries, court, worker)
    main_file = tmp_path / "main" / "main.backup"
    assert (
        committed.cli("backup", "create", "--main", str(main_file), "--keys", str(tmp_path / "k" / "k")).exit_code == 0
    )
    assert committed.cli("clients", "erase", str(her.client_id), "--reason", "retention").exit_code == 0
    restored = committed.cli("backup", "restore", "--main", str(main_file), "--yes")
    assert restored.exit_code == 0, restored.output
    with committed.app.app_context():
        client = db.session.get(Client, her.client_id)
        assert client.erased_at is not None
        assert client.name_dob_index is None
        assert client.family_name is ERASED
    nothing = committed.cli("backup", "restore", "--yes")
    assert nothing.exit_code == 1
