"""A case is at risk by its own programme version's at-risk working days (docs/organisations.md, "Programmes"): the
caseload's tab, its count, each row's flag and the morning digest agree, a change of threshold leaves a running case
on its version, and the query stays on the indexes with several thresholds in play."""

from __future__ import annotations

from datetime import timedelta

import pytest

from diversion.dates import today
from diversion.extensions import db
from diversion.notifications.digests import digest_body
from diversion.organisations.services import new_programme_version
from diversion.referrals.caseload import at_risk_cutoff, at_risk_rule, caseload, state_counts
from diversion.referrals.models import State
from diversion.referrals.programme import programme_with_appointments
from tests.factories import create_court, create_referral, create_scheme, create_user, log_in_as, main_scheme
from tests.test_query_plans import plan_of, problems, recorded


class Scene:
    """Three schemes at-risk at 2, 5 (the main scheme's default) and 8 working days, each with a worker and an open
    case whose return date is five working days away; and a worker of all three, who sees the three cases."""

    def __init__(self) -> None:
        self.return_date = at_risk_cutoff(today(), 5)
        self.cases = {}
        self.workers = {}
        schemes = []
        for days in (2, 5, 8):
            scheme = main_scheme() if days == 5 else create_scheme(settings=self.settings(days))
            schemes.append(scheme)
            court = create_court(schemes=[scheme])
            worker = create_user(role="worker", schemes=[scheme])
            self.workers[days] = worker
            self.cases[days] = self.case(worker, court)
        # Each worker sees only her own scheme's cases (diversion/scoping.py): the viewer works in all three.
        self.viewer = create_user(role="worker", schemes=schemes)

    @staticmethod
    def settings(days: int) -> dict:
        return {**programme_with_appointments(f"At risk at {days}", 2), "at_risk_working_days": days}

    def case(self, worker, court):
        return create_referral(
            state=State.OPTED_IN,
            worker=worker,
            court=court,
            first_hearing_date=today() - timedelta(days=20),
            return_date=self.return_date,
        )


@pytest.fixture
def scene(app_ctx) -> Scene:
    return Scene()


def test_each_case_is_at_risk_by_its_schemes_threshold(scene) -> None:
    viewer = scene.viewer
    at_risk = {row.referral.id for row in caseload("at-risk", viewer).rows}
    assert at_risk == {scene.cases[5].id, scene.cases[8].id}
    assert state_counts(viewer)["at-risk"] == 2
    flags = {row.referral.id: row.is_at_risk for row in caseload("open", viewer).rows}
    assert flags == {scene.cases[2].id: False, scene.cases[5].id: True, scene.cases[8].id: True}


def test_one_cutoff_per_threshold_in_play(scene) -> None:
    rule = at_risk_rule()
    assert set(rule.cutoffs.values()) == {at_risk_cutoff(today(), days) for days in (2, 5, 8)}
    assert " OR " in str(rule.condition().compile())
    # Versions of the schemes asked about only.
    assert set(at_risk_rule(scheme_ids=[main_scheme().id]).cutoffs) == {
        case.programme_version_id for case in (scene.cases[5],)
    }


def test_a_change_of_threshold_leaves_a_running_case_on_its_version(scene) -> None:
    new_programme_version(main_scheme(), {"at_risk_working_days": 2}, create_user(role="manager"))
    later = scene.case(scene.workers[5], create_court())
    at_risk = {row.referral.id for row in caseload("at-risk", scene.workers[5]).rows}
    assert scene.cases[5].id in at_risk, "the case started under 5 days keeps them"
    assert later.id not in at_risk, "a case taken after the change is at risk at 2"


def test_the_digest_lists_a_case_at_risk_by_its_own_threshold(scene) -> None:
    day = today()
    assert "At risk" in (digest_body(scene.workers[8], day) or "")
    assert "At risk" not in (digest_body(scene.workers[2], day) or "")


def test_the_at_risk_tab_and_count_read_indexes_with_several_thresholds(app, scene) -> None:
    client = log_in_as(app.test_client(), scene.workers[5])
    dialect = db.session.get_bind().dialect.name
    failures = []
    for path in ("/cases?tab=at-risk", "/cases?tab=open"):
        with recorded(app) as seen:
            response = client.get(path)
        assert response.status_code == 200
        statements = [statement for statement, _ in seen if "return_date <=" in statement]
        assert statements, "the at-risk condition was sent"
        for statement, parameters in seen:
            for problem in problems(statement, plan_of(statement, parameters), dialect):
                failures.append(f"{path}: {problem}\n  {' '.join(statement.split())}")
    assert not failures, "\n".join(failures)
