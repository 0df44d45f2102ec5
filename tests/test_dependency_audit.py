"""security/audit.py: pip-audit's service reading the project record only for the release it describes.

No network: a fake session answers as a proxy that serves only project records would.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]


def _load_audit() -> Any:
    spec = importlib.util.spec_from_file_location("dependency_audit", ROOT / "security" / "audit.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


audit = _load_audit()

VULN = {
    "id": "PYSEC-2099-1",
    "aliases": ["CVE-2099-0001"],
    "summary": "An invented flaw",
    "fixed_in": ["2.0.1"],
    "published": "2099-01-01T00:00:00Z",
}


class FakeResponse:
    def __init__(self, status: int, body: dict[str, Any] | None = None) -> None:
        self.status_code = status
        self._body = body or {}

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise requests.HTTPError(f"{self.status_code}", response=self)  # type: ignore[arg-type]

    def json(self) -> dict[str, Any]:
        return self._body


class ProjectOnlySession:
    """Answers project records only; every release record is a 404, as the proxy here does."""

    def __init__(self, projects: dict[str, tuple[str, list[dict[str, Any]]]]) -> None:
        self.projects = projects
        self.urls: list[str] = []

    def get(self, url: str, **_kwargs: Any) -> FakeResponse:
        self.urls.append(url)
        parts = url.split("/pypi/", 1)[1].removesuffix("/json").split("/")
        if len(parts) == 1 and parts[0] in self.projects:
            latest, vulns = self.projects[parts[0]]
            return FakeResponse(200, {"info": {"version": latest}, "vulnerabilities": vulns})
        return FakeResponse(404)


def _run(tmp_path: Path, pins: str, projects: dict[str, Any], exceptions: str = "") -> Any:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(pins, encoding="utf-8")
    accepted_file = tmp_path / "exceptions.txt"
    accepted_file.write_text(exceptions, encoding="utf-8")
    service = audit.PyPIService(timeout=5)
    session = audit.ProjectRecordSession(ProjectOnlySession(projects))
    service.session = session
    source = audit.RequirementSource([requirements], no_deps=True, disable_pip=True)
    return audit.audit(
        audit.Auditor(service).audit(source),
        audit.pinned([requirements]),
        session,
        audit.Exceptions.read(accepted_file),
    )


def test_a_pin_that_is_the_latest_release_is_audited_from_the_project_record(tmp_path: Path) -> None:
    report = _run(tmp_path, "alpha==2.0.0\nbeta==1.1\n", {"alpha": ("2.0.0", [VULN]), "beta": ("1.1", [])})
    assert report.audited_project == 2
    assert [(dep.name, vuln.id) for dep, vuln in report.vulnerable] == [("alpha", "PYSEC-2099-1")]
    assert not report.ok


def test_locked_pins_with_hashes_are_read_and_audited(tmp_path: Path) -> None:
    locked = (
        "alpha==2.0.0 \\\n"
        "    --hash=sha256:" + "0" * 64 + " \\\n"
        "    --hash=sha256:" + "1" * 64 + "\n"
        "    # via -r requirements/app.in\n"
        "Beta_Two==1.1 \\\n"
        "    --hash=sha256:" + "2" * 64 + "\n"
        "    # via\n"
        "    #   alpha\n"
    )
    report = _run(tmp_path, locked, {"alpha": ("2.0.0", [VULN]), "beta-two": ("1.1", [])})
    assert report.audited_project == 2
    assert [(dep.name, vuln.id) for dep, vuln in report.vulnerable] == [("alpha", "PYSEC-2099-1")]
    assert audit.pinned([tmp_path / "requirements.txt"]) == {"alpha": "2.0.0", "beta-two": "1.1"}


def test_a_pin_below_the_latest_release_is_not_audited_unless_accepted_by_name(tmp_path: Path) -> None:
    # The project record describes 3.0.0; its empty list says nothing about 2.0.0.
    report = _run(tmp_path, "alpha==2.0.0\n", {"alpha": ("3.0.0", [])})
    assert report.audited_project == 0
    assert [(name, version) for name, version, _why in report.unaudited] == [("alpha", "2.0.0")]
    assert "3.0.0" in report.unaudited[0][2]
    assert not report.ok

    excused = _run(tmp_path, "alpha==2.0.0\n", {"alpha": ("3.0.0", [])}, "alpha==2.0.0 capped by beta\n")
    assert excused.ok
    assert excused.excused == [("alpha", "2.0.0", "capped by beta")]


def test_a_vulnerability_is_accepted_only_by_an_id_or_alias_with_a_reason(tmp_path: Path) -> None:
    projects = {"alpha": ("2.0.0", [VULN])}
    by_alias = _run(
        tmp_path, "alpha==2.0.0\n", projects, "CVE-2099-0001 only reachable through a feature we never call\n"
    )
    assert by_alias.ok
    assert [vuln.id for _dep, vuln, _reason in by_alias.accepted] == ["PYSEC-2099-1"]

    other = _run(tmp_path, "alpha==2.0.0\n", projects, "PYSEC-2099-2 another flaw\n")
    assert not other.ok

    with pytest.raises(SystemExit, match="needs a reason"):
        _run(tmp_path, "alpha==2.0.0\n", projects, "PYSEC-2099-1\n")


def test_a_withdrawn_advisory_is_not_reported(tmp_path: Path) -> None:
    withdrawn = {**VULN, "withdrawn": "2099-02-01T00:00:00Z"}
    report = _run(tmp_path, "alpha==2.0.0\n", {"alpha": ("2.0.0", [withdrawn])})
    assert report.ok
    assert report.audited_project == 1


def test_the_release_record_is_asked_first(tmp_path: Path) -> None:
    requirements = tmp_path / "r.txt"
    requirements.write_text("alpha==2.0.0\n", encoding="utf-8")
    inner = ProjectOnlySession({"alpha": ("2.0.0", [])})
    session = audit.ProjectRecordSession(inner)
    session.get(url="https://index.example/pypi/alpha/2.0.0/json", timeout=5)
    assert inner.urls == ["https://index.example/pypi/alpha/2.0.0/json", "https://index.example/pypi/alpha/json"]


def test_the_committed_exceptions_file_reads_and_gives_every_entry_a_reason() -> None:
    accepted = audit.Exceptions.read(audit.EXCEPTIONS)
    assert all(reason for reason in [*accepted.vulns.values(), *accepted.pins.values()])
    pins = audit.pinned(audit.DEFAULT_REQUIREMENTS)
    # An excused pin that is no longer pinned is a stale line: it must go with the pin.
    stale = [(name, version) for name, version in accepted.pins if pins.get(name) != version]
    assert stale == []
