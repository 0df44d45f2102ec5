"""Checks that every word of the service goes through gettext and that the Welsh catalogue has it
(docs/languages.md, "The service in Welsh").

- ``template_findings``: text in a template that is not inside ``_()``/``{% trans %}``: words between tags, words in
  the attributes people read (``alt``, ``title``, ``aria-label``, ``placeholder``), and string literals given to a
  component as its text (``{"text": "Save"}``, ``{% set title = "Case" %}``) or written as a sentence.
- ``python_findings``: flashes, form labels, choices, hints, validation messages and form errors written as plain
  strings in the application's Python (the JSON API and the command line stay English and are not checked).
- ``extract_messages`` and ``catalogue_findings``: extract every message id from the code, as ``make translations``
  does, and compare it with a language's catalogue: missing, untranslated, fuzzy, with other placeholders, or left in
  the catalogue when the code no longer has it.

``tests/i18n`` runs all three and fails on any finding; ``python -m diversion.tools.i18n`` prints them.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po
from jinja2 import Environment, nodes

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
PACKAGE = ROOT / "diversion"

# gettext's names here: Flask-Babel's, and the lazy forms for labels made at import time.
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "_l": None, "lazy_ngettext": (1, 2), "_nl": (1, 2)}
GETTEXT_NAMES = {"_", "gettext", "ngettext", "pgettext", "npgettext", "lazy_gettext", "_l", "lazy_ngettext", "_nl"}

# Python not read by people in the service's own language: the API's messages and the command line's output are a
# contract in English (docs/api.md); the tools are for developers.
PYTHON_EXCLUDED = ("api/", "cli.py", "tools/", "demo", "translations/")

# Attributes that people read (or hear, with a screen reader).
TEXT_ATTRIBUTES = {"alt", "title", "aria-label", "placeholder", "aria-description", "aria-roledescription"}
# Keys of the GOV.UK components' parameters that hold words, and variables that templates set to words.
TEXT_KEYS = {
    "text",
    "html",
    "label",
    "hint",
    "titleText",
    "caption",
    "legend",
    "heading",
    "headingText",
    "title",
    "visuallyHiddenText",
    "descriptionText",
    "summaryText",
    "placeholder",
    "actionText",
    "prefix",
    "suffix",
    "message",
}
# A literal that reads as words to a person: a capitalised word followed by another word, or two words and a stop.
SENTENCE = re.compile(r"[A-Z][a-z']+[ ,][a-z]|[a-z]{2,} [a-z]{2,}.*[.?!:]$")
LETTER = re.compile(r"[A-Za-z]")
ATTRIBUTES_ONLY = re.compile(r'^[\s\x00]*(?:[\w:-]+="[^"]*"[\s\x00]*)+$')
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")


# As the application's environment is (diversion/__init__.py): a template that fails to parse is an error, not skipped.
JINJA_OPTIONS = {"trim_blocks": "true", "lstrip_blocks": "true", "extensions": "jinja2.ext.do", "silent": "false"}


@dataclass(frozen=True)
class Finding:
    """One word left out of gettext, or one message the catalogue lacks: where, and what."""

    where: str
    text: str

    def __str__(self) -> str:
        return f"{self.where}: {self.text!r}"


# -- Templates ------------------------------------------------------------------------------------------------------


def _where(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _has_words(text: str) -> bool:
    cleaned = re.sub(r"&[#\w]+;", " ", text.replace("\x00", " "))
    return bool(LETTER.search(cleaned))


class _TextReader(HTMLParser):
    """The words of an HTML page whose template code has been replaced by NUL: text and the attributes read out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.texts: list[tuple[int, str]] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skipping += 1
        for name, value in attrs:
            if name in TEXT_ATTRIBUTES and value and _has_words(value):
                self.texts.append((self.getpos()[0], value.replace("\x00", "…")))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if ATTRIBUTES_ONLY.match(data):
            return  # a macro that writes attributes into a tag of its caller (data-draft-url="…")
        if not self._skipping and _has_words(data):
            self.texts.append((self.getpos()[0], " ".join(data.replace("\x00", "…").split())))


