"""``make bench``: run every ``bench/*_bench.py`` module, print one table, write ``bench/results.json``.

Each module has ``run(quick: bool) -> list[dict]`` returning results shaped as docs/benchmarks.md says (name, value,
unit, goal, met, detail). ``BENCH_QUICK=1`` runs reduced sizes under the same names. Goals that are not met are reported
as they are and the exit status stays 0; a benchmark that crashes is reported and makes the exit status 1.

Each module runs in a process of its own (``run.py --module PATH RESULTS``), so what one leaves behind (a heap grown
by 100,000 clients, filled caches, garbage the collector has yet to scan) does not weigh on the next one's figures.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS_FILE = BENCH / "results.json"
KEYS = ("name", "value", "unit", "goal", "met", "detail")


def discover() -> list[Path]:
    """Every benchmark module, in name order."""
    return sorted(BENCH.glob("*_bench.py"))


def load(path: Path) -> ModuleType:
    """Import a benchmark module from its file."""
    spec = importlib.util.spec_from_file_location(f"bench_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path.name}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check(result: dict[str, Any], source: str) -> dict[str, Any]:
    """The result with exactly the keys docs/benchmarks.md names; ValueError naming the module when one is missing."""
    missing = [key for key in KEYS if key not in result]
    if missing:
        raise ValueError(f"{source} returned a result without {', '.join(missing)}")
    return {key: result[key] for key in KEYS}


def shown(result: dict[str, Any]) -> str:
    """The value to two decimals, or to all it has when two would read as the goal itself (1.051 against <= 1.05
    would otherwise print as 1.05 and "NO")."""
    value = result["value"]
    text = f"{value:.2f}"
    target = str(result["goal"]).split()[-1]
    try:
        if float(text) == float(target) and value != float(target):
            return f"{value:g}"
    except ValueError:
        pass
    return text


def table(results: list[dict[str, Any]]) -> str:
    """The results as aligned text: one line per result, the detail last."""
    headers = ("name", "value", "unit", "goal", "met", "detail")
    rows = [
        (r["name"], shown(r), str(r["unit"]), str(r["goal"]), "yes" if r["met"] else "NO", str(r["detail"]))
        for r in results
    ]
    widths = [max(len(headers[i]), *(len(row[i]) for row in rows)) if rows else len(headers[i]) for i in range(5)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers[:5], widths, strict=True)) + "  detail"]
    for row in rows:
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row[:5], widths, strict=True)) + "  " + row[5])
    return "\n".join(lines)


def main() -> int:
    """Run everything; returns the exit status."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    quick = os.environ.get("BENCH_QUICK") == "1"
    started = time.perf_counter()
    results: list[dict[str, Any]] = []
    crashed: list[str] = []
    for path in discover():
        print(f"running {path.name} ({'quick' if quick else 'full'})...", flush=True)
        with tempfile.TemporaryDirectory(prefix="bench-") as folder:
            written = Path(folder) / "results.json"
            finished = subprocess.run([sys.executable, __file__, "--module", str(path), str(written)], check=False)
            if finished.returncode != 0 or not written.exists():
                # One broken benchmark must not hide the others' figures; its traceback is already on stderr.
                crashed.append(path.name)
                continue
            results.extend(json.loads(written.read_text(encoding="utf-8")))
    print()
    print(table(results))
    RESULTS_FILE.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    unmet = [r["name"] for r in results if not r["met"]]
    print()
    print(
        f"{len(results)} results, {len(unmet)} goals not met{': ' + ', '.join(unmet) if unmet else ''}; "
        f"{'quick' if quick else 'full'} run in {time.perf_counter() - started:.0f} s; written to {RESULTS_FILE}"
    )
    if crashed:
        print(f"crashed: {', '.join(crashed)}", file=sys.stderr)
        return 1
    return 0


def run_module(path: Path, written: Path) -> int:
    """In a child process: run one module and write its checked results to ``written``."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    quick = os.environ.get("BENCH_QUICK") == "1"
    try:
        results = [check(result, path.name) for result in load(path).run(quick)]
    except Exception:  # noqa: BLE001 - reported to the parent by the exit status
        traceback.print_exc()
        return 1
    written.write_text(json.dumps(results), encoding="utf-8")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--module":
        sys.exit(run_module(Path(sys.argv[2]), Path(sys.argv[3])))
    sys.exit(main())
