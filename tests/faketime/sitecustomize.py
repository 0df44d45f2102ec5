"""Loaded by every Python process of ``make test-dates`` (the Makefile puts this folder on PYTHONPATH): under
Debian's libfaketime 0.9.10 with FAKETIME_DONT_FAKE_MONOTONIC=1, ``time.sleep`` fails with EINVAL (it waits with
clock_nanosleep on an absolute monotonic deadline, which the library shifts by the fake offset). A sleep that waits in
``select`` with a relative timeout does what ``time.sleep`` does, and nothing else is changed (docs/testing.md)."""

from __future__ import annotations

import os
import select
import time


def _sleep(seconds: float) -> None:
    """time.sleep, waiting in select: the same refusals, and at least the time asked for."""
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        select.select([], [], [], left)


if "faketime" in os.environ.get("LD_PRELOAD", ""):
    time.sleep = _sleep
