"""The signature: the service's signing and the receiver's check in docs/webhooks.md agree, on real deliveries."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from diversion.webhooks import services, signing
from tests.api.conftest import case_in

DOC = Path(__file__).resolve().parents[2] / "docs/webhooks.md"


def documented_verify():
    """The receiver's check exactly as docs/webhooks.md shows it."""
    text = DOC.read_text()
    section = text.split("## Checking the signature", 1)[1]
    (code,) = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)[:1]
    namespace: dict = {}
    exec(compile(code, str(DOC), "exec"), namespace)  # noqa: S102 - the documentation's own example
    return namespace["verify"]


def test_the_header_is_t_and_v1_over_the_timestamp_and_raw_body() -> None:
    body = b'{"id":"1","event":"notice.created"}'
    header = signing.header_value("whsec_test", 1_700_000_000, body)
    assert header == f"t=1700000000,v1={signing.signature('whsec_test', 1_700_000_000, body)}"
    assert re.fullmatch(r"t=1700000000,v1=[0-9a-f]{64}", header)
    import hashlib
    import hmac

    expected = hmac.new(b"whsec_test", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert header.endswith(expected)


@pytest.mark.parametrize("check", [signing.verify, documented_verify()])
def test_the_check_accepts_the_signed_body_only(check) -> None:
    now = int(time.time())
    body = b'{"a":1}'
    header = signing.header_value("whsec_s", now, body)
    assert check("whsec_s", header, body)
    assert not check("whsec_other", header, body)
    assert not check("whsec_s", header, body + b" ")
    assert not check("whsec_s", header.replace(f"t={now}", f"t={now + 1}"), body)
    assert not check("whsec_s", signing.header_value("whsec_s", now - 3600, body), body)
    assert not check("whsec_s", "v1=" + "0" * 64, body)
    assert not check("whsec_s", "", body)


def test_the_documented_check_verifies_a_real_delivery(team, as_role, receiver) -> None:
    made = as_role("cps").post("/webhooks", {"url": receiver.url, "events": ["notice.created"]}).get_json()
    case_in("WITHDRAWN", court=team.court, worker=team.worker)
    services.send_due()
    (received,) = receiver.received
    verify = documented_verify()
    assert b"withdrawn" in received.body
    assert verify(made["secret"], received.headers[signing.HEADER], received.body)
    assert not verify(
        made["secret"], received.headers[signing.HEADER], received.body.replace(b"withdrawn", b"completed")
    )
    assert json.loads(received.body)["event"] == "notice.created"
    assert received.headers["Content-Type"] == "application/json"
