"""Client search runs an indexed query on the blind index, and decrypts only the few candidates in the bucket."""

from __future__ import annotations

import random

from sqlalchemy import event, func, select, text

from diversion.clients.models import Client
from diversion.clients.services import find_clients
from diversion.crypto.aead import FieldCipher
from diversion.crypto.keystore import KeyStore
from diversion.extensions import db
from tests.crypto_app.records import create_bulk_clients
from tests.factories import MAIN_ORG_ID

CLIENTS = 3000


def test_find_clients_uses_the_index_and_decrypts_only_the_candidates(committed_app, monkeypatch) -> None:
    committed = committed_app()
    with committed.app.app_context():
        people = create_bulk_clients(CLIENTS, rng=random.Random(11))
        if committed.kind == "postgresql":
            db.session.execute(text("ANALYZE clients"))
            db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(Client)) == CLIENTS

    decrypted: list[str] = []
    unwrapped: list[str] = []
    original_decrypt = FieldCipher.decrypt
    original_unwrap_texts = KeyStore.unwrap_texts

    original_decrypt_placed = FieldCipher.decrypt_placed

    def counting_decrypt(self, blob, context):
        decrypted.append(context.client_id)
        return original_decrypt(self, blob, context)

    def counting_decrypt_placed(self, blob, table, column, placed):
        decrypted.append(placed)
        return original_decrypt_placed(self, blob, table, column, placed)

    def counting_unwrap_texts(self, client_ids):
        unwrapped.extend(client_ids)
        return original_unwrap_texts(self, client_ids)

    monkeypatch.setattr(FieldCipher, "decrypt", counting_decrypt)
    monkeypatch.setattr(FieldCipher, "decrypt_placed", counting_decrypt_placed)
    monkeypatch.setattr(KeyStore, "unwrap_texts", counting_unwrap_texts)

    with committed.app.app_context():
        statements: list[tuple[str, object]] = []

        def capture(_conn, _cursor, statement, parameters, _context, _executemany) -> None:
            statements.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", capture)
        try:
            for client_id, _given, family, born in people[::300]:
                found = find_clients(f"  {family.upper()}. ", born, [MAIN_ORG_ID])
                assert [client.id for client in found] == [client_id]
        finally:
            event.remove(db.engine, "before_cursor_execute", capture)
        searches = len(people[::300])

        # Every search decrypted a handful of candidates, not thousands of rows.
        assert 0 < len(decrypted) <= 10 * searches, len(decrypted)
        assert 0 < len(set(unwrapped)) <= 5 * searches, len(unwrapped)
        assert len(decrypted) < CLIENTS / 50

        lookups = [(sql, params) for sql, params in statements if "name_dob_index" in sql and "FROM clients" in sql]
        assert len(lookups) == searches
        sql, params = lookups[0]
        with db.engine.connect() as connection:
            if committed.kind == "sqlite":
                plan = " | ".join(row[3] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params))
                assert "USING INDEX ix_clients_organisation_id_name_dob_index" in plan, plan
                assert "SCAN clients" not in plan, plan
            else:
                plan = " | ".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + sql, params))
                assert "Seq Scan" not in plan, plan
                assert "Index Scan" in plan or "Bitmap Index Scan" in plan, plan
                assert "ix_clients_organisation_id_name_dob_index" in plan, plan
