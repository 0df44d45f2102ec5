"""The contact log on the web (docs/contacts.md): a worker logs a contact and sees it in the case's timeline, newest
first; mistakes show the error summary and log nothing; the filters are a GET form; the words are encrypted and
never audited; court, CPS and administrator accounts never reach it; a colleague's case asks for a reason first.

The clock is Tuesday 1 December 2026, 10:00 in London (UTC, in winter)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from diversion.contacts.models import Contact
from diversion.contacts.services import (
    AT_IN_FUTURE,
    DIRECTION_MISSING,
    FUTURE_TOLERANCE,
    KIND_MISSING,
    LOGGED,
    ContactInput,
    contact_problems,
)
from diversion.db import utcnow
from diversion.extensions import db
from diversion.referrals.models import State
from tests import pages
from tests.contacts.helpers import log
from tests.factories import (
    audit_events,
    create_court,
    create_referral,
    create_scheme,
    create_user,
    date_fields,
    last_audit_id,
    log_in_as,
    raw_column,
)

pytestmark = pytest.mark.clock("2026-12-01 10:00")

WITH = "Canary-with: her sister at the hostel on Mill Lane"
NOTE = "Canary-note: she can come on Thursday\nafter the school run"
TODAY = date(2026, 12, 1)


@pytest.fixture
def worker(app_ctx):
    return create_user(role="worker", display_name="Sam Ortiz")


@pytest.fixture
def case(worker):
    return create_referral(state=State.OPTED_IN, worker=worker)


def path(referral) -> str:
    return f"/cases/{referral.id}/contacts"


def form(**changes) -> dict[str, str]:
    data = {
        "kind": "call",
        "direction": "out",
        "with_whom": WITH,
        **date_fields("day", TODAY),
        "time": "9:15am",
        "note": NOTE,
    }
    data.update(changes)
    return data


def contacts() -> int:
    return int(db.session.scalar(select(func.count()).select_from(Contact)) or 0)


def titles(page: pages.Page) -> list[str]:
    return [item.get_text(" ", strip=True) for item in page.select(".app-contact .moj-timeline__title")]


def test_a_worker_logs_a_call_and_sees_it_in_the_timeline(client, worker, case) -> None:
    log_in_as(client, worker)
    page = pages.get(client, path(case))
    assert page.title.startswith("Contacts - Case - ")
    # Today, by default.
    assert page.value("day-day") == "1"
    assert page.value("day-year") == "2026"
    assert "No contacts logged yet." in page.text

    mark = last_audit_id()
    shown = pages.post(client, path(case), form(), status=302, redirect=path(case))
    page = pages.get(client, shown.location)
    assert "Contact logged." in page.text
    assert titles(page) == ["Phone call, outgoing"]
    entry = page.select_one(".app-contact")
    assert "1 December 2026, 9:15am" in entry.get_text(" ", strip=True)
    assert "logged by Sam Ortiz" in entry.get_text(" ", strip=True)
    assert f"With: {WITH}" in page.text
    assert "Canary-note: she can come on Thursday after the school run" in page.text
    assert entry.select_one("time")["datetime"] == "2026-12-01T09:15:00+00:00"

    contact = db.session.scalars(select(Contact)).one()
    assert (contact.referral_id, contact.client_id, contact.logged_by_id) == (case.id, case.client_id, worker.id)
    assert contact.contacted_at == datetime(2026, 12, 1, 9, 15, tzinfo=UTC)
    # Encrypted under her key: the words are not in the stored columns.
    assert b"Canary-with" not in raw_column(model=Contact, column="with_whom", row_id=contact.id)
    assert b"Canary-note" not in raw_column(model=Contact, column="note", row_id=contact.id)
    # Audited with its kind and direction, never its words.
    [event] = audit_events(case_id=case.id, action="contact.logged", after=mark)
    assert event.details == {"kind": "call", "direction": "out"}
    assert (event.object_type, event.object_id, event.actor_id) == ("contact", str(contact.id), worker.id)


def test_the_time_is_london_time(client, worker, case, clock) -> None:
    clock.move_to(datetime(2026, 7, 1, 12, tzinfo=UTC))
    log_in_as(client, worker)
    pages.post(client, path(case), form(**date_fields("day", date(2026, 7, 1)), time="9:15am"), status=302)
    assert db.session.scalars(select(Contact)).one().contacted_at == datetime(2026, 7, 1, 8, 15, tzinfo=UTC)


def test_the_timeline_is_newest_first_and_says_who_logged_each(client, worker, case) -> None:
    manager = create_user(role="manager", display_name="Mo Grant")
    log(case, worker, utcnow() - timedelta(days=2), kind="visit", direction="in")
    log(case, manager, utcnow() - timedelta(hours=1), kind="text")
    log(case, worker, utcnow() - timedelta(days=1), kind="letter")
    log_in_as(client, manager)
    page = pages.get(client, path(case))
    assert titles(page) == ["Text message, outgoing", "Letter, outgoing", "Visit, incoming"]
    bylines = [item.get_text(strip=True) for item in page.select(".app-contact .moj-timeline__byline")]
    assert bylines == ["logged by Mo Grant", "logged by Sam Ortiz", "logged by Sam Ortiz"]
    assert "3 contacts, newest first." in page.text


def test_a_form_with_nothing_chosen_shows_the_error_summary_and_logs_nothing(client, worker, case) -> None:
    log_in_as(client, worker)
    page = pages.post(client, path(case), {"kind": "", "direction": "", "time": ""})
    assert page.title.startswith("Error: Contacts")
    assert page.error_summary == [
        KIND_MISSING,
        DIRECTION_MISSING,
        "Enter the date of the contact",
        "Enter the time of the contact",
    ]
    assert page.errors["kind"] == KIND_MISSING
    assert page.errors["time"] == "Enter the time of the contact"
    assert contacts() == 0
    assert audit_events(case_id=case.id, action="contact.logged") == []


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"time": "10:30"}, "day", AT_IN_FUTURE),
        ({**date_fields("day", date(2026, 12, 2)), "time": "9am"}, "day", AT_IN_FUTURE),
        ({"time": "25:00"}, "time", "Enter a time like 10:30 or 2:15pm"),
        ({"day-month": "13"}, "day", "The date of the contact must be a real date"),
        ({"kind": "fax"}, "kind", "Not a valid choice."),
        ({"with_whom": "x" * 201}, "with_whom", "The answer must be 200 characters or fewer"),
        ({"note": "x" * 5001}, "note", "The answer must be 5,000 characters or fewer"),
    ],
)
def test_a_wrong_answer_is_shown_on_its_field_and_logs_nothing(client, worker, case, changes, field, message) -> None:
    log_in_as(client, worker)
    page = pages.post(client, path(case), form(**changes))
    assert page.error_summary == [message]
    assert page.errors[field] == message
    assert contacts() == 0
    # What she typed is kept for her to correct.
    assert page.value("time") == form(**changes)["time"]


def test_a_time_a_few_minutes_ahead_of_the_clock_is_taken_and_later_is_not(app_ctx) -> None:
    def problems(at: datetime) -> dict[str, str]:
        return contact_problems(ContactInput(kind="call", direction="in", contacted_at=at))

    assert problems(utcnow() + FUTURE_TOLERANCE - timedelta(seconds=5)) == {}
    assert problems(utcnow() + FUTURE_TOLERANCE + timedelta(seconds=5)) == {"at": AT_IN_FUTURE}


def test_a_second_submit_of_the_same_form_logs_one_contact(client, worker, case) -> None:
    log_in_as(client, worker)
    page = pages.get(client, path(case))
    data = {**form(), "csrf_token": page.csrf_token, "one_time_key": page.value("one_time_key")}
    pages.post(client, path(case), data, status=302, redirect=path(case))
    again = pages.post(client, path(case), data, status=302, redirect=path(case))
    assert "This was already saved." in pages.get(client, again.location).text
    assert contacts() == 1


# --- filters ---


@pytest.fixture
def logged(case, worker):
    """Four contacts: a call out and a text in on 25 November, a visit in on 28 November, a call in today."""
    log(case, worker, datetime(2026, 11, 25, 9, tzinfo=UTC), kind="call", direction="out")
    log(case, worker, datetime(2026, 11, 25, 15, tzinfo=UTC), kind="text", direction="in")
    log(case, worker, datetime(2026, 11, 28, 11, tzinfo=UTC), kind="visit", direction="in")
    log(case, worker, datetime(2026, 12, 1, 8, tzinfo=UTC), kind="call", direction="in")
    return case


def filtered(**values) -> dict[str, str]:
    return {f"filter-{name}": value for name, value in values.items()}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["Phone call, incoming", "Visit, incoming", "Text message, incoming", "Phone call, outgoing"]),
        (filtered(kind="call"), ["Phone call, incoming", "Phone call, outgoing"]),
        (filtered(direction="in"), ["Phone call, incoming", "Visit, incoming", "Text message, incoming"]),
        (filtered(kind="call", direction="out"), ["Phone call, outgoing"]),
        ({**filtered(**date_fields("from_date", date(2026, 11, 26)))}, ["Phone call, incoming", "Visit, incoming"]),
        (
            {**filtered(**date_fields("to_date", date(2026, 11, 25)))},
            ["Text message, incoming", "Phone call, outgoing"],
        ),
        (
            filtered(**date_fields("from_date", date(2026, 11, 28)), **date_fields("to_date", date(2026, 11, 28))),
            ["Visit, incoming"],
        ),
        (filtered(kind="letter"), []),
    ],
)
def test_the_filters_narrow_the_timeline(client, worker, logged, query, expected) -> None:
    log_in_as(client, worker)
    page = pages.get(client, path(logged) + "?" + "&".join(f"{key}={value}" for key, value in query.items()))
    assert titles(page) == expected
    if not expected:
        assert "No contacts match the filters." in page.text
    if query:
        # The filters show what was asked, and can be cleared.
        assert page.link("Clear the filters") == path(logged)
        for name, value in query.items():
            assert page.value(name) == value


def test_the_filter_form_is_a_get_form_without_a_token(client, worker, logged) -> None:
    log_in_as(client, worker)
    page = pages.get(client, path(logged))
    filters = page.form(path(logged), containing="filter-kind")
    assert filters.get("method") == "get"
    assert page.hidden_fields(filters) == {}
    logger = page.form(path(logged), containing="kind")
    assert logger.get("method") == "post"


def test_a_day_is_a_london_day(client, worker, case, clock) -> None:
    clock.move_to(datetime(2026, 7, 2, 12, tzinfo=UTC))
    log(case, worker, datetime(2026, 6, 30, 23, 30, tzinfo=UTC))  # 00:30 on 1 July in London
    log_in_as(client, worker)
    july = pages.get(client, path(case) + "?filter-from_date-day=1&filter-from_date-month=7&filter-from_date-year=2026")
    assert len(titles(july)) == 1
    june = pages.get(client, path(case) + "?filter-to_date-day=30&filter-to_date-month=6&filter-to_date-year=2026")
    assert titles(june) == []


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        (
            filtered(**date_fields("from_date", date(2026, 11, 28)), **date_fields("to_date", date(2026, 11, 25))),
            "filter-to_date",
            "The last day must be the same as or after the first day",
        ),
        (
            filtered(**{"from_date-day": "31", "from_date-month": "2", "from_date-year": "2026"}),
            "filter-from_date",
            "The first day must be a real date",
        ),
        (filtered(kind="fax"), "filter-kind", "Select a kind from the list"),
        (filtered(direction="sideways"), "filter-direction", "Select a direction from the list"),
    ],
)
def test_wrong_filters_show_the_error_summary_and_the_whole_log(client, worker, logged, query, field, message) -> None:
    log_in_as(client, worker)
    url = path(logged) + "?" + "&".join(f"{key}={value}" for key, value in query.items())
    page = pages.get(client, url, status=422)
    assert page.title.startswith("Error: Contacts")
    assert page.error_summary == [message]
    assert page.errors[field] == message
    assert len(titles(page)) == 4


# --- who may, and the audit of reads ---


@pytest.mark.parametrize("role", ["court", "cps", "admin"])
def test_court_cps_and_administrators_never_reach_the_log(client, worker, logged, role) -> None:
    log_in_as(client, create_user(role=role))
    response = client.get(path(logged))
    assert response.status_code == 403
    assert b"Phone call" not in response.data
    token = pages.get(client, "/account").csrf_token
    assert client.post(path(logged), data={**form(), "csrf_token": token}).status_code == 403
    assert contacts() == 4


def test_reading_the_log_is_audited_as_a_read_of_the_case(client, worker, logged) -> None:
    log_in_as(client, worker)
    mark = last_audit_id()
    pages.get(client, path(logged))
    [event] = audit_events(case_id=logged.id, action="case.viewed", after=mark)
    assert event.details == {"page": "contacts.list_for_case", "view": "full"}
    assert "Canary" not in str(event.details)


def test_the_case_frame_links_to_the_log(client, worker, case) -> None:
    log_in_as(client, worker)
    page = pages.get(client, f"/cases/{case.id}")
    assert page.link("Contacts", within=".app-case-sections") == path(case)


def test_a_colleagues_case_asks_for_a_reason_first(client, app_ctx) -> None:
    scheme = create_scheme(access="assigned")
    court = create_court(schemes=[scheme])
    sam = create_user(role="worker", schemes=[scheme])
    ria = create_user(role="worker", schemes=[scheme])
    colleagues = create_referral(worker=ria, court=court, state="OPTED_IN")
    log(colleagues, ria, utcnow() - timedelta(hours=2), note=NOTE)
    log_in_as(client, sam)
    mark = last_audit_id()
    page = pages.get(client, path(colleagues), status=403)
    assert page.select_one("h1").get_text(strip=True) == "Say why you are opening this case"
    assert "Canary-note" not in page.html
    token = pages.get(client, "/account").csrf_token
    assert client.post(path(colleagues), data={**form(), "csrf_token": token}).status_code == 403
    assert contacts() == 1
    # The page that asks why shows the case's status only, and its read says so.
    reads = audit_events(case_id=colleagues.id, action="case.viewed", after=mark)
    assert {event.details["view"] for event in reads} == {"status"}
    # With a reason given, the log opens, and its read is marked as through the grant.
    data = {"reason": "Covering court today", "next": page.value("next"), "csrf_token": page.csrf_token}
    page = pages.post(client, f"/cases/{colleagues.id}/access", data, status=302, redirect=path(colleagues))
    page = pages.get(client, path(colleagues))
    assert "Canary-note: she can come on Thursday" in page.text
    [read] = audit_events(case_id=colleagues.id, action="case.viewed", after=mark)[-1:]
    assert "grant" in read.details


# --- the case history ---


def test_the_history_shows_contacts_at_the_times_they_happened(client, worker, case, clock) -> None:
    clock.shift(timedelta(hours=2))
    # Half an hour ago, after every event of the case (made two hours ago); and an outreach before she was referred.
    log(case, worker, utcnow() - timedelta(minutes=30), kind="at_court", direction="in")
    log(case, worker, utcnow() - timedelta(days=400), kind="outreach", direction="out", with_whom=WITH)
    log_in_as(client, worker)
    page = pages.get(client, f"/cases/{case.id}/history")
    entries = [item.get_text(" ", strip=True) for item in page.select(".moj-timeline__title")]
    assert entries[0] == "At court, incoming"
    assert entries[-1] == "Outreach, outgoing"
    assert "Referral received" in entries[1:-1]
    # The logging of each contact is not listed a second time.
    changes = [event for event in audit_events(case_id=case.id) if event.action not in ("case.viewed", LOGGED)]
    assert len(entries) == len(changes) + 2
    assert not any("contact" in entry.lower() for entry in entries)
    assert f"With: {WITH}" in page.text
    times = [item["datetime"] for item in page.select(".moj-timeline__date time")]
    assert times == sorted(times, reverse=True)
