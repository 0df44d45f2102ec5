"""A second organisation beside the main one, for the tests of the wall between organisations (docs/organisations.md).

Everything of it carries a marker string in its names, so a page or export of the main organisation can be searched
for any trace of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.factories import create_court, create_organisation, create_scheme, create_user

# In every name of the other organisation's people, courts and clients: found on a page, it is a leak.
MARKER = "Zanzibar"


@dataclass
class Other:
    """The other organisation and the people around it."""

    organisation: Any
    scheme: Any
    court: Any
    admin: Any
    manager: Any
    worker: Any
    court_user: Any
    cps_user: Any

    @property
    def staff(self) -> list[Any]:
        """Its own accounts."""
        return [self.admin, self.manager, self.worker]

    @property
    def partners(self) -> list[Any]:
        """The court and CPS users of its court only."""
        return [self.court_user, self.cps_user]


def other_organisation(marker: str = MARKER) -> Other:
    """An organisation of its own with a scheme, a court only it serves (which no CPS user of the main organisation
    covers), its administrator, manager and worker, and a court user and a CPS user of its court."""
    slug = marker.lower()
    organisation = create_organisation(slug=f"{slug}-charity", name=f"{marker} Women's Charity")
    scheme = create_scheme(organisation=organisation, slug=f"{slug}-scheme")
    court = create_court(
        code=f"{slug[:3].upper()}9", name=f"{marker} Magistrates' Court", schemes=[scheme], cps_covers=False
    )
    return Other(
        organisation=organisation,
        scheme=scheme,
        court=court,
        admin=create_user(
            role="admin", organisation=organisation, email=f"admin@{slug}.example.org", display_name=f"{marker} Admin"
        ),
        manager=create_user(
            role="manager",
            organisation=organisation,
            schemes=[scheme],
            email=f"manager@{slug}.example.org",
            display_name=f"{marker} Manager",
        ),
        worker=create_user(
            role="worker",
            organisation=organisation,
            schemes=[scheme],
            email=f"worker@{slug}.example.org",
            display_name=f"{marker} Worker",
        ),
        court_user=create_user(
            role="court", court=court, email=f"court@{slug}.example.org", display_name=f"{marker} Clerk"
        ),
        cps_user=create_user(
            role="cps", cps_courts=[court], email=f"cps@{slug}.example.org", display_name=f"{marker} Prosecutor"
        ),
    )


def other_case(other: Other, state: str = "OPTED_IN", **kwargs: Any) -> Any:
    """A case of the other organisation, at its court, by its worker, of a client named with the marker."""
    from tests.factories import create_referral

    return create_referral(
        state=state,
        worker=other.worker,
        court=other.court,
        given_name=kwargs.pop("given_name", MARKER),
        family_name=kwargs.pop("family_name", f"{MARKER}son"),
        **kwargs,
    )