def _page_without_code(env: Environment, source: str) -> str:
    """The template's HTML with each tag, expression and comment replaced by NUL, and the text inside
    ``{% trans %}…{% endtrans %}`` (already in gettext) left out."""
    parts: list[str] = []
    in_trans = False
    after_block_begin = False
    line = 1
    for lineno, kind, value in env.lex(source):
        if lineno > line:  # keep each text on its own line, for the findings' line numbers
            parts.append("\n" * (lineno - line))
            line = lineno
        line += value.count("\n") if kind == "data" else 0
        if kind == "whitespace":
            continue
        if kind == "data":
            if not in_trans:
                parts.append(value)
            continue
        if kind in ("block_begin", "variable_begin", "comment_begin", "raw_begin"):
            parts.append("\x00")
            after_block_begin = kind == "block_begin"
            continue
        if after_block_begin and kind == "name":
            if value == "trans":
                in_trans = True
            elif value == "endtrans":
                in_trans = False
        after_block_begin = False
    return "".join(parts)


def _is_gettext_call(node: nodes.Node) -> bool:
    return isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name) and node.node.name in GETTEXT_NAMES


def _literals_outside_gettext(node: nodes.Node, inside: bool = False) -> Iterator[tuple[int, str, str | None]]:
    """(line, literal, key) for each string literal not inside a gettext call, with the key or name it is given to."""
    if _is_gettext_call(node):
        return
    if isinstance(node, nodes.Dict):
        for pair in node.items:
            key = pair.key.value if isinstance(pair.key, nodes.Const) else None
            if isinstance(pair.value, nodes.Const) and isinstance(pair.value.value, str):
                yield pair.value.lineno, pair.value.value, key
            else:
                yield from _literals_outside_gettext(pair.value)
        return
    if isinstance(node, nodes.Keyword) and isinstance(node.value, nodes.Const) and isinstance(node.value.value, str):
        yield node.value.lineno, node.value.value, node.key
        return
    if (
        isinstance(node, nodes.Assign)
        and isinstance(node.target, nodes.Name)
        and isinstance(node.node, nodes.Const)
        and isinstance(node.node.value, str)
    ):
        yield node.node.lineno, node.node.value, node.target.name
        return
    if isinstance(node, nodes.Compare | nodes.Test):
        return  # compared with a value (a status code), not shown
    callee = getattr(node, "node", None) if isinstance(node, nodes.Call) else None
    if isinstance(callee, nodes.Name) and callee.name in ("url_for", "csp_nonce"):
        return
    if isinstance(node, nodes.Const) and isinstance(node.value, str):
        yield node.lineno, node.value, None
        return
    for child in node.iter_child_nodes():
        yield from _literals_outside_gettext(child)


def _literal_is_text(value: str, key: str | None) -> bool:
    if key == "html":
        value = re.sub(r"<[^>]*>", " ", value)
    if key in TEXT_KEYS or key in ("title", "caption", "heading", "label", "hint", "legend"):
        return _has_words(value)
    return bool(SENTENCE.search(value))


def template_findings(env: Environment, path: Path) -> list[Finding]:
    """The words in one template that are not inside gettext."""
    source = path.read_text()
    where = _where(path)
    found: list[Finding] = []
    reader = _TextReader()
    reader.feed(_page_without_code(env, source))
    reader.close()
    found.extend(Finding(f"{where}:{line}", text) for line, text in reader.texts)
    tree = env.parse(source)
    found.extend(
        Finding(f"{where}:{line}", text)
        for line, text, key in _literals_outside_gettext(tree)
        if _literal_is_text(text, key)
    )
    return found


def template_paths() -> list[Path]:
    return sorted(TEMPLATES.rglob("*.html"))


# -- Python ---------------------------------------------------------------------------------------------------------

