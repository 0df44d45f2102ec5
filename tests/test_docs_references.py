"""Every reference to a Markdown file, anywhere in the repository (code, comments, templates, docs, configuration) or
in the OpenAPI document the API serves, names a file the repository has: a reader sent to "docs/x.md" finds it. The
served document cites the repository's docs/ only, never another file."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from diversion.api.openapi import DOCUMENT

ROOT = Path(__file__).resolve().parent.parent
URL = re.compile(r"[a-z][a-z0-9+.-]*://[^\s\"'<>)\]`]+", re.IGNORECASE)
MARKDOWN = re.compile(r"(?<![\w/.-])((?:\.{1,2}/)?[\w./-]*[\w-]\.md)\b")
# A file name named only as a kind of file, not as a reference to one.
NOT_REFERENCES = {"README.md"}


def _tracked_text_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    files = []
    for name in listed:
        path = ROOT / name.decode()
        if not name or not path.is_file() or path.is_symlink():
            continue
        try:
            path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        files.append(path)
    return files


def references(text: str) -> set[str]:
    """The Markdown files a text names, leaving out web addresses."""
    return set(MARKDOWN.findall(URL.sub(" ", text)))


def _exists(reference: str, where: Path) -> bool:
    if reference in NOT_REFERENCES:
        return (ROOT / reference).is_file()
    return (where / reference).resolve().is_file() or (ROOT / reference).resolve().is_file()


def test_references_are_found_in_text() -> None:
    text = 'See docs/api.md, "Errors"; (calendar.md) and ../docs/x.md, not https://example.org/docs/y.md or foo.mdx.'
    assert references(text) == {"docs/api.md", "calendar.md", "../docs/x.md"}
    assert _exists("docs/api.md", ROOT / "diversion")
    assert _exists("calendar.md", ROOT / "docs")
    assert not _exists("docs/no-such-page.md", ROOT)


def test_every_markdown_file_the_repository_names_exists() -> None:
    files = _tracked_text_files()
    assert any(path.suffix == ".py" for path in files)
    assert any(path.suffix == ".md" for path in files)
    missing = sorted(
        f"{path.relative_to(ROOT)}: {reference}"
        for path in files
        if path != Path(__file__).resolve()  # this file's own examples of what a reference looks like
        for reference in references(path.read_text(encoding="utf-8"))
        if not _exists(reference, path.parent)
    )
    assert missing == []


@pytest.fixture
def served(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_the_served_document_cites_only_the_repository_s_docs(served) -> None:
    assert served == DOCUMENT
    text = json.dumps(served)
    cited = references(text)
    assert cited, "the document cites docs/idempotency.md, at least"
    for reference in cited:
        assert reference.startswith("docs/"), reference
        assert (ROOT / reference).is_file(), reference
    # No other file of the repository: no source path, template or configuration file.
    assert not re.findall(r"[\w/-]+\.(?:py|html|toml|txt|cfg|ini|ya?ml)\b", URL.sub(" ", text))
