"""Every word of the service goes through gettext, and the Welsh catalogue has every one (docs/languages.md, "The
service in Welsh"): the checks of diversion/tools/i18n.py over the whole code, and the checks themselves shown to
catch what they are for."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from jinja2 import Environment

from diversion.tools import i18n

TEMPLATES = i18n.template_paths()
MODULES = i18n.python_paths()


@pytest.fixture(scope="module")
def env(app) -> Environment:
    return app.jinja_env


@pytest.mark.parametrize("path", TEMPLATES, ids=[str(p.relative_to(i18n.TEMPLATES)) for p in TEMPLATES])
def test_template_text_is_all_inside_gettext(env: Environment, path: Path) -> None:
    assert [str(f) for f in i18n.template_findings(env, path)] == []


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(i18n.PACKAGE)) for p in MODULES])
def test_python_text_is_all_inside_gettext(path: Path) -> None:
    assert [str(f) for f in i18n.python_findings(path)] == []


def test_the_checks_cover_every_template_and_module() -> None:
    assert len(TEMPLATES) > 100
    assert any(p.name == "base.html" for p in TEMPLATES)
    assert any(str(p).endswith("referrals/forms.py") for p in MODULES)
    # The API and the command line stay English: their messages are a contract (docs/api.md).
    assert not any("/api/" in str(p) or p.name == "cli.py" for p in MODULES)


def test_the_welsh_catalogue_has_every_message_of_the_code() -> None:
    findings = i18n.catalogue_findings("cy")
    assert [str(f) for f in findings] == []


def test_the_extraction_finds_templates_python_and_plurals() -> None:
    messages = i18n.extract_messages()
    assert "Sign out" in messages  # templates/base.html
    assert "There is a problem" in messages  # diversion/forms.py
    assert "Home" in messages  # a lazy label in diversion/views_context.py
    assert any(isinstance(key, tuple) for key in messages)  # ngettext
    assert len(messages) > 1000


# -- The checks catch what they are for -----------------------------------------------------------------------------


def _template_findings(env: Environment, tmp_path: Path, source: str) -> list[str]:
    path = tmp_path / "probe.html"
    path.write_text(source)
    return [f.text for f in i18n.template_findings(env, path)]


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("<p>Case overview</p>", ["Case overview"]),
        ('<img src="x.png" alt="Her photo">', ["Her photo"]),
        ('<span class="govuk-visually-hidden">Action</span>', ["Action"]),
        ('{{ govukButton({"text": "Save"}) }}', ["Save"]),
        ('{% set title = "Change court" %}', ["Change court"]),
        ('{{ x if y else "Not recorded yet" }}', ["Not recorded yet"]),
        ('<p>{{ _("Case overview") }}</p>', []),
        ('{{ govukButton({"text": _("Save"), "classes": "govuk-button--secondary app-x"}) }}', []),
        ("{% trans %}Case overview{% endtrans %}", []),
        ('<a href="{{ url_for(\'main.index\') }}">{{ _("Home") }}</a> &middot; 3', []),
        ('{% if state == "Awaiting decision" %}{% endif %}', []),
        ('<script nonce="x">const label = "Ignored here";</script>', []),
    ],
)
def test_the_template_check_finds_text_outside_gettext(
    env: Environment, tmp_path: Path, source: str, found: list[str]
) -> None:
    assert _template_findings(env, tmp_path, source) == found


@pytest.mark.parametrize(
    ("source", "count"),
    [
        ('flash("Saved.")', 1),
        ('flash(f"Saved {name}.")', 1),
        ('raise ValidationError("Enter a name")', 1),
        ('name = StringField("Name", validators=[DataRequired(message="Enter a name")])', 2),
        ('kind = RadioField(_l("Kind"), choices=[("a", "A call"), ("b", _l("A text"))])', 1),
        ('form.name.errors.append("Enter a name")', 1),
        ('flash(_("Saved."))', 0),
        ('name = StringField(_l("Name"), validators=[DataRequired(message=_l("Enter a name"))])', 0),
        ('log.info("Saved.")', 0),
        ("text = f\"{_('am')} later\"", 1),
    ],
)
def test_the_python_check_finds_text_outside_gettext(tmp_path: Path, source: str, count: int) -> None:
    path = tmp_path / "probe.py"
    path.write_text(source + "\n")
    assert len(i18n.python_findings(path)) == count


def _catalogue(entries: dict) -> Catalog:
    catalogue = Catalog(locale="cy")
    for key, value in entries.items():
        catalogue.add(key, value)
    return catalogue


def test_the_catalogue_check_finds_missing_untranslated_fuzzy_wrong_and_stale_messages() -> None:
    extracted = {
        "Home": "views_context.py:1",
        "Sign out": "base.html:1",
        "Saved %(name)s": "x.py:1",
        "Draft": "drafts.html:1",
        ("%(num)d case", "%(num)d cases"): "x.html:1",
        "Enter %(what)s": "forms.py:1",
    }
    catalogue = _catalogue(
        {
            "Home": "Hafan",
            "Sign out": "",
            "Saved %(name)s": "Wedi cadw %(enw)s",
            ("%(num)d case", "%(num)d cases"): ("%(num)d achos",) * 5 + ("",),
            "Enter %(what)s": "Rhowch %(what)s",
            "Gone": "Wedi mynd",
        }
    )
    catalogue.add("Draft", "Drafft", flags=["fuzzy"])
    found = {f.text.split(" -> ")[0]: f.where for f in i18n.catalogue_findings("cy", extracted, catalogue=catalogue)}
    assert set(found) == {"Sign out", "Saved %(name)s", "%(num)d case", "Draft", "Gone"}
    assert "untranslated" in found["Sign out"]
    assert "placeholders differ" in found["Saved %(name)s"]
    assert "untranslated" in found["%(num)d case"]
    assert "fuzzy" in found["Draft"]
    assert "no longer in the code" in found["Gone"]
    missing = i18n.catalogue_findings("cy", {"Not there": "x.py:1"}, catalogue=_catalogue({}))
    assert [(f.text, "missing" in f.where) for f in missing] == [("Not there", True)]
