"""The webhook signature check docs/api.md ("Webhooks") gives integrators works as it says: it is run here as
printed, on a delivery signed as the contract describes."""

from __future__ import annotations

import hashlib
import hmac
import re
from pathlib import Path
from typing import Any

import pytest

GUIDE = Path(__file__).resolve().parent.parent / "docs/api.md"
SECRET = "whsec_test_secret"
BODY = b'{"id":"e1","event":"notice.created","created_at":"2026-12-01T10:00:00+00:00","data":{"id":"n1"}}'
T = 1_796_119_200


@pytest.fixture(scope="module")
def verify() -> Any:
    section = GUIDE.read_text(encoding="utf-8").split("## Webhooks", 1)[1]
    (code,) = re.findall(r"```python\n(.*?)```", section.split("\n## ", 1)[0], re.DOTALL)
    namespace: dict[str, Any] = {}
    exec(compile(code, str(GUIDE), "exec"), namespace)  # noqa: S102 - the guide's own example, run as printed
    return namespace["verify"]


def _signature(t: int, body: bytes, secret: str = SECRET) -> str:
    return f"t={t},v1=" + hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()


def test_a_delivery_signed_with_the_secret_is_accepted(verify) -> None:
    assert verify(SECRET, BODY, _signature(T, BODY), now=T + 60)


@pytest.mark.parametrize(
    ("header", "body", "now"),
    [
        (_signature(T, BODY, "another secret"), BODY, T),  # another secret
        (_signature(T, BODY), BODY.replace(b"n1", b"n2"), T),  # the body changed on the way
        (_signature(T, BODY), BODY, T + 301),  # over 5 minutes old: a replay
        (_signature(T, BODY).replace(f"t={T}", f"t={T + 1}"), BODY, T),  # the timestamp changed
        ("v1=abc", BODY, T),  # no timestamp
        ("t=soon,v1=abc", BODY, T),
        ("", BODY, T),
    ],
)
def test_a_delivery_that_fails_the_check_is_refused(verify, header: str, body: bytes, now: int) -> None:
    assert not verify(SECRET, body, header, now=now)
