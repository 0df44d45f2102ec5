"""The command line: courts, users, tokens, keys and demo data (flask --app wsgi ...)."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from diversion.admin.services import court_by_code
from diversion.auth import passwords
from diversion.auth.models import ApiToken, User
from diversion.auth.services import find_user_by_email
from diversion.auth.tokens import user_for_token
from diversion.courts.models import Court
from diversion.crypto.keys import parse_master_keys
from diversion.extensions import db
from diversion.main.demo import DEMO_USERS
from tests.factories import create_court, create_user, log_in_as

STRONG = "purple tractors eat soup"


@pytest.fixture
def cli(app, app_ctx):
    """Run a command inside the test's app context, so it works in the test's transaction."""
    runner = app.test_cli_runner()

    def invoke(*args: str, stdin: str | None = None) -> Any:
        return runner.invoke(args=list(args), input=stdin)

    return invoke


def _count(model: type) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


# --- courts ---


def test_courts_add(cli) -> None:
    result = cli("courts", "add", "rvs2", "Riverside Magistrates' Court")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "Court RVS2 added."
    court = court_by_code("RVS2")
    assert court.name == "Riverside Magistrates' Court"


def test_courts_add_refuses_a_duplicate_code(cli) -> None:
    create_court(code="DUP2")
    before = _count(Court)
    result = cli("courts", "add", "DUP2", "Another court")
    assert result.exit_code == 1
    assert "A court with this code already exists" in result.stderr
    assert _count(Court) == before


# --- users ---


def test_users_create_takes_a_display_name(cli) -> None:
    result = cli("users", "create", "named@example.org", "--role", "worker", "--name", "  Ruth   Adeyemi ")
    assert result.exit_code == 0, result.output
    assert "User named@example.org (Ruth Adeyemi) created with role worker." in result.stdout
    assert find_user_by_email("named@example.org").display_name == "Ruth Adeyemi"


def test_users_create_refuses_a_blank_name(cli) -> None:
    result = cli("users", "create", "blank.name@example.org", "--role", "worker", "--name", "   ")
    assert result.exit_code == 1
    assert "Enter a name" in result.stderr
    assert find_user_by_email("blank.name@example.org") is None


def test_users_create_refuses_an_email_address_in_the_wrong_format(cli) -> None:
    before = _count(User)
    result = cli("users", "create", '=hyperlink("http://evil.example","x")@x.example', "--role", "worker")
    assert result.exit_code == 1
    assert "Enter an email address in the correct format, like name@example.org" in result.stderr
    assert "evil.example" not in result.stderr
    assert _count(User) == before


def test_users_create_with_a_password_from_stdin(cli) -> None:
    result = cli(
        "users", "create", "Stdin.User@Example.org", "--role", "manager", "--password-stdin", stdin=STRONG + "\n"
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "User stdin.user@example.org (Stdin.User) created with role manager."
    assert STRONG not in result.output
    user = find_user_by_email("stdin.user@example.org")
    assert user.role == "manager"
    assert user.display_name == "Stdin.User"  # no --name: the part of the email before the @
    assert user.must_change_password is False
    assert passwords.verify_password(user.password_hash, STRONG)


def test_users_create_without_a_password_prints_a_temporary_one(cli) -> None:
    result = cli("users", "create", "temp.user@example.org", "--role", "worker")
    assert result.exit_code == 0, result.output
    match = re.search(r"Temporary password \(shown once; changed at first sign-in\): (\S+)", result.stdout)
    assert match
    user = find_user_by_email("temp.user@example.org")
    assert user.must_change_password is True
    assert passwords.verify_password(user.password_hash, match.group(1))


def test_users_create_a_court_user(cli) -> None:
    court = create_court(code="CLI1")
    result = cli("users", "create", "court.user@example.org", "--role", "court", "--court", "cli1")
    assert result.exit_code == 0, result.output
    assert find_user_by_email("court.user@example.org").court_id == court.id


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--role", "court"], None, "Select the court this user works at"),
        (["--role", "court", "--court", "NOPE"], None, "Select the court this user works at"),
        (["--role", "worker", "--court", "CLI2"], None, "Only court staff belong to a court"),
        (["--role", "worker", "--password-stdin"], "password1234\n", "too common"),
        (["--role", "worker", "--password-stdin"], "short\n", "12 characters"),
        (["--role", "worker", "--password-stdin"], "\n", "12 characters"),
    ],
)
def test_users_create_refuses_what_breaks_the_rules(cli, args: list[str], stdin: str | None, message: str) -> None:
    create_court(code="CLI2")
    before = _count(User)
    result = cli("users", "create", "refused.user@example.org", *args, stdin=stdin)
    assert result.exit_code == 1
    assert message in result.stderr
    assert result.stdout == ""
    assert _count(User) == before


def test_users_create_refuses_an_existing_email_and_an_unknown_role(cli) -> None:
    create_user(email="exists@example.org")
    result = cli("users", "create", "EXISTS@example.org", "--role", "worker")
    assert result.exit_code == 1
    assert "already exists" in result.stderr
    assert cli("users", "create", "x@example.org", "--role", "superuser").exit_code == 2


def test_users_disable_ends_their_sessions_and_tokens(cli, app) -> None:
    user = create_user(email="to.disable@example.org")
    browser = log_in_as(app.test_client(), user)
    assert browser.get("/home").status_code == 200
    token = cli("users", "token", user.email).stdout.strip()
    assert user_for_token(token) is not None

    result = cli("users", "disable", "to.disable@example.org")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "User to.disable@example.org disabled."
    db.session.expire_all()
    assert db.session.get(User, user.id).is_disabled is True
    assert browser.get("/home").status_code == 302
    assert user_for_token(token) is None


def test_users_disable_an_unknown_email(cli) -> None:
    result = cli("users", "disable", "nobody@example.org")
    assert result.exit_code == 1
    assert "No user with that email address" in result.stderr


def test_users_token_prints_the_token_alone_and_stores_only_its_hash(cli) -> None:
    user = create_user(email="api.user@example.org", role="court")
    result = cli("users", "token", "api.user@example.org")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    raw = lines[0]
    assert re.fullmatch(r"dvn_[A-Za-z0-9_-]{40,}", raw)
    assert user_for_token(raw).id == user.id

    stored = db.session.execute(select(ApiToken.__table__)).all()
    assert len(stored) == 1
    for value in stored[0]:
        assert raw not in str(value)
        assert raw[4:] not in str(value)  # not even without its visible prefix
    assert stored[0].prefix == raw[:8]
    assert stored[0].name == "Command line"

    second = cli("users", "token", "api.user@example.org").stdout.strip()
    assert second != raw
    assert user_for_token(second).id == user.id


def test_users_token_takes_a_name(cli) -> None:
    create_user(email="named.token@example.org", role="cps")
    result = cli("users", "token", "named.token@example.org", "--name", "CPS case system")
    assert result.exit_code == 0, result.output
    assert db.session.scalars(select(ApiToken.name)).one() == "CPS case system"


def test_users_token_refuses_a_disabled_or_unknown_user(cli) -> None:
    create_user(email="off@example.org")
    cli("users", "disable", "off@example.org")
    before = _count(ApiToken)
    for email in ("off@example.org", "nobody@example.org"):
        result = cli("users", "token", email)
        assert result.exit_code == 1, email
        assert result.stdout == ""
    assert _count(ApiToken) == before


# --- keys ---


def test_keys_generate_prints_a_new_32_byte_key(cli) -> None:
    first = cli("keys", "generate")
    second = cli("keys", "generate")
    assert first.exit_code == 0
    line = first.stdout.strip()
    key_id, _, encoded = line.partition(":")
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,32}", key_id)
    assert len(base64.b64decode(encoded, validate=True)) == 32
    assert parse_master_keys(line)[0].id == key_id
    assert second.stdout.strip().partition(":")[2] != encoded


# --- audit ---


def test_audit_verify_on_an_intact_chain(cli) -> None:
    create_court()
    result = cli("audit", "verify")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Audit chain intact:")


# --- demo data ---


def test_demo_seed_is_idempotent_and_prints_a_line_per_role(cli) -> None:
    first = cli("demo", "seed")
    assert first.exit_code == 0, first.output
    counts = (_count(User), _count(Court))
    lines = first.stdout.splitlines()
    for role in ("worker", "manager", "court", "cps", "admin"):
        assert any(re.match(rf"\s+{role}\s+\S+@example\.org", line) for line in lines), role
    for email, role, court, _ in DEMO_USERS:
        user = find_user_by_email(email)
        assert user.role == role
        assert (user.court.code if user.court else None) == court

    second = cli("demo", "seed")
    assert second.exit_code == 0, second.output
    assert (_count(User), _count(Court)) == counts
    assert second.stdout == first.stdout


def test_demo_cases_come_with_their_outcome_notices_the_older_ones_decided(cli) -> None:
    from datetime import timedelta

    from diversion.dates import today
    from diversion.notices.models import OutcomeNotice
    from diversion.referrals.models import Referral

    result = cli("demo", "seed", "--clients", "60")
    assert result.exit_code == 0, result.output
    closed = db.session.scalar(
        select(func.count())
        .select_from(Referral)
        .where(Referral.state.in_(["COMPLETED", "NOT_COMPLETED", "WITHDRAWN"]))
    )
    notices = list(db.session.scalars(select(OutcomeNotice)))
    assert closed
    assert len(notices) == closed
    cutoff = today() - timedelta(days=7)
    for notice in notices:
        decided = notice.decision is not None
        assert decided == (notice.outcome_date < cutoff), (notice.outcome_date, notice.decision)
        if decided:
            expected = "discontinued" if notice.outcome == "completed" else "proceeding"
            assert notice.decision == expected
            assert notice.decided_on >= notice.outcome_date
