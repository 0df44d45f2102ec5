"""Audit the pinned dependencies for known vulnerabilities, with pip-audit's own parser, service and auditor.

``make audit`` runs this. pip-audit's PyPI service asks for each pin's release record (``/pypi/NAME/VERSION/json``)
and reads its ``vulnerabilities``. Some networks (proxies and mirrors, this project's build machines among them)
answer only the project record (``/pypi/NAME/json``), and pip-audit then skips every package as "not found". The
project record carries the same ``vulnerabilities`` list for the project's *latest* release, so where a pin is that
release the project record is the pin's own record, and this audit reads it instead. Nothing else changes: pip-audit
parses the requirement files, parses the vulnerability entries, merges aliases and drops withdrawn entries.

The audit fails (exit 1) on any known vulnerability not accepted in ``security/pip-audit-exceptions.txt``, and on
any pin it could not audit (neither record readable, or the pin is older than the latest release and only the
project record is readable) unless that file accepts the pin with a reason. Exit 0 means every pin was audited, or
accepted by name, and no unaccepted vulnerability is known.

Usage: ``python security/audit.py [REQUIREMENTS ...]`` (default: ``requirements/app.txt requirements/dev.txt``).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from pip_audit._audit import Auditor
from pip_audit._dependency_source import RequirementSource
from pip_audit._service import PyPIService
from pip_audit._service.interface import Dependency, ResolvedDependency, SkippedDependency, VulnerabilityResult

ROOT = Path(__file__).resolve().parents[1]
EXCEPTIONS = ROOT / "security" / "pip-audit-exceptions.txt"
DEFAULT_REQUIREMENTS = (ROOT / "requirements" / "app.txt", ROOT / "requirements" / "dev.txt")
VULN_ID = re.compile(r"^(PYSEC|GHSA|CVE|OSV)-[0-9A-Za-z-]+$")
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s:]+)$")
# pip-audit's release-record address, whatever the index host: .../pypi/NAME/VERSION/json
RELEASE_URL = re.compile(r"^(?P<project>.+/pypi/(?P<name>[^/]+))/(?P<version>[^/]+)/json$")


class ProjectRecordSession:
    """A requests-like session for :class:`PyPIService`: the release record, or else the project record when it
    describes that same release (the latest). Remembers which pins were read from which record."""

    def __init__(self, session: Any) -> None:
        self._session = session
        self.from_project: set[tuple[str, str]] = set()
        self.latest: dict[str, str] = {}

    def get(self, url: str, **kwargs: Any) -> Any:
        response = self._session.get(url=url, **kwargs)
        match = RELEASE_URL.match(url)
        if response.status_code != 404 or match is None:
            return response
        name, version = match["name"], match["version"]
        project = self._session.get(url=f"{match['project']}/json", **kwargs)
        if project.status_code != 200:
            return response
        latest = str(project.json().get("info", {}).get("version", ""))
        self.latest[name] = latest
        if latest != version:
            return response  # the project record speaks for another release: pip-audit skips this pin
        self.from_project.add((name, version))
        return project


@dataclass
class Exceptions:
    """What security/pip-audit-exceptions.txt accepts: vulnerability ids, and pins that cannot be audited here."""

    vulns: dict[str, str] = field(default_factory=dict)
    pins: dict[tuple[str, str], str] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> Exceptions:
        accepted = cls()
        for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            head, _, reason = line.partition(" ")
            head, reason = head.rstrip(":"), reason.strip()
            if not reason:
                raise SystemExit(f"{path.name} line {number}: '{head}' needs a reason after it")
            if VULN_ID.match(head):
                accepted.vulns[head] = reason
            elif pin := PIN.match(head):
                accepted.pins[(canonicalize_name(pin[1]), pin[2])] = reason
            else:
                raise SystemExit(f"{path.name} line {number}: expected a vulnerability id or NAME==VERSION")
        return accepted


@dataclass
class Report:
    """The audit's findings: known vulnerabilities, pins not audited, and how each pin was audited."""

    vulnerable: list[tuple[Dependency, VulnerabilityResult]] = field(default_factory=list)
    accepted: list[tuple[Dependency, VulnerabilityResult, str]] = field(default_factory=list)
    unaudited: list[tuple[str, str, str]] = field(default_factory=list)
    excused: list[tuple[str, str, str]] = field(default_factory=list)
    audited_release: int = 0
    audited_project: int = 0

    @property
    def ok(self) -> bool:
        return not self.vulnerable and not self.unaudited


