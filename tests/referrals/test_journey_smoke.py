"""The whole journey through the services, state by state."""

import pytest

from diversion.referrals.models import State
from tests.factories import create_referral


@pytest.mark.parametrize("state", [state.value for state in State])
def test_factory_reaches_every_state(app_ctx, state: str) -> None:
    referral = create_referral(state=state)
    assert referral.state == state
