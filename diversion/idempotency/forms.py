"""One-time keys on the web forms that create something (docs/idempotency.md).

A create form declares ``one_time_key = OneTimeKeyField()`` and renders ``{{ form.one_time_key }}``: a hidden key made
when the page is rendered, kept when the form comes back with errors (it is posted with the rest). Its view asks
``already_saved(form)`` first, and creates inside ``with held(form) as key: ...; key.saved(address)``:

- a second POST of a key that saved redirects to where the first one went ("This was already saved.") and creates
  nothing, whatever else the second POST says (the page she went back to);
- a second POST while the first is still saving is refused with a message, and nothing is created;
- a save the service refuses releases the key, so correcting the form and saving again works.

A POST without a readable key (a hand-made request, a page from before keys) is saved as before, unprotected.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import flash, redirect, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import HiddenField

from diversion.errors import Conflict
from diversion.idempotency import services

ALREADY_SAVED = _l("This was already saved.")
STILL_SAVING = _l("This is already being saved. Wait a moment, then check before saving it again.")


def new_key() -> str:
    return secrets.token_urlsafe(24)


class OneTimeKeyField(HiddenField):
    """The form's one-time key: a new one each time the empty form is rendered."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("default", new_key)
        super().__init__("One-time key", **kwargs)


def _key_of(form: Any) -> str | None:
    field = getattr(form, "one_time_key", None)
    key = field.data if field is not None else None
    return key if isinstance(key, str) and services.valid_key(key) else None


def _print() -> str:
    # The form's address only: any second POST of the key is the same save, whatever was changed on the page.
    return services.fingerprint("FORM", request.path, b"")


def already_saved(form: Any) -> Any:
    """On a POST whose key already saved: a redirect to the record it made, with "This was already saved."."""
    key = _key_of(form)
    if request.method != "POST" or key is None:
        return None
    row = services.find(current_user.id, key)
    if row is None or row.status is None or row.fingerprint != _print() or not row.location:
        return None
    flash(str(ALREADY_SAVED), "success")
    return redirect(row.location)


@dataclass
class Held:
    key_id: uuid.UUID | None
    address: str | None = None

    def saved(self, address: str) -> None:
        """Where the save went (the created record's page): a second POST of the key is sent there."""
        self.address = address


@contextmanager
def held(form: Any) -> Iterator[Held]:
    """Hold the form's key while the record is created; remembered only if the block ends with ``saved``."""
    key = _key_of(form)
    if key is None:
        yield Held(None)
        return
    claim = services.claim(current_user.id, key, _print())
    if claim.outcome != "run" or claim.key_id is None:
        # A repeat of a save still running (or one that saved after already_saved looked): create nothing.
        raise Conflict(str(STILL_SAVING))
    holder = Held(claim.key_id)
    try:
        yield holder
    except BaseException:
        services.release(claim.key_id)
        raise
    if holder.address is None:
        services.release(claim.key_id)
    else:
        services.complete(claim.key_id, status=303, location=holder.address)
