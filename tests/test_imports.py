"""The package's import graph has no cycles (diversion/tools/imports.py), and the walk finds one when it is there."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from diversion.tools.imports import cycles_in, import_graph

ROOT = Path(__file__).resolve().parent.parent


def test_the_package_has_no_import_cycles():
    result = subprocess.run(
        [sys.executable, "-m", "diversion.tools.imports"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout
    assert result.stdout.strip() == "no import cycles"


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "planted"
    for name, source in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    return root


def test_a_cycle_hidden_in_a_function_is_found(tmp_path):
    root = _package(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "from planted.b import thing\n",
            "sub/__init__.py": "",
            # A deferred import, relative, of a module named as a name of its package: still an edge to it.
            "b.py": "def thing():\n    from .sub import c\n",
            "sub/c.py": "import planted.a\n",
            "d.py": "from planted import a\n",
        },
    )
    [(component, cycle)] = cycles_in(root, "planted")
    assert component == ["planted.a", "planted.b", "planted.sub.c"]
    assert cycle == ["planted.a", "planted.b", "planted.sub.c", "planted.a"]
    assert import_graph(root, "planted")["planted.d"] == {"planted.a"}


def test_imports_only_for_type_checking_are_left_out(tmp_path):
    root = _package(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "from planted import b\n",
            "b.py": (
                "from typing import TYPE_CHECKING\n"
                "import typing\n"
                "if TYPE_CHECKING:\n"
                "    from planted.a import x\n"
                "if typing.TYPE_CHECKING:\n"
                "    import planted.a\n"
                "else:\n"
                "    from planted import c\n"
            ),
            "c.py": "",
        },
    )
    assert cycles_in(root, "planted") == []
    assert import_graph(root, "planted")["planted.b"] == {"planted.c"}


def test_a_relative_import_in_a_package_is_relative_to_the_package(tmp_path):
    root = _package(
        tmp_path,
        {
            "__init__.py": "",
            "sub/__init__.py": "from . import c\nfrom ..d import y\n",
            "sub/c.py": "from .. import sub\n",
            "d.py": "",
        },
    )
    graph = import_graph(root, "planted")
    assert graph["planted.sub"] == {"planted.sub.c", "planted.d"}
    assert cycles_in(root, "planted") == [
        (["planted.sub", "planted.sub.c"], ["planted.sub", "planted.sub.c", "planted.sub"])
    ]
