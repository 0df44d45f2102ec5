"""What every template can use: the service's name, navigation for the user's role, the CSP nonce."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import phonenumbers
from flask import Flask, g, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from diversion.dates import clock_time, horizon_warning, london_date, london_datetime, long_date, short_date
from diversion.forms import error_summary
from diversion.headers import csp_nonce
from diversion.permissions import user_allows

# (endpoint, label, rule): shown when the user's role passes the rule. Later domains add their entries here.
NAVIGATION: list[tuple[str, Any, str]] = [
    ("main.home", _l("Home"), "signed_in"),
    ("referrals.caseload_page", _l("Caseload"), "client_records"),
    ("alerts.index", _l("Alerts"), "client_records"),
    ("referrals.new", _l("New referral"), "make_referral"),
    ("referrals.court_day", _l("Court day"), "referral_status"),
    ("referrals.status_list", _l("Referrals"), "partner_status"),
    ("notices.inbox", _l("Notices"), "notices"),
    ("reports.completion", _l("Completion report"), "completion_reports"),
    ("outcomes.dashboard", _l("Outcomes"), "outcome_reports"),
    ("notifications.failed", _l("Failed messages"), "case_management"),
    ("privacy.index", _l("Data protection"), "data_protection"),
    ("privacy.audit", _l("Audit log"), "audit_log"),
    ("organisations.programmes", _l("Programmes"), "programme"),
    ("notifications.preferences", _l("Email settings"), "notice_emails"),
    ("admin.accounts_to_confirm", _l("Accounts to confirm"), "case_management"),
    ("admin.users", _l("Users"), "admin"),
    ("admin.courts", _l("Courts"), "admin"),
    ("organisations.schemes", _l("Schemes"), "admin"),
    ("organisations.platform", _l("Organisations"), "platform"),
    ("venues.index", _l("Venues"), "venues"),
    ("auth.account", _l("Your account"), "signed_in"),
]


# Pages that belong under a navigation item although their endpoint is not the item's own.
SECTIONS = {
    "referrals.caseload_page": (
        "referrals.",
        "appointments.",
        "assessments.",
        "care_plans.",
        "notifications.case_messages",
        "notifications.quiet_hours",
        "notifications.stop",
        "outcomes.review_list",
        "outcomes.new_review",
        "outcomes.edit_review",
        "outcomes.equality",
        "privacy.viewed_by",
    ),
    "alerts.index": ("alerts.",),
    "admin.users": ("admin.user",),
    "admin.courts": ("admin.new_court", "admin.edit_court"),
    "organisations.schemes": ("organisations.schemes", "organisations.new_scheme", "organisations.edit_scheme"),
    "organisations.platform": ("organisations.platform", "organisations.new_organisation"),
    "venues.index": ("venues.",),
    "organisations.programmes": ("organisations.programme",),
    "notices.inbox": ("notices.",),
    "notifications.failed": ("notifications.failed", "notifications.retry"),
    "referrals.status_list": ("referrals.status",),
    "privacy.index": (
        "privacy.index",
        "privacy.client",
        "privacy.hold",
        "privacy.export_",
        "privacy.request_",
        "privacy.erasure",
    ),
    "outcomes.dashboard": (
        "outcomes.dashboard",
        "outcomes.chart",
        "outcomes.cases",
        "outcomes.funder_",
        "outcomes.save_snapshot",
        "outcomes.snapshot",
    ),
}
NOT_IN_SECTIONS = ("referrals.new", "referrals.court_day", "referrals.status", "referrals.status_list")
# The platform operator's home is her list of organisations: her navigation is that and her account, nothing else.
OPERATOR_NAVIGATION = ("organisations.platform", "auth.account")


def navigation_items() -> list[dict[str, Any]]:
    """Service navigation for the signed-in user's role, with the current section marked."""
    if not current_user.is_authenticated:
        return []
    items = []
    current = request.endpoint or ""
    operator = current_user.role == "operator"
    for endpoint, label, rule in NAVIGATION:
        if not user_allows(current_user, rule) or (operator and endpoint not in OPERATOR_NAVIGATION):
            continue
        in_section = current not in NOT_IN_SECTIONS and current.startswith(SECTIONS.get(endpoint, (endpoint,)))
        if endpoint == "alerts.index":
            label = alerts_label()
        items.append({"href": url_for(endpoint), "text": str(label), "active": current == endpoint or in_section})
    return items


