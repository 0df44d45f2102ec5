"""An appointment's "somewhere else" is encrypted under her key: a canary typed there is in no database file, dump or
backup; and the plaintext places of bookings made before venues are moved into it by `appointments
migrate-locations`, which leaves no plaintext place in the main database's files."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from diversion.appointments.models import Appointment
from diversion.extensions import db
from diversion.venues.services import save_venue
from tests.crypto_app.records import canary, find_canaries
from tests.factories import book, create_referral, create_user

pytestmark = pytest.mark.clock("2026-12-01 10:00")


def _stored(committed) -> dict[str, bytes]:
    if committed.kind == "sqlite":
        return {name: data for name, data in committed.sqlite_files().items() if not name.startswith("keys")}
    return {"pg_dump of the main database": committed.pg_dump(committed.main_url)}


def test_a_canary_typed_as_somewhere_else_is_in_no_database_file_dump_or_backup(committed_app, tmp_path) -> None:
    committed = committed_app()
    secret = canary()
    with committed.app.app_context():
        worker = create_user(role="worker")
        referral = create_referral(state="OPTED_IN", worker=worker)
        appointment_id = book(referral=referral, worker=worker, location=secret).id
        db.session.commit()
    with committed.app.app_context():
        stored = db.session.get(Appointment, appointment_id)
        assert (stored.elsewhere, stored.place, stored.venue_id, stored.legacy_location) == (secret, secret, None, None)
    main_file, keys_file = tmp_path / "main" / "main.backup", tmp_path / "keys" / "keys.backup"
    made = committed.cli("backup", "create", "--main", str(main_file), "--keys", str(keys_file))
    assert made.exit_code == 0, made.output
    haystacks = _stored(committed) | {"main backup": main_file.read_bytes(), "key-store backup": keys_file.read_bytes()}
    assert find_canaries(haystacks, [secret]) == []
    # The scan can fail: the same text in a plain column is found.
    with committed.app.app_context():
        db.session.execute(update(Appointment).where(Appointment.id == appointment_id).values(legacy_location=secret))
        db.session.commit()
    assert find_canaries(_stored(committed), [secret]) != []


def test_old_plaintext_places_are_moved_to_venues_or_encrypted_and_leave_the_files(committed_app) -> None:
    committed = committed_app()
    secret = canary()
    with committed.app.app_context():
        worker = create_user(role="worker")
        venue = save_venue("Drop-in centre", "12 Canal Street")
        ids = []
        for place in (secret, "  drop-in   CENTRE ", None):
            referral = create_referral(state="OPTED_IN", worker=worker)
            ids.append(book(referral=referral, worker=worker).id)
            # As a booking made before venues stored it: plaintext, in the old column.
            db.session.execute(update(Appointment).where(Appointment.id == ids[-1]).values(legacy_location=place))
        db.session.commit()
        venue_id = venue.id
    assert find_canaries(_stored(committed), [secret]) != []  # there before

    result = committed.cli("appointments", "migrate-locations", "--batch-size", "1")
    assert result.exit_code == 0, result.output
    assert "1 to a venue, 1 encrypted, 0 dropped" in result.output
    assert "No plaintext place remains" in result.output
    assert secret not in result.output
    with committed.app.app_context():
        moved = [db.session.get(Appointment, item) for item in ids]
        assert [item.legacy_location for item in moved] == [None, None, None]
        assert (moved[0].elsewhere, moved[0].venue_id) == (secret, None)
        assert (moved[1].elsewhere, moved[1].venue_id) == (None, venue_id)
        assert (moved[2].elsewhere, moved[2].venue_id) == (None, None)
    assert find_canaries(_stored(committed), [secret]) == []

    # A rerun finds nothing left to do, and changes nothing.
    again = committed.cli("appointments", "migrate-locations")
    assert again.exit_code == 0, again.output
    assert "0 to a venue, 0 encrypted, 0 dropped" in again.output


def test_the_old_place_of_an_erased_client_is_dropped_not_encrypted(committed_app) -> None:
    committed = committed_app()
    secret = canary()
    with committed.app.app_context():
        worker = create_user(role="worker")
        referral = create_referral(state="OPTED_IN", worker=worker)
        appointment_id = book(referral=referral, worker=worker).id
        db.session.execute(update(Appointment).where(Appointment.id == appointment_id).values(legacy_location=secret))
        db.session.commit()
        client_id = referral.client_id
    withdrawn = committed.cli("clients", "erase", str(client_id), "--reason", "erasure_request")
    assert withdrawn.exit_code == 1  # refused while her case is open: close it first
    with committed.app.app_context():
        from diversion.referrals.models import Referral

        db.session.execute(update(Referral).where(Referral.id == referral.id).values(state="WITHDRAWN"))
        db.session.commit()
    erased = committed.cli("clients", "erase", str(client_id), "--reason", "erasure_request")
    assert erased.exit_code == 0, erased.output
    result = committed.cli("appointments", "migrate-locations")
    assert result.exit_code == 0, result.output
    assert "0 encrypted, 1 dropped" in result.output
    with committed.app.app_context():
        stored = db.session.get(Appointment, appointment_id)
        assert (stored.legacy_location, stored.venue_id) == (None, None)
        assert db.session.get(Appointment, appointment_id)._elsewhere is None
    assert find_canaries(_stored(committed), [secret]) == []
