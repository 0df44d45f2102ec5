"""``--share K/N`` splits the suite for ``make test-dates`` (docs/testing.md): every test in exactly one share, the
same one on every run, and the shares of roughly even size."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.conftest import _parse_share, pytest_collection_modifyitems, share_of

REPOSITORY = Path(__file__).resolve().parents[1]


class _Item:
    def __init__(self, nodeid: str) -> None:
        self.nodeid = nodeid


class _Config:
    """What the hook reads of pytest's config: the option, and the hook that reports deselected tests."""

    def __init__(self, share: str | None) -> None:
        self.share = share
        self.deselected: list[_Item] = []
        self.hook = SimpleNamespace(pytest_deselected=lambda items: self.deselected.extend(items))

    def getoption(self, name: str) -> str | None:
        assert name == "--share"
        return self.share


def _kept(ids: list[str], share: str | None) -> tuple[list[str], list[str]]:
    items = [_Item(nodeid) for nodeid in ids]
    config = _Config(share)
    pytest_collection_modifyitems(config, items)  # type: ignore[arg-type]
    return [item.nodeid for item in items], [item.nodeid for item in config.deselected]


IDS = [f"tests/test_{n % 7}.py::test_{n}" for n in range(500)]


def test_the_shares_hold_every_test_once():
    shares = [_kept(IDS, f"{k}/5") for k in range(1, 6)]
    kept = [nodeid for share, _ in shares for nodeid in share]
    assert sorted(kept) == sorted(IDS)
    assert all(share for share, _ in shares), "a share is empty"
    for share, deselected in shares:
        assert sorted(share + deselected) == sorted(IDS)


def test_without_a_share_every_test_is_kept():
    assert _kept(IDS, None) == (IDS, [])


def test_pytest_takes_the_share_from_its_command_line():
    """Through pytest itself: the ids it collects with --share are the ones share_of puts in that share."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            "--share",
            "2/3",
            "tests/test_shares.py",
        ],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    collected = {line for line in result.stdout.splitlines() if line.startswith("tests/test_shares.py::")}
    assert collected
    assert all(share_of(nodeid, 3) == 2 for nodeid in collected)
    assert "deselected" in result.stdout


def test_a_test_is_in_the_same_share_every_time():
    assert share_of("tests/test_dates.py::test_x", 5) == share_of("tests/test_dates.py::test_x", 5)
    assert {share_of(f"tests/test_a.py::test_{n}", 5) for n in range(200)} == {1, 2, 3, 4, 5}


def test_the_shares_are_of_even_size():
    counts = Counter(share_of(f"tests/test_{n // 20}.py::test_{n}", 5) for n in range(3000))
    assert max(counts.values()) < 1.1 * 600
    assert min(counts.values()) > 0.9 * 600


@pytest.mark.parametrize("value", ["0/5", "6/5", "1", "a/b", "1/0", "-1/5"])
def test_a_share_that_is_not_k_of_n_is_refused(value):
    with pytest.raises(pytest.UsageError):
        _parse_share(value)


def test_k_of_n_is_read():
    assert _parse_share("2/5") == (2, 5)
