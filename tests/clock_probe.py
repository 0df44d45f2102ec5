"""Imports every test module twice, on two far-apart clocks, and prints (as JSON) each module-level value (or test
mark's argument, such as a ``parametrize`` list; ``pytest.param`` is a tuple) that came out different: a test module
that read the clock when it was imported. Run by tests/test_clock.py in a process of its own, so that the reloads
touch nothing of the run's.

    python -m tests.clock_probe
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
import time_machine

TESTS = Path(__file__).resolve().parent
# Two moments no test is written for, years and seasons apart (one in summer time, one not).
FIRST = datetime(2031, 7, 15, 4, 5, 6)
SECOND = datetime(2044, 1, 10, 21, 43, 2)
TIME_TYPES = (date, datetime, time, timedelta)
# A date written out, as ISO 8601 or in words; other strings (random ids, keys) may differ from one import to the next.
WRITTEN_DATE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2} [A-Z][a-z]+ \d{4}")


def module_names() -> list[str]:
    """Every Python module under tests/, as an importable name."""
    names = []
    for path in sorted(TESTS.rglob("*.py")):
        parts = path.relative_to(TESTS.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.append(".".join(parts))
    return names


def _times(value: object, depth: int = 0) -> list[str]:
    """The dates, times and strings (a date written out) in a module-level value, looking a few levels into
    tuples, lists, sets, dicts and pytest marks (a ``parametrize`` list is built when the module is imported)."""
    if isinstance(value, TIME_TYPES) or (isinstance(value, str) and WRITTEN_DATE.search(value)):
        return [repr(value)]
    if depth > 5:
        return []
    if isinstance(value, dict):
        return [item for key, inner in value.items() for item in _times(key, depth + 1) + _times(inner, depth + 1)]
    if isinstance(value, (tuple, list, set, frozenset)):
        return [item for inner in value for item in _times(inner, depth + 1)]
    if isinstance(value, pytest.Mark):
        return _times(value.args, depth + 1) + _times(value.kwargs, depth + 1)
    return []


def _marks(value: object) -> list[object]:
    """The pytest marks on a test function, or on a test class and its methods."""
    owners = [value, *vars(value).values()] if isinstance(value, type) else [value]
    marks: list[object] = []
    for owner in owners:
        if inspect.isfunction(owner) or isinstance(owner, type):
            found = getattr(owner, "pytestmark", [])
            marks += found if isinstance(found, list) else []
    return marks


def snapshot(modules: dict[str, object]) -> dict[str, list[str]]:
    """Each module-level name's dates, times and strings (with its marks' arguments), by ``module.name``."""
    found = {}
    for module_name, module in modules.items():
        for name, value in vars(module).items():
            if name.startswith("__"):
                continue
            times = _times(value) + _times(_marks(value))
            if times:
                found[f"{module_name}.{name}"] = times
    return found


def main() -> int:
    sys.path.insert(0, str(TESTS.parent))
    with time_machine.travel(FIRST, tick=False):
        modules = {name: importlib.import_module(name) for name in module_names()}
        first = snapshot(modules)
    with time_machine.travel(SECOND, tick=False):
        for module in modules.values():
            importlib.reload(module)  # type: ignore[arg-type]
        second = snapshot(modules)
    differing = sorted(name for name in first.keys() | second.keys() if first.get(name) != second.get(name))
    print(json.dumps({"modules": len(modules), "differing": differing}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
