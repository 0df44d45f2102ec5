"""The completion report in Welsh: its headings, table headings and chart for an account in Welsh; its CSV keeps the
English definition the API gives."""

from __future__ import annotations

import csv
import io

from diversion.extensions import db
from diversion.reports import services
from tests import pages
from tests.factories import create_user, log_in_as


def test_a_welsh_manager_reads_the_completion_report_in_welsh(client, app_ctx) -> None:
    user = create_user(role="manager")
    user.language = "cy"
    db.session.commit()
    log_in_as(client, user)
    page = pages.get(client, "/reports/completion")
    assert '<html lang="cy"' in page.html
    assert page.title.startswith("Adroddiad cwblhau: ")
    assert "Y niferoedd y tu ôl iddi" in page.text  # a table's caption
    assert "Beth mae'n ei gyfrif" in page.text  # a table's heading
    assert "Dangos y ffigurau" in page.html  # the form's button
    chart = client.get("/reports/completion/chart.svg").get_data(as_text=True)
    assert "Achosion wedi gorffen fesul mis, " in chart
    rows = list(csv.DictReader(io.StringIO(client.get("/reports/completion.csv").get_data(as_text=True))))
    assert rows[0]["definition"] == services.DEFINITION
