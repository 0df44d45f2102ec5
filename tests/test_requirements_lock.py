"""requirements/*.txt are the locks of requirements/*.in, made by `make lock` (docs/dependencies.md), and this venv is
what they lock: every package an .in names is pinned in its .txt, every pin carries its hashes, nothing is pinned that
the .in's names do not bring in (a package left behind by one taken out), dev.txt pins what app.txt pins alike, the
installed versions are the pinned ones, and every package the code imports is named in an .in. An .in edited
without `make lock` after it fails here. Offline: it reads the files and the installed packages, never an index."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "requirements"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)\s*\\?$")
HASH = re.compile(r"^--hash=sha256:[0-9a-f]{64}\s*\\?$")
# Where each part of the repository may take its packages from: the application only from app.in.
FIRST_PARTY = {"diversion", "tests", "bench", "security", "migrations", "config", "wsgi"}
APP_CODE = ("diversion", "migrations", "config.py", "wsgi.py")
TOOL_CODE = ("tests", "bench", "security")


@dataclass
class Pin:
    version: str
    hashes: list[str] = field(default_factory=list)
    via: list[str] = field(default_factory=list)


@dataclass
class Input:
    """An .in file: its top-level requirements by name, and the files it takes constraints from."""

    requirements: dict[str, Requirement]
    constraints: list[str]


def read_lock(text: str) -> dict[str, Pin]:
    """pip-compile's output: each pin, its ``--hash`` lines and the ``# via`` names (or ``-r``/``-c`` files)."""
    pins: dict[str, Pin] = {}
    current: Pin | None = None
    in_via = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if match := PIN.match(line):
            current = pins[canonicalize_name(match[1])] = Pin(match[2])
            in_via = False
        elif HASH.match(line):
            assert current is not None, f"a hash before any pin: {raw!r}"
            current.hashes.append(line.split("=", 1)[1].rstrip(" \\"))
        elif line.startswith("#") and raw.startswith("    "):
            assert current is not None, f"a via before any pin: {raw!r}"
            comment = line.lstrip("#").strip()
            if comment.startswith("via"):
                rest = comment.removeprefix("via").strip()
                in_via = not rest
                if rest:
                    current.via.append(rest)
            elif in_via:
                current.via.append(comment)
        elif line.startswith("#"):
            current, in_via = None, False  # the header, or the heading of the "unsafe" section
        else:
            pytest.fail(f"a line that is neither a hashed pin nor a comment: {raw!r}")
    return pins


def read_input(path: Path) -> Input:
    requirements: dict[str, Requirement] = {}
    constraints: list[str] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line.startswith("-c "):
            constraints.append(line[3:].strip())
        elif line:
            requirement = Requirement(line)
            requirements[canonicalize_name(requirement.name)] = requirement
    return Input(requirements, constraints)


def parent(via: str) -> str:
    """A via entry as a package name; ``-r``/``-c`` entries name the file, and stay as they are."""
    return via if via.startswith("-") else canonicalize_name(via)


def problems(name: str, source: Input, pins: dict[str, Pin]) -> list[str]:
    """What is wrong with one .in file's lock."""
    found = []
    top_marker = f"-r requirements/{name}.in"
    for package, requirement in source.requirements.items():
        pin = pins.get(package)
        if pin is None:
            found.append(f"{package} is in {name}.in but not pinned in {name}.txt")
        elif not requirement.specifier.contains(pin.version, prereleases=True):
            found.append(f"{package}=={pin.version} does not meet {requirement} of {name}.in")
        elif top_marker not in pin.via:
            found.append(f"{package} is in {name}.in but {name}.txt does not say it comes from there")
    for package, pin in pins.items():
        if not pin.hashes:
            found.append(f"{package}=={pin.version} has no hash")
        if top_marker in pin.via and package not in source.requirements:
            found.append(f"{package} is pinned as named in {name}.in, which no longer names it")
    # Every pin is reached from the .in's names through "via": a pin nothing reaches is left over.
    children: dict[str, set[str]] = {}
    for package, pin in pins.items():
        for via in pin.via:
            children.setdefault(parent(via), set()).add(package)
    reached, queue = set(), deque(package for package in source.requirements if package in pins)
    while queue:
        package = queue.popleft()
        if package not in reached:
            reached.add(package)
            queue.extend(children.get(package, ()))
    orphans = sorted(pins.keys() - reached)
    found += [f"{package} is pinned in {name}.txt but nothing in {name}.in needs it" for package in orphans]
    return found


