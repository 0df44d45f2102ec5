"""Moving the plaintext places of old bookings into the encrypted "somewhere else" field, then emptying the column.

Before venues, an appointment's place was free text in a plaintext column, and a worker may have typed where she
was staying. ``flask --app wsgi appointments migrate-locations`` (run after ``db upgrade``; docs/encryption.md,
"Appointment places") takes each old place in turn:

- a place that is exactly the name of one of her organisation's venues (ignoring case and spaces) becomes that venue;
- any other place is encrypted under her data key into ``elsewhere``;
- a place of a client who has been erased is dropped: her key is destroyed, so it could never be read again, and
  keeping it in plaintext would undo her erasure;

and empties the plaintext column in the same transaction, a batch at a time. A rerun takes only the rows still
holding a place, so an interrupted run resumes where it stopped, and a row is never half done. At the end the main
database is compacted (SQLite: VACUUM and a truncating WAL checkpoint; PostgreSQL: VACUUM FULL of the table), so the
old text does not linger in free pages or dead row versions.
"""

from __future__ import annotations

from dataclasses import dataclass

import click
from flask.cli import with_appcontext
from sqlalchemy import select, text

from diversion.appointments.models import Appointment
from diversion.audit.services import record_event
from diversion.clients.models import Client
from diversion.crypto.errors import CryptoError
from diversion.db import transaction
from diversion.extensions import db
from diversion.keyring import key_provider
from diversion.venues.models import Venue

DEFAULT_BATCH = 200


@dataclass
class LocationReport:
    """How many old places became a venue, were encrypted, or were dropped; and the rows that could not be moved."""

    to_venue: int = 0
    encrypted: int = 0
    dropped: int = 0
    failed: int = 0

    @property
    def moved(self) -> int:
        return self.to_venue + self.encrypted + self.dropped


def _venues_by_name() -> dict[tuple[int, str], Venue]:
    """Every venue by its organisation and its name as compared (ignoring case and spaces): an old place becomes a
    venue of her own organisation only (docs/organisations.md)."""
    return {
        (venue.organisation_id, " ".join(venue.name.split()).casefold()): venue
        for venue in db.session.scalars(select(Venue))
    }


def migrate_locations(batch_size: int = DEFAULT_BATCH, compact: bool = True) -> LocationReport:
    """Move every plaintext place into a venue or the encrypted field; resumable. See the module docstring."""
    report = LocationReport()
    venues = _venues_by_name()
    skipped: set[object] = set()  # rows whose client's key could not be read: left for a rerun, not looped on
    while True:
        query = select(Appointment).where(Appointment.legacy_location.is_not(None)).order_by(Appointment.id)
        if skipped:
            query = query.where(Appointment.id.not_in(skipped))
        page = list(db.session.scalars(query.limit(batch_size)))
        if not page:
            break
        client_ids = {item.client_id for item in page}
        clients = db.session.execute(
            select(Client.id, Client.organisation_id, Client.erased_at).where(Client.id.in_(client_ids))
        ).all()
        erased = {row.id for row in clients if row.erased_at is not None}
        organisation_of = {row.id: row.organisation_id for row in clients}
        key_provider().prefetch(client_ids - erased)
        before = (report.to_venue, report.encrypted, report.dropped)
        with transaction():
            for item in page:
                place = " ".join((item.legacy_location or "").split())
                venue = venues.get((organisation_of.get(item.client_id), place.casefold()))
                if item.client_id in erased or not place:
                    report.dropped += 1
                elif venue is not None and item.venue_id is None and item.elsewhere is None:
                    item.venue_id = venue.id
                    report.to_venue += 1
                else:
                    try:
                        if item.elsewhere is None and item.venue_id is None:
                            item.elsewhere = place
                    except CryptoError:
                        # Her key cannot be read (ids only in the message, never the place): leave the row as it is.
                        skipped.add(item.id)
                        report.failed += 1
                        continue
                    report.encrypted += 1
                item.legacy_location = None
            after = (report.to_venue, report.encrypted, report.dropped)
            counts = [now - then for now, then in zip(after, before, strict=True)]
            if any(counts):
                # Counts only: the places themselves never reach the audit log.
                record_event(
                    "appointments.locations_migrated",
                    details=dict(zip(("venue", "encrypted", "dropped"), counts, strict=True)),
                )
        key_provider().clear()
    if compact:
        compact_main_database()
    return report


def compact_main_database() -> None:
    """Rewrite the appointments' storage so emptied values leave the files, not just the rows."""
    db.session.remove()  # no transaction of ours may stay open across the rewrite
    engine = db.engine
    if engine.dialect.name == "sqlite":
        # VACUUM runs outside any transaction: on the driver's connection, in its own autocommit mode.
        raw = engine.raw_connection()
        try:
            driver = raw.driver_connection
            previous = driver.isolation_level
            driver.isolation_level = None
            try:
                driver.execute("VACUUM")
                driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                driver.isolation_level = previous
        finally:
            raw.close()
    elif engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM FULL appointments"))


def remaining_locations() -> int:
    """How many appointments still hold a plaintext place."""
    return len(db.session.scalars(select(Appointment.id).where(Appointment.legacy_location.is_not(None))).all())


@click.command("migrate-locations")
@click.option(
    "--batch-size", default=DEFAULT_BATCH, show_default=True, type=click.IntRange(1), help="Rows per transaction."
)
@with_appcontext
def appointments_migrate_locations(batch_size: int) -> None:
    """Encrypt the plaintext places of old bookings (or match them to venues) and empty the column; resumable."""
    report = migrate_locations(batch_size)
    click.echo(
        f"Places moved: {report.to_venue} to a venue, {report.encrypted} encrypted, {report.dropped} dropped "
        "(erased clients)."
    )
    left = remaining_locations()
    if report.failed or left:
        click.echo(f"Error: {left} plaintext places remain (a key could not be read); run keys verify.", err=True)
        raise SystemExit(1)
    click.echo("No plaintext place remains in the main database.")
