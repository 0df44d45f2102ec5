"""The crypto package knows nothing of Flask: no module in it imports flask or a flask extension."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import diversion.crypto

PACKAGE = Path(diversion.crypto.__file__).parent
MODULES = sorted(PACKAGE.rglob("*.py"))


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at any depth of its syntax tree (including inside functions)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) in {"import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.add(node.args[0].value)
    return names


def test_the_package_has_the_expected_modules() -> None:
    names = {path.stem for path in MODULES}
    assert {"aead", "blind", "datakeys", "errors", "fields", "keys", "keystore", "provider", "rotation"} <= names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_module_does_not_import_flask(path: Path) -> None:
    flask_like = {name for name in imported_modules(path) if name.split(".")[0].lower().startswith("flask")}
    assert flask_like == set()


def test_the_check_sees_flask_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os\nfrom flask import g\ndef f():\n    import flask_sqlalchemy\n"
        "    return importlib.import_module('flask_login')\n",
        encoding="utf-8",
    )
    assert {"flask", "flask_sqlalchemy", "flask_login"} <= imported_modules(sample)
