"""The audit of reads, by structure: the loaders note which cases a request read, and one hook writes the events.

A view never decides whether its read is audited. The loaders that hand out case fields (``permissions.load_case``,
the role-shaped queries in ``referrals.queries``, the notices' and the worklists' queries) note each case they return
and how much of it (the view: ``full``, ``status``, ``list``, ``identity``, ``possible_match``, ``replay``). Once the
request has answered, :func:`write_reads` writes one ``case.viewed`` event per case noted, in one transaction of its
own, with the endpoint as the page. So a new page that reads a case through a loader is audited without a line of
audit code, and a page cannot forget.

What counts is what the answer showed:

- a redirect shows nothing, so a form that saves and moves on records no read (the page it goes to does);
- an error's answer (a 403, a 404, a refused save) shows nothing the view loaded, so the reads noted before the error
  are dropped (``permissions.requires`` calls :func:`answered_by_error`); an error that names cases in its answer
  (a possible match names the earlier referrals) carries them in ``case_reads`` and they are recorded instead;
- anything else the view answered (a page, a form shown again with its errors, JSON) records every case noted.

The events are written after the view, in their own transaction: a save that failed and was rolled back does not
take the record of what the page showed with it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from flask import Flask, Response, current_app, g, has_request_context, request

# How much of a case a loader hands out.
FULL = "full"
STATUS = "status"
LIST = "list"
IDENTITY = "identity"
POSSIBLE_MATCH = "possible_match"
REPLAY = "replay"

_PENDING = "case_reads_noted"
# The cases read through a reason given to open a colleague's case, with the grant's id (docs/organisations.md,
# "Need to know"): their events carry it, so the log tells such reads from the others.
_GRANTED = "case_reads_granted"
# Where the app keeps who is reading: permissions.current_actor, handed over at registration, so that this module does
# not import the permissions that import it.
_ACTOR = "audit.reads.actor"
# The attribute an error sets to the cases its own answer names, with their views.
ERROR_READS = "case_reads"


def note(case_ids: Iterable[uuid.UUID], view: str) -> None:
    """Note that this request read these cases at ``view``: written once it has answered with them. The first view
    noted for a case is kept (a status page that also reads her identity is one read of the status). Outside a
    request (a command, a job) nothing is noted: those write their own events."""
    if not has_request_context():
        return
    pending: dict[uuid.UUID, str] = g.setdefault(_PENDING, {})
    for case_id in case_ids:
        pending.setdefault(case_id, view)


def through_grant(case_id: uuid.UUID, grant_id: uuid.UUID) -> None:
    """Note that this request's read of the case came through a grant (a reason given to open a colleague's case):
    its ``case.viewed`` event names the grant."""
    if not has_request_context():
        return
    g.setdefault(_GRANTED, {})[case_id] = grant_id


def answered_by_error(error: BaseException) -> None:
    """The view ended in an error: its answer shows nothing the view loaded, only the cases the error names."""
    if not has_request_context():
        return
    g.pop(_PENDING, None)
    g.pop(_GRANTED, None)
    named: Mapping[uuid.UUID, str] = getattr(error, ERROR_READS, None) or {}
    for case_id, view in named.items():
        note([case_id], view)


def write_reads(response: Response) -> Response:
    """After the request (after_request): one ``case.viewed`` event per case the answer showed, ids and codes only."""
    from diversion.audit.services import Entry, record_events
    from diversion.db import transaction

    pending: dict[uuid.UUID, str] = g.pop(_PENDING, None) or {}
    granted: dict[uuid.UUID, uuid.UUID] = g.pop(_GRANTED, None) or {}
    if not pending or 300 <= response.status_code < 400:
        return response
    page = request.endpoint or ""
    entries = [
        Entry("referral", case_id, case_id, {"page": page, "view": view, **_grant_detail(granted.get(case_id))})
        for case_id, view in pending.items()
    ]
    with transaction(expire=False):
        record_events("case.viewed", entries, actor=current_app.extensions[_ACTOR]())
    return response


def _grant_detail(grant_id: uuid.UUID | None) -> dict[str, str]:
    return {"grant": str(grant_id)} if grant_id is not None else {}


def _forget(_error: BaseException | None = None) -> None:
    # Each request starts with nothing noted and leaves nothing behind, even where requests share an app context.
    g.pop(_PENDING, None)
    g.pop(_GRANTED, None)


def register(app: Flask, actor: Callable[[], Any]) -> None:
    """Install the hook that writes each request's reads, and clear the notes before and after every request; ``actor``
    answers who the signed-in reader is (permissions.current_actor)."""
    app.extensions[_ACTOR] = actor
    app.before_request(_forget)
    app.after_request(write_reads)
    app.teardown_request(_forget)
