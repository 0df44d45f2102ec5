"""The case reference number (URN) in the police format: checked, written and blind-indexed.

A URN is stored encrypted and found by its blind index (docs/encryption.md); what a person types is normalised first, so
``01/AB/12345/26`` and ``01ab1234526`` are one URN.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _

from diversion.crypto.blind import URN_PURPOSE, normalise_urn, urn_index
from diversion.keyring import keyring

URN_SHAPE = re.compile(r"^(\d{2})([A-Z]{2})(\d{5})(\d{2})$")
URN_MESSAGE = "Enter the URN in the police format: force code, letters, number and year, like 01/AB/12345/26"


def format_urn(normalised: str) -> str:
    """A normalised URN written the police way: 01/AB/12345/26."""
    match = URN_SHAPE.match(normalised)
    return "/".join(match.groups()) if match else normalised


def check_urn(raw: str) -> str:
    """Normalise a URN (separators removed, upper case) and check its shape; ValueError when it is not a URN."""
    normalised = normalise_urn(raw or "")
    if not URN_SHAPE.match(normalised):
        raise ValueError(
            _("Enter the URN in the police format: force code, letters, number and year, like 01/AB/12345/26")
        )
    return normalised


def urn_index_value(normalised: str) -> bytes:
    """The full blind index of a URN under the active index key."""
    return urn_index(keyring().derived(URN_PURPOSE), normalised)
