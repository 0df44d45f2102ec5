"""One HTTP POST to a partner's receiver, to an address checked just before (docs/webhooks.md, "Addresses").

The host is resolved and every address checked (``addresses.check``); the request then goes to the first checked
address itself, never to the name again, so the answer of a second lookup cannot differ from the one checked. The
URL's host still travels as the Host header and, for https, as the TLS server name (SNI) the certificate is
checked against. No redirect is followed. The receiver must answer 2xx within ``WEBHOOK_TIMEOUT`` seconds: the
connection, the wait for its answer and the whole exchange are each bounded by it, and its body is never read.
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from diversion.webhooks.addresses import RefusedAddress, Resolver, Target, check
from diversion.webhooks.signing import HEADER

USER_AGENT = "diversion-webhooks/1"


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to: the receiver's status (None when it never answered) and a short error code (None
    when it answered 2xx in time)."""

    status_code: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None


class PinnedHTTPSAdapter(HTTPAdapter):
    """Connects to a checked address while naming the URL's host for SNI and the certificate check."""

    def __init__(self, server_hostname: str) -> None:
        self._server_hostname = server_hostname
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["server_hostname"] = self._server_hostname
        kwargs["assert_hostname"] = self._server_hostname
        super().init_poolmanager(*args, **kwargs)


def _address_url(target: Target, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    host = f"[{address}]" if address.version == 6 else str(address)
    return f"{target.scheme}://{host}:{target.port}{target.path}"


def post(
    url: str,
    body: bytes,
    signature: str,
    *,
    timeout: float,
    resolver: Resolver | None = None,
    verify: bool | str = True,
) -> Outcome:
    """Check the target, then POST the body to a checked address; never raises for what the receiver does.
    ``verify`` is the certificate check: the system's trusted authorities, or a bundle's path (the tests')."""
    try:
        target = check(url, resolver)
    except RefusedAddress as refused:
        return Outcome(None, refused.code)
    headers = {
        "Host": target.host_header,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        HEADER: signature,
    }
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment: the request goes to the checked address
    if target.scheme == "https":
        session.mount("https://", PinnedHTTPSAdapter(target.host))
    else:
        session.mount("http://", HTTPAdapter(max_retries=0))
    started = time.monotonic()
    try:
        with session:
            response = session.post(
                _address_url(target, target.addresses[0]),
                data=body,
                headers=headers,
                timeout=(timeout, timeout),
                allow_redirects=False,
                stream=True,
                verify=verify,
            )
            response.close()
    except requests.exceptions.SSLError:
        return Outcome(None, "tls")
    except requests.exceptions.Timeout:
        return Outcome(None, "timeout")
    except (requests.exceptions.RequestException, OSError, ValueError):
        return Outcome(None, "connection")
    if time.monotonic() - started > timeout:
        return Outcome(response.status_code, "timeout")
    if not 200 <= response.status_code < 300:
        return Outcome(response.status_code, "http_status")
    return Outcome(response.status_code, None)