def alerts_label() -> str:
    """The header's Alerts item with her unread count (docs/alerts.md): one indexed COUNT per page, however often
    the page builds its navigation."""
    from diversion.alerts.services import unread_count

    if "alerts_unread" not in g:
        g.alerts_unread = unread_count(current_user._get_current_object())
    count = g.alerts_unread
    return _("Alerts (%(count)d unread)", count=count) if count else _("Alerts")


def london(value: datetime | date | None, with_time: bool = True) -> str:
    """A UTC time shown in Europe/London, as GOV.UK writes it: 29 November 2026, 11:13am (or the date alone)."""
    if value is None:
        return ""
    if not isinstance(value, date):
        return str(value)  # a date of birth that cannot be decrypted (an erased client) reads "unreadable"
    if not isinstance(value, datetime):
        return long_date(value)
    return london_datetime(value) if with_time else long_date(london_date(value))


def london_short(value: datetime | date | None) -> str:
    """A compact date (and time) for tables: 29 Nov 2026, 11:13am."""
    if value is None:
        return ""
    if not isinstance(value, date):
        return str(value)
    if not isinstance(value, datetime):
        return short_date(value)
    return london_datetime(value, short=True)


def london_iso(value: str | None) -> str:
    """An ISO 8601 time kept as text (a subject access export's) shown in London as GOV.UK writes it; text that is
    not such a time is shown as it is."""
    try:
        moment = datetime.fromisoformat(value or "")
    except ValueError:
        return value or ""
    return london_datetime(moment) if moment.tzinfo is not None else str(value)


def phone_text(value: str | None) -> str:
    """A stored (international) UK number as people write it: 07700 100123."""
    if not value:
        return ""
    try:
        number = phonenumbers.parse(str(value), "GB")
    except phonenumbers.NumberParseException:
        return str(value)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


# The CPS's decisions on a notice, in words (the stored values stay English: docs/reversals.md).
DECISION_LABELS = {"discontinued": _l("Discontinued"), "proceeding": _l("Proceeding")}


def decision_label(value: str | None) -> str:
    """A notice's decision in words: Discontinued, Proceeding."""
    return str(DECISION_LABELS.get(value or "", (value or "").title()))


def home_links() -> list[dict[str, Any]]:
    """The home page's list of where to go: the navigation without Home itself."""
    return [item for item in navigation_items() if item["href"] != url_for("main.home")]


def register_template_context(app: Flask) -> None:
    """Add the globals and filters to the Jinja environment."""
    from diversion.referrals import presenters

    app.jinja_env.add_extension("jinja2.ext.do")
    app.add_template_filter(london, "london")
    app.add_template_filter(london_short, "london_short")
    app.add_template_filter(london_iso, "london_iso")
    app.add_template_filter(clock_time, "clock_time")
    app.add_template_filter(phone_text, "phone")
    app.add_template_filter(decision_label, "decision_label")
    presenters.register(app)

    @app.context_processor
    def inject() -> dict[str, Any]:
        from diversion.i18n import current_language

        language = current_language()
        return {
            # A name can be given in Welsh too (SERVICE_NAME_CY, ORGANISATION_NAME_CY); else it is shown as set.
            "service_name": app.config.get(f"SERVICE_NAME_{language.upper()}") or app.config["SERVICE_NAME"],
            "organisation_name": app.config.get(f"ORGANISATION_NAME_{language.upper()}")
            or app.config["ORGANISATION_NAME"],
            "csp_nonce": csp_nonce,
            "navigation_items": navigation_items,
            "home_links": home_links,
            "error_summary": error_summary,
            "horizon_warning": horizon_warning,
            "session_timeout_seconds": int(app.config["SESSION_IDLE_TIMEOUT"].total_seconds()),
        }
