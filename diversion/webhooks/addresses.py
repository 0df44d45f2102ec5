"""Which webhook targets the service will call (docs/webhooks.md, "Addresses").

A target is an ``https://`` URL whose host resolves only to public addresses. Private, loopback, link-local,
multicast, reserved and unspecified addresses are refused, in every spelling (IPv4, IPv6, IPv4 mapped into IPv6,
6to4 and Teredo carrying one, decimal or hexadecimal IPv4 that the resolver expands): a partner's URL must never
make the service reach into its own network. The check runs when a subscription is made (a clear 422) and again at
every send, on the addresses resolved then, and the send connects to an address that passed (``delivery``), so a
name that resolves to a public address once and a private one later (DNS rebinding) gains nothing.

With ``WEBHOOKS_ALLOW_LOCAL`` (development and tests, never production) ``http://`` is accepted and loopback
addresses (127.0.0.0/8, ::1) pass; every other private range is still refused.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[..., list[Any]]

MAX_URL_LENGTH = 2000


class RefusedAddress(Exception):
    """A target the service will not call; ``message`` says why in words a partner can act on, ``code`` is short."""

    def __init__(self, message: str, code: str = "refused_address") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Target:
    """A checked target: the URL's parts and the addresses it may be reached at, public ones only."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[IPAddress, ...]

    @property
    def host_header(self) -> str:
        """The Host header the URL means (the port only when it is not the scheme's own)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def allows_local() -> bool:
    """True when http:// and loopback targets are allowed: a development or test setting, never in production."""
    config = current_app.config
    return bool(config.get("WEBHOOKS_ALLOW_LOCAL")) and not config.get("IS_PRODUCTION")


def _embedded(address: IPAddress) -> list[IPAddress]:
    """The address and any IPv4 address an IPv6 one carries (mapped, 6to4, Teredo), each checked on its own."""
    found: list[IPAddress] = [address]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            found.append(address.ipv4_mapped)
        if address.sixtofour is not None:
            found.append(address.sixtofour)
        if address.teredo is not None:
            found.extend(address.teredo)
        # IPv4-compatible (::a.b.c.d, deprecated; not :: or ::1, which are themselves) and NAT64 (64:ff9b::a.b.c.d).
        packed = address.packed
        compatible = packed[:12] == bytes(12) and int(address) > 1
        if compatible or packed[:12] == bytes.fromhex("0064ff9b0000000000000000"):
            found.append(ipaddress.IPv4Address(packed[12:]))
    return found


def is_public(address: IPAddress, *, allow_loopback: bool = False) -> bool:
    """True when every address it is or carries is a public unicast one (or loopback, when allowed)."""
    for candidate in _embedded(address):
        if allow_loopback and candidate.is_loopback:
            continue
        if (
            candidate.is_private
            or candidate.is_loopback
            or candidate.is_link_local
            or candidate.is_multicast
            or candidate.is_reserved
            or candidate.is_unspecified
            or not candidate.is_global
        ):
            return False
    return True


def parse(url: str) -> tuple[str, str, int, str]:
    """The scheme, host, port and path (with query) of a target URL, or RefusedAddress saying what is wrong."""
    if not isinstance(url, str) or not url.strip():
        raise RefusedAddress(_("Enter the address to send events to"), "missing")
    if len(url) > MAX_URL_LENGTH:
        raise RefusedAddress(_("The address must be %(max)d characters or fewer", max=MAX_URL_LENGTH), "too_long")
    if any(ord(character) <= 32 or ord(character) == 127 for character in url):
        raise RefusedAddress(_("The address must not contain spaces or control characters"), "malformed")
    try:
        parts = urlsplit(url)
        port = parts.port
        host = parts.hostname
    except ValueError:
        raise RefusedAddress(_("Enter a full web address, like https://example.org/hooks"), "malformed") from None
    local = allows_local()
    schemes = ("https", "http") if local else ("https",)
    if parts.scheme.lower() not in schemes:
        raise RefusedAddress(_("The address must start with https://"), "not_https")
    if not host:
        raise RefusedAddress(_("Enter a full web address, like https://example.org/hooks"), "malformed")
    if parts.username is not None or parts.password is not None:
        raise RefusedAddress(_("The address must not contain a user name or password"), "credentials")
    if parts.fragment:
        raise RefusedAddress(_("The address must not contain a fragment (#)"), "malformed")
    scheme = parts.scheme.lower()
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, host.lower().rstrip("."), port or (443 if scheme == "https" else 80), path


def resolve(host: str, port: int, resolver: Resolver | None = None) -> list[IPAddress]:
    """Every address the host stands for: itself when it is an address, else what the resolver answers."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    lookup = resolver or socket.getaddrinfo
    try:
        answers = lookup(host, port, 0, socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise RefusedAddress(_("The address's host name could not be found"), "unresolved") from None
    found: list[IPAddress] = []
    for answer in answers:
        text = str(answer[4][0]).split("%", 1)[0]  # an IPv6 scope ("fe80::1%eth0") is not part of the address
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            raise RefusedAddress(_("The address's host name could not be found"), "unresolved") from None
        if address not in found:
            found.append(address)
    if not found:
        raise RefusedAddress(_("The address's host name could not be found"), "unresolved")
    return found


def check(url: str, resolver: Resolver | None = None) -> Target:
    """The target, if the service may call it now: parsed, resolved, and every address public. Otherwise
    RefusedAddress. Called when subscribing and again just before every send."""
    scheme, host, port, path = parse(url)
    addresses = resolve(host, port, resolver)
    allow_loopback = allows_local()
    if not all(is_public(address, allow_loopback=allow_loopback) for address in addresses):
        raise RefusedAddress(
            _("The address must be on the public internet: private, loopback and link-local addresses are refused"),
            "private_address",
        )
    return Target(scheme, host, port, path, tuple(addresses))