_VALIDATION_ERRORS = {"ValidationError", "StopValidation"}
_TEXT_KWARGS = {"label", "description", "message", "hint", "title", "caption", "heading", "legend", "text"}


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _plain_text(node: ast.expr | None) -> bool:
    """A string literal or f-string with words in it, not wrapped in gettext."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return _has_words(node.value)
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.Constant) and _has_words(str(v.value)) for v in node.values)
    return False


def _text_of(node: ast.expr) -> str:
    return ast.unparse(node)[:80]


def python_findings(path: Path) -> list[Finding]:
    """Flashes, labels, choices, validation messages and form errors written as plain strings in one module."""
    tree = ast.parse(path.read_text())
    where = _where(path)
    found: list[Finding] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            # Python 3.11 reads an f-string as one token: a gettext call inside one is never extracted.
            for inner in ast.walk(node):
                if isinstance(inner, ast.Call) and _call_name(inner) in GETTEXT_NAMES:
                    found.append(Finding(f"{where}:{node.lineno} (gettext inside an f-string)", _text_of(inner)))
        if not isinstance(node, ast.Call):
            continue
        name = _call_name(node)
        first = node.args[0] if node.args else None
        if name == "flash" or name in _VALIDATION_ERRORS:
            if _plain_text(first):
                found.append(Finding(f"{where}:{node.lineno}", _text_of(first)))  # type: ignore[arg-type]
        elif name == "append" and isinstance(node.func, ast.Attribute):
            target = node.func.value
            if isinstance(target, ast.Attribute) and target.attr == "errors" and _plain_text(first):
                found.append(Finding(f"{where}:{node.lineno}", _text_of(first)))  # type: ignore[arg-type]
        elif name.endswith("Field") and _plain_text(first):
            found.append(Finding(f"{where}:{node.lineno}", _text_of(first)))  # type: ignore[arg-type]
        for keyword in node.keywords:
            if keyword.arg in _TEXT_KWARGS and _plain_text(keyword.value):
                found.append(Finding(f"{where}:{node.lineno}", _text_of(keyword.value)))
            if keyword.arg == "choices" and isinstance(keyword.value, ast.List | ast.Tuple):
                for choice in keyword.value.elts:
                    if isinstance(choice, ast.Tuple) and len(choice.elts) == 2 and _plain_text(choice.elts[1]):
                        found.append(Finding(f"{where}:{choice.lineno}", _text_of(choice.elts[1])))
    return found


def python_paths() -> list[Path]:
    return sorted(
        path
        for path in PACKAGE.rglob("*.py")
        if not any(str(path.relative_to(PACKAGE)).startswith(part) for part in PYTHON_EXCLUDED)
    )


# -- The catalogue --------------------------------------------------------------------------------------------------


def extract_messages() -> dict[str | tuple[str, ...], str]:
    """Every message id in the code, as ``make translations`` extracts it (babel.cfg), with where it first is."""
    found: dict[str | tuple[str, ...], str] = {}
    sources = (
        (PACKAGE, [("**.py", "python")], {}),
        (TEMPLATES, [("**.html", "jinja2")], {"**.html": JINJA_OPTIONS}),
    )
    for directory, method_map, options in sources:
        for filename, lineno, message, _comments, _context in extract_from_dir(
            str(directory), method_map=method_map, options_map=options, keywords=KEYWORDS
        ):
            if str(directory / filename).startswith(str(PACKAGE)) and any(
                filename.startswith(part) for part in PYTHON_EXCLUDED
            ):
                continue
            key = message if isinstance(message, str) else tuple(message)
            found.setdefault(key, f"{directory.name}/{filename}:{lineno}")
    return found


def load_catalogue(code: str) -> Catalog:
    path = PACKAGE / "translations" / code / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        return read_po(handle, locale=code)


def _placeholders(text: str) -> set[str]:
    # Case aside: a message may name a value mid-sentence (what) and at its start (What); a translation uses either.
    return {(a or b).lower() for a, b in PLACEHOLDER.findall(text)}


def catalogue_findings(
    code: str, extracted: dict[str | tuple[str, ...], str] | None = None, *, catalogue: Catalog | None = None
) -> list[Finding]:
    """What the language's catalogue lacks, has wrong, or keeps that the code no longer uses."""
    extracted = extract_messages() if extracted is None else extracted
    catalogue = load_catalogue(code) if catalogue is None else catalogue
    found: list[Finding] = []
    for key, where in extracted.items():
        msgid = key if isinstance(key, str) else key[0]
        message = catalogue.get(msgid)
        if message is None:
            found.append(Finding(f"{where} (missing from {code})", msgid))
            continue
        translations = message.string if isinstance(message.string, tuple) else (message.string,)
        if "fuzzy" in message.flags:
            found.append(Finding(f"{where} (fuzzy in {code})", msgid))
        elif not all(translations) or (isinstance(key, tuple) and len(translations) != catalogue.num_plurals):
            found.append(Finding(f"{where} (untranslated in {code})", msgid))
        else:
            sources = key if isinstance(key, tuple) else (key,)
            wanted = set().union(*(_placeholders(s) for s in sources))
            for translation in translations:
                if _placeholders(translation) - wanted or (len(sources) == 1 and _placeholders(translation) != wanted):
                    found.append(Finding(f"{where} (placeholders differ in {code})", f"{msgid} -> {translation}"))
                    break
    wanted_ids = {key if isinstance(key, str) else key[0] for key in extracted}
    for message in catalogue:
        if message.id and (message.id if isinstance(message.id, str) else message.id[0]) not in wanted_ids:
            found.append(Finding(f"messages.po (no longer in the code, {code})", str(message.id)))
    return found


def _within(path: str, wanted: list[str]) -> bool:
    return not wanted or any(path.startswith(prefix) for prefix in wanted)


