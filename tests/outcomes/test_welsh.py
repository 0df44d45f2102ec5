"""The outcome pages in Welsh: a manager whose account is in Welsh reads the dashboard, its charts and the funder
return in Welsh, while the exports keep their English; and every indicator of the data file is listed for the
catalogue."""

from __future__ import annotations

import csv
import io
import tomllib
from datetime import date
from urllib.parse import urlencode

import pytest

from diversion.extensions import db
from diversion.outcomes.indicator_words import INDICATOR_WORDS
from diversion.outcomes.returns import INDICATORS_FILE
from tests import pages
from tests.factories import create_user, log_in_as
from tests.outcomes.cases import build_cases

Q1 = {
    "period": "custom",
    **{f"start-{part}": str(getattr(date(2026, 1, 1), part)) for part in ("day", "month", "year")},
    **{f"end-{part}": str(getattr(date(2026, 3, 31), part)) for part in ("day", "month", "year")},
}


def url(path: str, args: dict[str, str]) -> str:
    return f"{path}?{urlencode(args)}"


@pytest.fixture
def welsh_manager(client, app_ctx):
    build_cases()
    user = create_user(role="manager")
    user.language = "cy"
    db.session.commit()
    log_in_as(client, user)
    return user


def test_every_indicator_of_the_data_file_is_listed_for_the_catalogue() -> None:
    data = tomllib.loads(INDICATORS_FILE.read_text(encoding="utf-8"))
    words = {word for entry in data["indicator"] for word in (entry["name"], entry["definition"])}
    assert words <= set(INDICATOR_WORDS)


def test_a_welsh_manager_reads_the_dashboard_in_welsh(client, welsh_manager) -> None:
    page = pages.get(client, url("/outcomes", Q1))
    assert '<html lang="cy"' in page.html
    assert page.title.startswith("Canlyniadau: ")
    assert "Tueddiadau fesul mis" in page.text
    assert "Ffigurau fesul mis" in page.text  # a table's caption
    assert "Sut mae'r ffigurau'n cael eu cyfrif" in page.text
    assert "Trends by month" not in page.text


def test_a_welsh_managers_chart_has_a_welsh_title_and_axis(client, welsh_manager) -> None:
    svg = client.get(url("/outcomes/charts/referrals.svg", Q1)).get_data(as_text=True)
    assert "Atgyfeiriadau fesul mis, " in svg
    assert "Achosion a atgyfeiriwyd" in svg


def test_the_funder_return_is_welsh_on_the_page_and_english_in_its_csv(client, welsh_manager) -> None:
    page = pages.get(client, url("/outcomes/return", Q1))
    assert '<html lang="cy"' in page.html
    assert "Ffurflen y cyllidwr" in page.text
    assert "Atgyfeiriadau a gafwyd" in page.text  # an indicator's name, from the data file
    rows = list(csv.DictReader(io.StringIO(client.get(url("/outcomes/return.csv", Q1)).get_data(as_text=True))))
    assert rows[0]["name"] == "Referrals received"
    assert rows[0]["group"] == "All"
    assert rows[0]["court"] == "All courts"
