"""The clients command line: erasing a client (``flask clients erase``); the export is privacy's."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from diversion.clients.erasure import REASON_CODES, erase_client
from diversion.clients.services import get_client
from diversion.crypto.errors import CryptoError
from diversion.errors import DomainError


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


@click.command("erase")
@click.argument("client_id")
@click.option(
    "--reason",
    required=True,
    help="Why. The audit log records it only when it is one of: " + ", ".join(sorted(REASON_CODES)) + ".",
)
@with_appcontext
def clients_erase(client_id: str, reason: str) -> None:
    """Crypto-shred a client: destroy her data key and index values, keep the counts reports need."""
    client = get_client(client_id)
    if client is None:
        _fail("No client with that id.")
    try:
        erase_client(client, reason)
    except DomainError as error:
        _fail(error.message)
    except (CryptoError, SQLAlchemyError) as error:
        # The key store could not destroy the key, so the main transaction was rolled back; the type says enough.
        _fail(f"The key store refused ({type(error).__name__}). Nothing was marked erased; run the command again.")
    click.echo(f"Client {client.id} erased: her data key is destroyed and her encrypted fields cannot be read.")
