"""After signing in she comes back to the page she was on (docs/sessions.md): a path on this site only, carried
through the password, new-password, authenticator set-up and security-code steps, and never an outside address."""

from __future__ import annotations

from urllib.parse import quote

import pyotp
import pytest

from diversion.auth import sessions
from diversion.auth.models import User
from diversion.auth.next_page import safe_next
from diversion.db import transaction
from diversion.extensions import db
from tests import pages
from tests.factories import PASSWORD, create_user, csrf_token, fresh_code, log_in_as, shown_totp_secret, totp_secret

# Each would take her to another site, or to no page at all, if followed.
OUTSIDE = (
    "//evil.example/cases",
    "///evil.example",
    "////evil.example",
    "https://evil.example/",
    "http:evil.example",
    "javascript:alert(1)",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "\\/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    " /account",
    "/ /evil.example",
    "evil.example",
    "account",
    "",
    "/\u2215evil.example",
    "/account\u3002evil",
    "/%ZZ" + "a" * 2000,
)
# The sign-in journey itself and the session checks are no page to come back to.
NOT_A_PAGE = ("/sign-in", "/sign-in/security-code", "/sign-in/new-password", "/sign-out", "/session/keep-alive")


def _post_password(client, email: str, next_page: str | None):
    address = "/sign-in" if next_page is None else f"/sign-in?next={quote(next_page, safe='')}"
    return client.post(address, data={"email": email, "password": PASSWORD, "csrf_token": csrf_token(client, address)})


def _post_code(client, user: User):
    user = db.session.get(User, user.id)
    db.session.refresh(user)
    code = fresh_code(totp_secret(user), user.totp_last_step)
    return client.post(
        "/sign-in/security-code", data={"code": code, "csrf_token": csrf_token(client, "/sign-in/security-code")}
    )


def _sign_in(client, user: User, next_page: str | None):
    assert _post_password(client, user.email, next_page).headers["Location"] == "/sign-in/security-code"
    return _post_code(client, user)


@pytest.mark.parametrize("value", ["/account", "/cases/1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed", "/caseload?tab=open"])
def test_a_path_on_this_site_is_kept(value: str) -> None:
    assert safe_next(value) == value


@pytest.mark.parametrize("value", OUTSIDE + NOT_A_PAGE)
def test_anything_else_is_dropped(value: str) -> None:
    assert safe_next(value) is None


def test_safe_next_drops_what_is_not_text() -> None:
    assert safe_next(None) is None
    assert safe_next(["/account"]) is None


def test_a_page_asked_for_signed_out_comes_back_after_signing_in(client, app_ctx) -> None:
    user = create_user(role="worker")
    asked = client.get("/account?tab=tokens")
    assert asked.status_code == 302
    assert asked.headers["Location"] == "/sign-in?next=/account?tab%3Dtokens"
    # The sign-in page keeps the address in its form, so a wrong password does not lose it.
    page = client.get(asked.headers["Location"]).get_data(as_text=True)
    assert 'action="/sign-in?next=/account?tab%3Dtokens"' in page
    done = _sign_in(client, user, "/account?tab=tokens")
    assert done.headers["Location"] == "/account?tab=tokens"
    assert client.get("/account").status_code == 200


def test_without_next_she_goes_home(client, app_ctx) -> None:
    assert _sign_in(client, create_user(), None).headers["Location"] == "/"


@pytest.mark.parametrize("value", OUTSIDE + NOT_A_PAGE)
def test_an_outside_address_is_never_followed(client, app_ctx, value: str) -> None:
    page = client.get(f"/sign-in?next={quote(value, safe='')}").get_data(as_text=True)
    assert 'action="/sign-in"' in page
    assert "evil" not in page
    done = _sign_in(client, create_user(), value)
    assert done.status_code == 302
    assert done.headers["Location"] == "/"


