"""The case page's frame, which every section of a case renders into: the overview, consent and history here, and
the appointments, assessment, plan, reviews and messages of the other domains.

It reads what the frame shows (the next action, the working days left, the safe contact details) and renders; the read
is audited from the case loader once the page has answered (diversion/audit/reads.py). Kept apart from the referral
views so that the other domains' views import it at the top without taking in every referral page, and it imports only
what it reads.
"""

from __future__ import annotations

from typing import Any

from flask import render_template, request

from diversion.clients.services import SafeContact
from diversion.referrals.models import Referral
from diversion.referrals.reads import working_days_left
from diversion.referrals.states import next_action


def case_page(referral: Referral, page: str, template: str, **context: Any) -> str:
    """A page of the case ``page`` (the tab it belongs to), rendered from ``template`` inside the case's frame."""
    context.update(
        next_action=next_action(referral),
        working_days_left=working_days_left(referral),
        safe_contact=SafeContact.from_json(referral.client.safe_contact),
    )
    return render_template(template, referral=referral, page=page, **context)


def not_yet_page(referral: Referral, page: str, heading: str, blocked: Any, **context: Any) -> tuple[str, int]:
    """A section whose form cannot be saved yet shows what comes first instead of the form (docs/not-yet.md): a GET
    answers 200, a POST is refused with 409 and changes nothing."""
    body = case_page(referral, page, "referrals/not_yet.html", heading=heading, not_yet=blocked, **context)
    return body, 200 if request.method == "GET" else 409
