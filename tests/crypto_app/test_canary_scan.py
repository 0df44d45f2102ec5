"""Canary scan: every encrypted field of every record holds a random canary; none of them may be found in the
database files (with their -wal and -journal), a pg_dump, the logs or the output, as UTF-8, UTF-16, base64 or hex.

And a copy of the main database holds no data key, wrapped or not.
"""

from __future__ import annotations

import base64
import logging
import uuid

from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select, update

from diversion.clients.models import Client
from diversion.clients.services import find_clients
from diversion.crypto.fields import UNREADABLE
from diversion.crypto.keystore import data_keys
from diversion.extensions import db
from diversion.keyring import keystore
from diversion.logs import JsonFormatter
from tests.conftest import dispose_app
from tests.crypto_app.records import Canaries, create_case, create_staff, encrypted_models, find_canaries, variants
from tests.factories import MAIN_ORG_ID


def _stored(committed) -> dict[str, bytes]:
    """What a thief of the databases or their backups would hold."""
    if committed.kind == "sqlite":
        return committed.sqlite_files()
    return {
        "pg_dump of the main database": committed.pg_dump(committed.main_url),
        "pg_dump of the key store": committed.pg_dump(committed.keys_url),
    }


def test_no_canary_in_files_dumps_logs_or_output(committed_app, caplog, capfd) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="diversion")
    committed = committed_app()
    canaries = Canaries()
    with committed.app.app_context():
        court, worker = create_staff(canaries)
        cases = [create_case(canaries, court, worker) for _ in range(3)]
        court_name = court.name
    classes = {cls.__name__: cls for cls in encrypted_models()}
    assert set(classes) <= {cls.__name__ for cls in canaries.classes}, "a model with encrypted fields has no canary"
    # The contact log's words are among them: with whom and what happened, of every case (docs/contacts.md).
    contact_fields = {(name, row) for class_name, name, row in canaries.values if class_name == "Contact"}
    assert {name for name, _ in contact_fields} == {"with_whom", "note"}
    assert len(contact_fields) == 2 * len(cases)
    assert len(canaries.texts) >= 3 * 20
    # Her reading-help note is one of her free texts (docs/languages.md).
    assert sum(1 for class_name, name, _ in canaries.values if (class_name, name) == ("Client", "reading_help")) == 3

    # The app reads every value back, searches, and runs the encryption commands: the paths that might log.
    with committed.app.app_context():
        for (class_name, name, row_id), expected in canaries.values.items():
            obj = db.session.get(classes[class_name], uuid.UUID(row_id))
            assert getattr(obj, name) == expected, (class_name, name)
        for case in cases:
            assert [client.id for client in find_clients(case.family_name, case.date_of_birth, [MAIN_ORG_ID])] == [
                case.client_id
            ]
    outputs = {}
    for args in (("keys", "verify"), ("keys", "reindex"), ("keys", "rotate")):
        result = committed.cli(*args)
        assert result.exit_code == 0, result.output
        outputs[" ".join(args)] = result.output

    # The failure path logs too: a flipped byte.
    with committed.app.app_context():
        table = Client.__table__
        blob = db.session.execute(select(table.c.given_name).where(table.c.id == cases[0].client_id)).scalar_one()
        tampered = bytes(blob[:-1]) + bytes([blob[-1] ^ 1])
        db.session.execute(update(table).where(table.c.id == cases[0].client_id).values(given_name=tampered))
        db.session.commit()
    with committed.app.app_context():
        assert db.session.get(Client, cases[0].client_id).given_name is UNREADABLE
    result = committed.cli("keys", "verify")
    assert result.exit_code == 1
    outputs["keys verify, tampered"] = result.output
    process = committed.flask("keys", "verify")
    assert process.returncode == 1
    assert f"table=clients column=given_name row={cases[0].client_id}" in process.stderr
    outputs["flask keys verify"] = process.stdout + process.stderr

    open_files = _stored(committed)
    dispose_app(committed.app)
    closed_files = _stored(committed)
    # The scan sees the data: the court's name, a plain column, is in the main database's files both times.
    for files in (open_files, closed_files):
        assert court_name.encode("utf-8") in b"".join(data for name, data in files.items() if "key" not in name)
    haystacks = {f"{name} (while open)": data for name, data in open_files.items()} | closed_files
    security = [record for record in caplog.records if record.name == "diversion.security"]
    assert security, "the tampered value was not logged"
    formatter = JsonFormatter()
    haystacks["log records"] = "\n".join(formatter.format(record) for record in caplog.records).encode("utf-8")
    haystacks["log text"] = caplog.text.encode("utf-8")
    for name, output in outputs.items():
        haystacks[f"output of {name}"] = output.encode("utf-8")
    captured = capfd.readouterr()
    haystacks["stdout"], haystacks["stderr"] = captured.out.encode("utf-8"), captured.err.encode("utf-8")

    assert find_canaries(haystacks, canaries.texts) == []
    # The scan can fail: each form of a canary is found where it is.
    sample = canaries.texts[0]
    for form, needle in variants(sample).items():
        assert find_canaries({"control": b"..." + needle + b"..."}, [sample]) == [f"{form} of a canary in control"]


def test_a_copy_of_the_main_database_holds_no_data_key(committed_app) -> None:
    committed = committed_app()
    canaries = Canaries()
    with committed.app.app_context():
        court, worker = create_staff(canaries)
        ids = [create_case(canaries, court, worker).client_id for _ in range(3)]
        with keystore().engine.connect() as connection:
            rows = connection.execute(select(data_keys.c.client_id, data_keys.c.wrapped)).all()
        # Every key in the store (hers, and any record's own, such as a notice's kept for the CPS) is looked for.
        wrapped = [bytes(row.wrapped) for row in rows]
        plain_keys = list(keystore().get_many(ids).values())
    assert {str(client_id) for client_id in ids} <= {row.client_id for row in rows}
    assert len(plain_keys) == 3
    copy_url = committed.copy_main_database()
    copy = committed_app(main_url=copy_url)
    with copy.app.app_context():
        assert "data_keys" not in sa_inspect(db.engine).get_table_names()
    dispose_app(copy.app)
    if committed.kind == "sqlite":
        copy_files = {name: data for name, data in copy.sqlite_files().items() if name.startswith("copy-")}
    else:
        copy_files = {"pg_dump of the copy": copy.pg_dump(copy_url)}
    assert copy_files
    for secret in wrapped + plain_keys:
        needles = {"raw": secret, "hex": secret.hex().encode(), "base64": base64.b64encode(secret)[:-4]}
        for form, needle in needles.items():
            assert not any(needle in data for data in copy_files.values()), form
