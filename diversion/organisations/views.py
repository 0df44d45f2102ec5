"""The organisations' pages: an organisation's administrator keeps its users, schemes and courts; the platform
operator adds organisations; a manager keeps a scheme's programme (``programme_views.py``)."""

from __future__ import annotations

from diversion.organisations import bp  # noqa: F401 - the blueprint every page of this package is added to
