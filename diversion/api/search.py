"""API: finding her cases by who she is, by POST (docs/api.md, "Search by POST").

Her family name, date of birth and URN never travel in an address: an address is written to access logs, proxies'
logs and browser histories, a body is not. ``POST /referrals/search`` takes them in its body and answers the list's
shape, as the caller may see it; a GET of ``/referrals`` that names them is refused (400) and pointed here
(``refuse_identity_in_query`` in diversion/api/inputs.py).
"""

from __future__ import annotations

from typing import Any

from diversion.api import bp
from diversion.api.parsing import Reader, json_object
from diversion.api.referrals import case_list
from diversion.errors import ValidationFailed
from diversion.permissions import requires
from diversion.referrals import queries
from diversion.referrals.urns import check_urn

URN_MESSAGE = "Enter the URN in the police format, like 01/AB/12345/26"
MIN_PAGE_SIZE = 1
ONE_FORM = "Send either family_name with date_of_birth, or urn"


def search_input(body: dict[str, Any]) -> tuple[queries.CaseFilters, queries.Cursor | None, int]:
    """The search's filters (one form of the two), the cursor of the page wanted, and the page size."""
    reader = Reader(body, ("family_name", "date_of_birth", "urn", "cursor", "limit"))
    family_name = reader.text("family_name", max_length=200)
    date_of_birth = reader.day("date_of_birth")
    urn = reader.text("urn", max_length=200)
    cursor_text = reader.text("cursor", max_length=400)
    limit = reader.integer("limit")
    after = queries.Cursor.decode(cursor_text) if cursor_text else None
    if cursor_text and after is None:
        reader.problems.malformed["cursor"] = "Not a cursor from this search"
    reader.problems.raise_if_any()
    by_name = family_name is not None or date_of_birth is not None
    problems: dict[str, str] = {}
    if by_name and urn is not None:
        problems = {"urn": ONE_FORM, "family_name": ONE_FORM}
    elif not by_name and urn is None:
        problems = {"family_name": ONE_FORM, "urn": ONE_FORM}
    elif by_name and (not (family_name or "").strip() or date_of_birth is None):
        missing = "date_of_birth" if date_of_birth is None else "family_name"
        problems = {missing: "Give family_name and date_of_birth together"}
    if urn is not None and not problems:
        try:
            urn = check_urn(urn)
        except ValueError:
            problems = {"urn": URN_MESSAGE}
    if limit is not None and not MIN_PAGE_SIZE <= limit <= queries.MAX_PAGE_SIZE:
        problems["limit"] = f"Must be a whole number from {MIN_PAGE_SIZE} to {queries.MAX_PAGE_SIZE}"
    if problems:
        raise ValidationFailed(f"The search breaks a rule: {next(iter(problems.values()))}", problems)
    filters = queries.CaseFilters(urn=urn, family_name=family_name, date_of_birth=date_of_birth)
    return filters, after, limit or queries.DEFAULT_PAGE_SIZE


@bp.route("/referrals/search", methods=["POST"])
@requires("referral_status")
def search_referrals() -> Any:
    """Her cases found by family name and date of birth, or by URN; court users see their own court's only. Each
    case in the answer is audited as read, as the list's are."""
    filters, after, limit = search_input(json_object())
    return case_list(filters, after, limit)
