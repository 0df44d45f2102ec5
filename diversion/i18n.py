"""The service in English or Welsh (docs/languages.md, "The service in Welsh").

Every word a person reads on a page, in a flash, an error, an email or a PDF goes through gettext: ``_`` in
templates, ``gettext``/``lazy_gettext`` (imported as ``_``/``_l``) in Python. The English text is the message id; the
Welsh is in ``diversion/translations/cy/LC_MESSAGES/messages.po``, read straight from the ``.po`` file (no compiled
``.mo`` is kept or built), and ``tests/i18n`` fails when a string is missing from it or a template holds text
outside gettext.

Which language a person sees (``select_locale``):

- signed in: the language chosen on their account; else, for court staff, their court's default; else English;
- signed out: the language picked with the link on the sign-in page, kept in the session; else English;
- the JSON API and the command line: always English (their messages are part of a contract, docs/api.md).

Messages to clients are another catalogue (``client.po``), approved per scheme: see
``diversion/notifications/wording.py``.
"""

from __future__ import annotations

import io
from functools import cached_property
from pathlib import Path

from babel import support
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, has_request_context, request, session
from flask_babel import Babel, Domain, LazyString, get_locale
from markupsafe import Markup, escape

TRANSLATIONS = Path(__file__).parent / "translations"
DOMAIN = "messages"

# The languages of the service itself, as each names itself (a language is always offered in its own name).
UI_LANGUAGES = {"en": "English", "cy": "Cymraeg"}
DEFAULT_LANGUAGE = "en"


def N_(text: str) -> str:
    """Marks a message for the catalogue and keeps it English here (the API, tests and logs read it as it is); it is
    read in the reader's language with ``_`` where it is shown."""
    return text


def catalogue_path(code: str) -> Path:
    """The ``.po`` file of a language's catalogue of the service's own words."""
    return TRANSLATIONS / code / "LC_MESSAGES" / f"{DOMAIN}.po"


def load_translations(code: str) -> support.NullTranslations:
    """A language's translations, read from its ``.po`` file; English (the message ids) has none to read."""
    path = catalogue_path(code)
    if code == DEFAULT_LANGUAGE or not path.exists():
        return support.NullTranslations()
    with path.open("rb") as handle:
        catalogue = read_po(handle, locale=code, domain=DOMAIN)
    compiled = io.BytesIO()
    # Fuzzy entries are left out, as msgfmt leaves them out: a guess is never shown for a translation.
    write_mo(compiled, catalogue, use_fuzzy=False)
    compiled.seek(0)
    return support.Translations(compiled, domain=DOMAIN)


class PoDomain(Domain):
    """Flask-Babel's domain, reading each language's catalogue from its ``.po`` once per process."""

    def get_translations(self) -> support.NullTranslations:  # type: ignore[override]
        locale = get_locale()
        code = str(locale) if locale is not None else DEFAULT_LANGUAGE
        try:
            return self.cache[code]
        except KeyError:
            translations = self.cache[code] = load_translations(code)
            return translations


class ServiceBabel(Babel):
    """Flask-Babel with the catalogue read from ``.po`` files."""

    @cached_property
    def domain_instance(self) -> Domain:  # type: ignore[override]
        return PoDomain(domain=DOMAIN)


babel = ServiceBabel()


def select_locale() -> str:
    """The language of this request (see the module's docstring)."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    if request.blueprint == "api" or request.path.startswith("/api/"):
        return DEFAULT_LANGUAGE
    from flask_login import current_user

    if current_user and current_user.is_authenticated:
        return user_language(current_user)
    picked = session.get("language")
    return picked if picked in UI_LANGUAGES else DEFAULT_LANGUAGE


def user_language(user: object) -> str:
    """The language a person reads the service in: the one chosen on their account, else their court's default, else
    English. Used for their requests and for what is sent to them (an email).
    """
    chosen = getattr(user, "language", None)
    if chosen in UI_LANGUAGES:
        return chosen
    court = getattr(user, "court", None)
    default = getattr(court, "default_language", None) if court is not None else None
    return default if default in UI_LANGUAGES else DEFAULT_LANGUAGE


def current_language() -> str:
    """The code of the language of the current request ("en" outside one)."""
    locale = get_locale()
    return str(locale) if locale is not None else DEFAULT_LANGUAGE


def _escaped_html(self: LazyString) -> Markup:
    return escape(str(self))


# Flask-Babel's lazy string tells Jinja it is markup already (its __html__ returns its text unescaped). Our lazy
# strings are plain text, and one formatted with a value must never let that value through as markup: escape it
# like any other text.
LazyString.__html__ = _escaped_html  # type: ignore[method-assign]


def init_i18n(app: Flask) -> None:
    """Bind Flask-Babel: the locale selector, the catalogue directory, and the template helpers."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    babel.init_app(app, locale_selector=select_locale)

    # Globals, not context: macros imported without context (the GOV.UK components' overrides) see them too.
    app.jinja_env.globals.update(current_language=current_language, ui_languages=UI_LANGUAGES)
