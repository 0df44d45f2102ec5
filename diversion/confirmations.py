"""Pages that ask to confirm a decision that ends a case before saving it (docs/confirmations.md).

The first submit of the form shows the confirmation page; that page is itself a form carrying the same answers back in
hidden fields (never in an address) with ``confirmed=yes``, or ``change=yes`` to show the form again filled in."""

from __future__ import annotations

from flask import request

# Fields of the confirmation page's own, not answers to carry back.
_OWN = frozenset({"csrf_token", "confirmed", "change", "submit"})


def confirmed() -> bool:
    """True when the request is the confirmation page's confirm button."""
    return request.form.get("confirmed") == "yes" and request.form.get("change") != "yes"


def changing() -> bool:
    """True when the request is the confirmation page's button back to the form, answers kept."""
    return request.form.get("change") == "yes"


def carried_answers() -> list[tuple[str, str]]:
    """The answers sent, as (name, value) pairs, for the confirmation page's hidden fields."""
    return [(name, value) for name, value in request.form.items(multi=True) if name not in _OWN]