def audit(
    results: Iterable[tuple[Dependency, list[VulnerabilityResult]]],
    pins: dict[str, str],
    session: ProjectRecordSession,
    accepted: Exceptions,
) -> Report:
    """Sort pip-audit's results into a report, applying the accepted exceptions."""
    report = Report()
    for dep, vulns in results:
        name = canonicalize_name(dep.name)
        version = str(dep.version) if isinstance(dep, ResolvedDependency) else pins.get(name, "?")
        if isinstance(dep, SkippedDependency):
            latest = session.latest.get(name)
            why = f"the latest release is {latest} and only its record is readable" if latest else dep.skip_reason
            if (name, version) in accepted.pins:
                report.excused.append((name, version, accepted.pins[(name, version)]))
            else:
                report.unaudited.append((name, version, why))
            continue
        if (name, version) in session.from_project:
            report.audited_project += 1
        else:
            report.audited_release += 1
        for vuln in vulns:
            reason = next((accepted.vulns[i] for i in (vuln.id, *sorted(vuln.aliases)) if i in accepted.vulns), None)
            if reason is None:
                report.vulnerable.append((dep, vuln))
            else:
                report.accepted.append((dep, vuln, reason))
    return report


def pinned(paths: Iterable[Path]) -> dict[str, str]:
    """NAME -> VERSION for every ``NAME==VERSION`` line of the requirement files (following ``-r``), as pip-compile
    writes them too: the pin, then `` \\`` and its ``--hash`` lines."""
    pins: dict[str, str] = {}
    for path in paths:
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.split("#", 1)[0].strip().removesuffix("\\").strip()
            if line.startswith("-r "):
                pins.update(pinned([path.parent / line[3:].strip()]))
            elif match := PIN.match(line.split(";", 1)[0].strip()):
                pins[canonicalize_name(match[1])] = match[2]
    return pins


def main(argv: list[str]) -> int:
    paths = [Path(arg) for arg in argv] or list(DEFAULT_REQUIREMENTS)
    accepted = Exceptions.read(EXCEPTIONS)
    service = PyPIService(timeout=30)
    session = ProjectRecordSession(service.session)
    service.session = session  # type: ignore[assignment]
    source = RequirementSource(paths, no_deps=True, disable_pip=True)
    report = audit(Auditor(service).audit(source), pinned(paths), session, accepted)
    for dep, vuln in report.vulnerable:
        fixes = ", ".join(str(v) for v in vuln.fix_versions) or "no fixed release"
        print(f"VULNERABLE {dep.name} {getattr(dep, 'version', '')}: {vuln.id} ({fixes}) {vuln.description[:120]}")
    for dep, vuln, reason in report.accepted:
        print(f"accepted   {dep.name} {getattr(dep, 'version', '')}: {vuln.id}: {reason}")
    for name, version, why in report.unaudited:
        print(f"UNAUDITED  {name} {version}: {why}")
    for name, version, reason in report.excused:
        print(f"excused    {name} {version} (not audited here): {reason}")
    audited = report.audited_release + report.audited_project
    print(
        f"{audited} pins audited ({report.audited_release} from their release record, {report.audited_project} from "
        f"the project record of their latest release), {len(report.excused)} excused, "
        f"{len(report.unaudited)} not audited; {len(report.vulnerable)} known vulnerabilities, "
        f"{len(report.accepted)} accepted"
    )
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