def todo(fragment: Path, wanted: list[str]) -> int:
    """Add to a catalogue file the message ids of the code under ``wanted`` that it and the Welsh catalogue lack,
    untranslated, and say how many of its entries are still untranslated (for translating one part at a time)."""
    from babel.messages.pofile import write_po

    if fragment.exists():
        with fragment.open("rb") as handle:
            catalogue = read_po(handle, locale="cy")
    else:
        catalogue = Catalog(locale="cy", domain="messages")
    known = load_catalogue("cy")
    for key, where in extract_messages().items():
        if not _within(where, wanted):
            continue
        msgid = key if isinstance(key, str) else key[0]
        if catalogue.get(msgid) is None and (known.get(msgid) is None or not known.get(msgid).string):
            catalogue.add(key, "" if isinstance(key, str) else ("",) * catalogue.num_plurals, locations=[(where, 0)])
    with fragment.open("wb") as handle:
        write_po(handle, catalogue, width=120, omit_header=False)
    untranslated = [
        m.id for m in catalogue if m.id and not all(m.string if isinstance(m.string, tuple) else [m.string])
    ]
    print(f"{fragment}: {len(catalogue)} messages, {len(untranslated)} untranslated")
    return 1 if untranslated else 0


def update(code: str, others: list[Path]) -> int:
    """Rewrite the language's catalogue from the code (``make translations``): every message id the code has, with
    its translation from the catalogue or from the other ``.po`` files given (a translator's file), new ones left
    untranslated, and those the code no longer has dropped. Says how many are untranslated."""
    from babel.messages.pofile import write_po

    path = PACKAGE / "translations" / code / "LC_MESSAGES" / "messages.po"
    old = load_catalogue(code)
    sources = [old]
    for other in others:
        with other.open("rb") as handle:
            sources.append(read_po(handle, locale=code))
    new = Catalog(
        locale=code,
        domain="messages",
        project="court-diversion",
        version="1",
        header_comment=old.header_comment,
        fuzzy=False,
        creation_date=old.creation_date,
        revision_date=old.revision_date,
        language_team="",
        last_translator="",
        msgid_bugs_address="",
    )
    untranslated = 0
    for key, where in extract_messages().items():
        msgid = key if isinstance(key, str) else key[0]
        string: str | tuple[str, ...] = "" if isinstance(key, str) else ("",) * new.num_plurals
        for source in sources:
            found = source.get(msgid)
            if (
                found is not None
                and "fuzzy" not in found.flags
                and found.string
                and (all(found.string) if isinstance(found.string, tuple) else True)
            ):
                string = found.string
                if isinstance(string, tuple):  # as many forms as the language has (Babel's plural rule for it)
                    if len(string) == 6 and new.num_plurals == 5:
                        # CLDR's six Welsh forms (zero, one, two, few, many, other) to Babel's five, whose first
                        # form is "other" (and zero).
                        string = (string[5], *string[1:5])
                    string = (string + (string[-1],) * new.num_plurals)[: new.num_plurals]
                break
        filename, _, line = where.rpartition(":")
        new.add(key, string, locations=[(filename, int(line))])
        untranslated += not (all(string) if isinstance(string, tuple) else string)
    with path.open("wb") as handle:
        write_po(handle, new, width=120, omit_header=False, sort_by_file=True, include_lineno=False)
    print(f"{path.relative_to(ROOT)}: {len(new)} messages, {untranslated} untranslated")
    return 0


def main(argv: list[str]) -> int:
    """``check [PATH...]``: template and Python findings (under the paths, relative to the repository);
    ``todo FILE [PATH...]``: add the untranslated messages of those paths to FILE;
    ``catalogue``: compare the code with the Welsh catalogue;
    ``update [FILE...]``: rewrite the Welsh catalogue from the code, taking translations from the files too."""
    command, *rest = argv or ["check"]
    if command == "todo":
        return todo(Path(rest[0]), rest[1:])
    if command == "update":
        return update("cy", [Path(name) for name in rest])
    findings: list[Finding] = []
    if command == "check":
        from diversion import create_app

        env = create_app("testing").jinja_env
        findings += [
            f for p in template_paths() if _within(str(p.relative_to(ROOT)), rest) for f in template_findings(env, p)
        ]
        findings += [f for p in python_paths() if _within(str(p.relative_to(ROOT)), rest) for f in python_findings(p)]
    if command in ("check", "catalogue") and not rest:
        findings += catalogue_findings("cy")
    for finding in findings:
        print(finding)
    print(f"{len(findings)} findings", file=sys.stderr)
    return 1 if findings else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