def test_an_outside_address_in_a_tampered_form_is_never_followed(client, app_ctx) -> None:
    user = create_user()
    token = csrf_token(client, "/sign-in")
    sent = client.post(
        "/sign-in", data={"email": user.email, "password": PASSWORD, "csrf_token": token, "next": "//evil.example"}
    )
    assert sent.headers["Location"] == "/sign-in/security-code"
    assert _post_code(client, user).headers["Location"] == "/"


def test_signed_in_already_the_sign_in_page_goes_on_to_next(client, app_ctx) -> None:
    log_in_as(client, create_user())
    assert client.get("/sign-in?next=/account").headers["Location"] == "/account"
    assert client.get("/sign-in?next=//evil.example").headers["Location"] == "/"
    assert client.get("/sign-in?next=/%5Cevil.example").headers["Location"] == "/"


def test_next_is_carried_through_the_new_password_step(client, app_ctx) -> None:
    user = create_user(must_change_password=True)
    assert _post_password(client, user.email, "/account").headers["Location"] == "/sign-in/new-password"
    new = "a quiet river at dawn"
    token = csrf_token(client, "/sign-in/new-password")
    changed = client.post("/sign-in/new-password", data={"password": new, "confirm": new, "csrf_token": token})
    assert changed.headers["Location"] == "/sign-in/security-code"
    assert _post_code(client, user).headers["Location"] == "/account"


def test_next_is_carried_through_setting_up_the_authenticator(client, app_ctx) -> None:
    user = create_user(enrolled=False)
    assert _post_password(client, user.email, "/account").headers["Location"] == "/sign-in/set-up-authenticator"
    page = pages.get(client, "/sign-in/set-up-authenticator")
    secret = shown_totp_secret(page)
    token = csrf_token(client, "/sign-in/set-up-authenticator")
    done = client.post("/sign-in/set-up-authenticator", data={"code": pyotp.TOTP(secret).now(), "csrf_token": token})
    assert "Save your recovery codes" in pages.read(done).text
    assert continues_to(done) == "/account"


def continues_to(response) -> str:
    """Where the page's one Continue button leads."""
    page = pages.read(response)
    [button] = [link for link in page.select("a.govuk-button") if pages.normalise(link.get_text(" ")) == "Continue"]
    return str(button.get("href", ""))


def test_the_recovery_codes_go_on_home_without_next(client, app_ctx) -> None:
    user = create_user(enrolled=False)
    _post_password(client, user.email, "https://evil.example/")
    page = pages.get(client, "/sign-in/set-up-authenticator")
    secret = shown_totp_secret(page)
    token = csrf_token(client, "/sign-in/set-up-authenticator")
    done = client.post("/sign-in/set-up-authenticator", data={"code": pyotp.TOTP(secret).now(), "csrf_token": token})
    assert continues_to(done) == "/"


def _form_sent_after_the_session_ended(client, referrer: str):
    user = create_user()
    log_in_as(client, user)
    token = csrf_token(client, "/account")
    with transaction():
        sessions.end_all_sessions(user.id, "logout")
    return client.post(
        "/account/api-tokens", data={"name": "Court list", "csrf_token": token}, headers={"Referer": referrer}
    )


def test_a_form_sent_after_the_session_ended_comes_back_to_its_page(client, app_ctx) -> None:
    """Sent without a session (no JavaScript to stop it), a form lands on the sign-in page, which brings her back to
    the page the form was on: from this site's own Referer only."""
    sent = _form_sent_after_the_session_ended(client, "http://localhost/account?tab=tokens")
    assert sent.headers["Location"] == "/sign-in?next=/account?tab%3Dtokens"


@pytest.mark.parametrize("referrer", ["http://evil.example/account", "https://localhost.evil.example/account", ""])
def test_a_form_sent_from_elsewhere_comes_back_nowhere(client, app_ctx, referrer: str) -> None:
    assert _form_sent_after_the_session_ended(client, referrer).headers["Location"] == "/sign-in"
