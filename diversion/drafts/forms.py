"""A form's drafts, as its view and template see them (docs/drafts.md).

The view calls ``offer(form, kind, target)`` once it has filled the form for a GET, passes the result to its template
as ``draft``, and calls ``used(kind, target)`` once the form has been saved. The template renders
``macros/drafts.html``: the banner that offers the draft back, the "Save draft" button (a plain form submit to the
draft's address, so it works without JavaScript) and the attributes the page's script autosaves with.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from flask import current_app, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from diversion.dates import LONDON, clock_time, long_date
from diversion.drafts import services

RESTORE = "restore"
AUTOSAVE_SECONDS = 20

State = Literal["none", "offered", "restored"]


@dataclass
class DraftOffer:
    """What the page says about its draft, and where it saves one."""

    save_url: str
    discard_url: str
    restore_url: str
    autosave_seconds: int
    state: State = "none"
    saved_at: datetime | None = None
    expires_at: datetime | None = None

    @property
    def saved_text(self) -> str:
        return when(self.saved_at) if self.saved_at else ""

    @property
    def expires_text(self) -> str:
        return when(self.expires_at) if self.expires_at else ""


def when(moment: datetime, *, time_only: bool = False) -> str:
    """A time as the page says it, in London: 10:32am on Saturday 5 December 2026, or 10:32am alone."""
    local = moment.astimezone(LONDON)
    at = clock_time(local.time())
    return at if time_only else _("%(time)s on %(date)s", time=at, date=long_date(local.date(), weekday=True))


def autosave_seconds() -> int:
    return int(current_app.config.get("DRAFT_AUTOSAVE_SECONDS", AUTOSAVE_SECONDS))


def offer(form: Any, kind: str, target: Any, *, exclude: frozenset[str] = frozenset()) -> DraftOffer:
    """The draft of this form for the page: offered back on a GET, and put into the form when she chose to continue
    from it (``?draft=restore``). A draft that can no longer be read (her record erased) is discarded."""
    target = str(target)
    if kind == "new-referral":
        save_url, discard_url = url_for("drafts.save_new_referral"), url_for("drafts.discard_new_referral")
    else:
        save_url = url_for("drafts.save", kind=kind, target=target)
        discard_url = url_for("drafts.discard", kind=kind, target=target)
    result = DraftOffer(
        save_url=save_url,
        discard_url=discard_url,
        restore_url=f"{request.path}?draft={RESTORE}",
        autosave_seconds=autosave_seconds(),
    )
    if request.method != "GET":
        return result
    draft = services.find(current_user.id, kind, target)
    if draft is None:
        return result
    values = services.values_of(draft)
    if values is None:
        services.discard(draft)
        return result
    result.saved_at, result.expires_at = draft.saved_at, draft.expires_at
    if request.args.get("draft") == RESTORE:
        restore(form, values, exclude)
        result.state = "restored"
    else:
        result.state = "offered"
    return result


def restore(form: Any, values: services.Values, exclude: frozenset[str] = frozenset()) -> None:
    """Put a draft's values into a form's fields, as if she had just typed them (nothing is validated)."""
    formdata = MultiDict([(key, value) for key, items in values.items() for value in items])
    for item in form:
        if item.name in services.NEVER_KEPT or item.name in exclude:
            continue
        item.process(formdata)


def used(kind: str, target: Any) -> None:
    """Her form was saved: its draft is no longer needed."""
    services.used(current_user.id, kind, str(target))
