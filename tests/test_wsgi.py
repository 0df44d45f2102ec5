"""The served app's entry point (wsgi.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_served_app_sets_what_it_holds_for_good_aside_from_the_collector(tmp_path) -> None:
    # In a process of its own: freezing is for the whole interpreter (docs/benchmarks.md, "Collector pauses").
    from diversion.crypto.keys import generate_master_key_line
    from tests.conftest import make_environ

    keys = generate_master_key_line("wsgi1")
    environ = os.environ | make_environ(
        f"sqlite:///{tmp_path / 'main.db'}", f"sqlite:///{tmp_path / 'keys.db'}", keys, tmp_path
    )
    probe = "import gc, wsgi; print(gc.get_freeze_count() > 10000, wsgi.app.name)"
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["True", "diversion"]
