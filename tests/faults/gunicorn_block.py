"""A gunicorn configuration file for the worker-killed test: each worker, once started, stops dead inside the first
transaction that writes a case (after the client and the referral are flushed, before the commit), writes its pid to
FAULT_MARKER and sleeps until it is killed. Later saves go through normally. Each worker runs on the test's clock
(DIVERSION_TEST_CLOCK, tests/clock.py), as the browser tests' server does."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any


def post_worker_init(worker: Any) -> None:
    from tests.faults.gunicorn_clock import start_test_clock

    start_test_clock()
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from diversion.referrals.models import Referral

    marker = Path(os.environ["FAULT_MARKER"])

    def block_mid_save(session: Session, flush_context: Any) -> None:
        if marker.exists() or not any(isinstance(obj, Referral) for obj in session.new):
            return
        marker.write_text(str(os.getpid()))
        time.sleep(300)

    event.listen(Session, "after_flush", block_mid_save)
