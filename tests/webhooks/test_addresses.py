"""Which targets the service will call: https only, public addresses only, in every spelling, checked when
subscribing (a clear 422) and again at every send on what the name resolves to then (docs/webhooks.md,
"Addresses")."""

from __future__ import annotations

import ipaddress
import json
import socket

import pytest
import requests
from sqlalchemy import select

from diversion.extensions import db
from diversion.webhooks import addresses, delivery, services
from diversion.webhooks.addresses import RefusedAddress, check
from diversion.webhooks.models import WebhookDelivery
from tests.api.conftest import case_in, count, error_of
from tests.webhooks.tls import https_receiver, make_certificates

PRIVATE_TARGETS = [
    "https://127.0.0.1/hook",
    "https://127.1.2.3/hook",
    "https://localhost/hook",
    "https://10.1.2.3/hook",
    "https://172.16.0.9/hook",
    "https://192.168.1.1/hook",
    "https://169.254.169.254/latest/meta-data",
    "https://100.64.0.1/hook",
    "https://0.0.0.0/hook",
    "https://224.0.0.1/hook",
    "https://240.0.0.1/hook",
    "https://255.255.255.255/hook",
    "https://2130706433/hook",
    "https://0x7f000001/hook",
    "https://[::1]/hook",
    "https://[::]/hook",
    "https://[fe80::1]/hook",
    "https://[fc00::1]/hook",
    "https://[fd12:3456::1]/hook",
    "https://[ff02::1]/hook",
    "https://[::ffff:127.0.0.1]/hook",
    "https://[::ffff:10.0.0.1]/hook",
    "https://[::ffff:169.254.169.254]/hook",
    "https://[64:ff9b::7f00:1]/hook",
    "https://[2002:7f00:1::]/hook",
    "https://[2001:db8::1]/hook",
    "https://[::127.0.0.1]/hook",
]


@pytest.fixture
def production(app, monkeypatch):
    """The production rules: no http, no loopback."""
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_LOCAL", False)
    monkeypatch.setitem(app.config, "IS_PRODUCTION", True)
    return app


@pytest.fixture
def dns(monkeypatch):
    """A resolver that answers for the names a test gives it, and refuses every other name."""
    names: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def lookup(host, port, *args, **kwargs):
        try:
            ipaddress.ip_address(host)
        except ValueError:
            pass
        else:
            return real(host, port, *args, **kwargs)
        if host not in names:
            raise socket.gaierror(socket.EAI_NONAME, "unknown")
        return [
            (socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))
            for ip in names[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    return names


@pytest.mark.parametrize("url", PRIVATE_TARGETS)
def test_private_loopback_link_local_and_reserved_addresses_are_refused(app_ctx, production, url: str) -> None:
    with pytest.raises(RefusedAddress) as refused:
        check(url)
    assert refused.value.code == "private_address"


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://93.184.215.14/hook", "not_https"),
        ("ftp://93.184.215.14/hook", "not_https"),
        ("https://user:pass@93.184.215.14/hook", "credentials"),
        ("https:///hook", "malformed"),
        ("https://93.184.215.14:99999/hook", "malformed"),
        ("https://exa mple.org/hook", "malformed"),
        ("", "missing"),
    ],
)
def test_in_production_only_well_formed_https_is_taken(app_ctx, production, url: str, code: str) -> None:
    with pytest.raises(RefusedAddress) as refused:
        check(url)
    assert refused.value.code == code


def test_a_public_address_passes_and_a_name_is_judged_by_every_address_it_resolves_to(app_ctx, production, dns) -> None:
    assert check("https://93.184.215.14/hook").addresses[0].compressed == "93.184.215.14"
    dns["partner.example"] = ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]
    target = check("https://partner.example:8443/hook?x=1")
    assert (target.host, target.port, target.path, target.host_header) == (
        "partner.example",
        8443,
        "/hook?x=1",
        "partner.example:8443",
    )
    dns["rebind.example"] = ["127.0.0.1"]
    dns["mixed.example"] = ["93.184.215.14", "10.0.0.7"]
    for name in ("rebind.example", "mixed.example"):
        with pytest.raises(RefusedAddress) as refused:
            check(f"https://{name}/hook")
        assert refused.value.code == "private_address"
    with pytest.raises(RefusedAddress) as refused:
        check("https://nowhere.example/hook")
    assert refused.value.code == "unresolved"


