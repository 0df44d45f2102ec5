"""A gunicorn configuration file that only runs each worker on the test's clock (DIVERSION_TEST_CLOCK, tests/clock.py),
as the browser tests' server does: for fault tests whose server must otherwise behave as in production."""

from __future__ import annotations

import os
from typing import Any


def post_worker_init(worker: Any) -> None:
    start_test_clock()


def start_test_clock() -> None:
    """Travel to the shared clock's "now" in this process, ticking from there."""
    import time_machine

    from tests.clock import SERVER_CLOCK_ENV, shared_clock_now

    time_machine.travel(shared_clock_now(os.environ[SERVER_CLOCK_ENV]), tick=True).start()
