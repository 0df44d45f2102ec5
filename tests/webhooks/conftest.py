"""Webhook test fixtures: a running receiver, and the API helpers of tests/api."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.conftest import as_role, team  # noqa: F401 - fixtures shared with the API tests
from tests.webhooks.receiver import Receiver, running_receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running