def locked(name: str) -> tuple[Input, dict[str, Pin]]:
    source = read_input(REQUIREMENTS / f"{name}.in")
    return source, read_lock((REQUIREMENTS / f"{name}.txt").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", ["app", "dev"])
def test_the_lock_pins_with_hashes_exactly_what_the_in_file_needs(name: str) -> None:
    source, pins = locked(name)
    assert len(pins) > len(source.requirements)
    assert problems(name, source, pins) == []


def test_the_check_finds_a_package_added_to_or_taken_from_an_in_file_without_make_lock() -> None:
    source, pins = locked("app")
    added = Input({**source.requirements, "left-pad": Requirement("left-pad")}, [])
    assert problems("app", added, pins) == ["left-pad is in app.in but not pinned in app.txt"]
    taken = Input({k: v for k, v in source.requirements.items() if k != "weasyprint"}, [])
    found = problems("app", taken, pins)
    assert "weasyprint is pinned as named in app.in, which no longer names it" in found
    assert "pydyf is pinned in app.txt but nothing in app.in needs it" in found  # weasyprint's alone
    capped = Input({**source.requirements, "flask": Requirement("flask<1")}, [])
    assert problems("app", capped, pins) == [f"flask=={pins['flask'].version} does not meet flask<1 of app.in"]
    unhashed = {**pins, "flask": Pin(pins["flask"].version, [], pins["flask"].via)}
    assert problems("app", source, unhashed) == [f"flask=={pins['flask'].version} has no hash"]


def test_a_lock_line_without_its_hash_or_a_stray_line_is_refused() -> None:
    text = "alpha==1.0 \\\n    --hash=sha256:" + "a" * 64 + "\n    # via -r requirements/app.in\n"
    assert read_lock(text)["alpha"] == Pin("1.0", ["sha256:" + "a" * 64], ["-r requirements/app.in"])
    with pytest.raises(pytest.fail.Exception):
        read_lock(text + "beta>=2\n")
    with pytest.raises(pytest.fail.Exception):
        read_lock(text + "-e ./somewhere\n")


def test_dev_is_constrained_by_app_and_agrees_with_it_on_every_shared_package() -> None:
    dev, dev_pins = locked("dev")
    _, app_pins = locked("app")
    assert dev.constraints == ["app.txt"]
    shared = app_pins.keys() & dev_pins.keys()
    assert shared
    disagree = {
        name: (app_pins[name].version, dev_pins[name].version)
        for name in shared
        if (app_pins[name].version, sorted(app_pins[name].hashes))
        != (dev_pins[name].version, sorted(dev_pins[name].hashes))
    }
    assert disagree == {}


def test_the_makefile_installs_the_locks_with_require_hashes() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    installs = re.findall(r"pip install [^\n]*-r requirements/\w+\.txt", makefile)
    assert len(installs) == 2
    assert all("--require-hashes" in line for line in installs)


def test_the_installed_versions_are_the_pinned_ones() -> None:
    pins = {**locked("app")[1], **locked("dev")[1]}
    installed = {}
    for name in pins:
        try:
            installed[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            installed[name] = None
    wrong = {name: (pins[name].version, got) for name, got in installed.items() if got != pins[name].version}
    assert wrong == {}, "pinned and installed versions differ: run make install-dev"


def _imports(path: Path) -> set[str]:
    """The top-level modules a file imports, other than the standard library's and the repository's own."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - FIRST_PARTY - {"__future__"}


@pytest.mark.parametrize(("parts", "inputs"), [(APP_CODE, ("app",)), (TOOL_CODE, ("app", "dev"))])
def test_every_package_the_code_imports_is_named_in_an_in_file(parts: tuple[str, ...], inputs: tuple[str, ...]) -> None:
    named = {package for name in inputs for package in read_input(REQUIREMENTS / f"{name}.in").requirements}
    providers = importlib.metadata.packages_distributions()
    files = [
        path for part in parts for path in ([ROOT / part] if part.endswith(".py") else (ROOT / part).rglob("*.py"))
    ]
    assert len(files) > 10
    missing = {}
    for path in files:
        for module in _imports(path):
            distributions = {canonicalize_name(d) for d in providers.get(module, [])}
            if not distributions & named:
                missing.setdefault(module, str(path.relative_to(ROOT)))
    assert missing == {}