def test_development_and_tests_may_use_http_on_loopback_only(app_ctx) -> None:
    assert addresses.allows_local()
    assert check("http://127.0.0.1:8080/hook").port == 8080
    assert check("http://[::1]:8080/hook").port == 8080
    for url in ("http://10.0.0.1/hook", "http://169.254.169.254/", "http://[fe80::1]/", "http://[::ffff:127.0.0.1]/"):
        with pytest.raises(RefusedAddress):
            check(url)


def test_the_production_config_never_allows_local_targets(app_ctx, monkeypatch, app) -> None:
    from config import CONFIGS

    assert CONFIGS["production"].WEBHOOKS_ALLOW_LOCAL is False
    # Even an override cannot open it in production.
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_LOCAL", True)
    monkeypatch.setitem(app.config, "IS_PRODUCTION", True)
    assert not addresses.allows_local()
    with pytest.raises(RefusedAddress):
        check("http://127.0.0.1:8080/hook")


@pytest.mark.parametrize("url", ["https://127.0.0.1/hook", "https://[::1]/hook", "https://rebind.example/hook"])
def test_subscribing_to_a_refused_address_is_a_clear_422(as_role, production, dns, url: str) -> None:
    dns["rebind.example"] = ["127.0.0.1"]
    response = as_role("cps").post("/webhooks", {"url": url, "events": ["notice.created"]})
    error = error_of(response, 422, "validation_error")
    assert error["fields"]["url"].startswith("The address must be on the public internet")


def test_a_name_that_resolves_to_a_private_address_at_send_time_is_not_called(
    team, as_role, production, dns, receiver, monkeypatch
) -> None:
    dns["partner.example"] = ["93.184.215.14"]
    made = as_role("cps").post("/webhooks", {"url": "https://partner.example/hook", "events": ["notice.created"]})
    assert made.status_code == 201
    case_in("WITHDRAWN", court=team.court, worker=team.worker)
    # The name now points at this machine (DNS rebinding): nothing is sent, the refusal is logged on the delivery.
    dns["partner.example"] = ["127.0.0.1"]
    requests_made = []
    monkeypatch.setattr(requests.Session, "send", lambda *args, **kwargs: requests_made.append(args))
    services.send_due()
    assert requests_made == []
    assert count(WebhookDelivery) == 1
    row = db.session.scalars(select(WebhookDelivery)).one()
    assert (row.status, row.error, row.status_code) == ("queued", "private_address", None)


def test_the_send_connects_to_the_address_that_was_checked_and_names_the_host(
    app, team, as_role, dns, receiver
) -> None:
    # The name resolves to the receiver's loopback address: allowed in tests, and the request goes to the checked
    # address with the name as its Host.
    port = receiver.url.split(":")[2].split("/")[0]
    dns["partner.example"] = ["127.0.0.1"]
    made = as_role("court").post(
        "/webhooks", {"url": f"http://partner.example:{port}/hook", "events": ["referral.state_changed"]}
    )
    assert made.status_code == 201
    case_in("OPTED_IN", court=team.court, worker=team.worker)
    services.send_due()
    (received,) = receiver.received
    assert received.headers["Host"] == f"partner.example:{port}"
    assert json.loads(received.body)["event"] == "referral.state_changed"


def test_https_goes_to_the_checked_address_with_the_name_for_sni_and_the_certificate(app_ctx, dns, tmp_path) -> None:
    ca, certificate, key = make_certificates(tmp_path, "partner.example")
    with https_receiver(certificate, key) as (receiver, server_names):
        port = receiver.url.split(":")[2].split("/")[0]
        dns["partner.example"] = ["127.0.0.1"]
        body = b'{"id":"x"}'
        outcome = delivery.post(f"https://partner.example:{port}/hook", body, "t=1,v1=00", timeout=5, verify=str(ca))
        assert outcome == delivery.Outcome(204, None)
        assert server_names == ["partner.example"]
        (received,) = receiver.received
        assert received.headers["Host"] == f"partner.example:{port}"
        assert received.body == body

        # A certificate for another name is refused: the check is against the URL's host, not the address.
        dns["other.example"] = ["127.0.0.1"]
        refused = delivery.post(f"https://other.example:{port}/hook", body, "t=1,v1=00", timeout=5, verify=str(ca))
        assert refused == delivery.Outcome(None, "tls")
        # And without the test authority, the system's trusted ones do not know it.
        unknown = delivery.post(f"https://partner.example:{port}/hook", body, "t=1,v1=00", timeout=5)
        assert unknown == delivery.Outcome(None, "tls")
        assert len(receiver.received) == 1
