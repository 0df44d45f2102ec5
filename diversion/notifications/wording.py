"""What the messages say. A reminder is read on a phone or in an inbox that someone else may see: it names no court,
offence, prosecution, charity or purpose, and not even her name; only that there is an appointment, and when.

``DENY_LISTS`` holds, for each language that has one, the words that must never be sent; a message is checked
against its own language's list and English's. It is checked against every template in the tests, against every
wording a manager approves, and against every rendered message before it is stored, so a wording change or a value
slipped in cannot send a dangerous word.

Her reminders go in her language when her scheme's manager has approved its wording (docs/languages.md, "Messages in
her language"): the catalogues under ``diversion/translations`` propose the wording, the approved versions are kept in
``message_wordings``, and English (the wordings below, which the English catalogue repeats) is the fallback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from string import Template

from babel.core import Locale, UnknownLocaleError
from babel.dates import format_date, format_time
from babel.messages.pofile import read_po
from sqlalchemy import select

from diversion.clients.languages import ENGLISH, LANGUAGES
from diversion.dates import LONDON, clock_time, long_date
from diversion.extensions import db
from diversion.notifications.models import MessageWording

# Words that would tell a reader what the appointment is about. Matched as whole words, case-insensitively.
DENY_LIST = (
    "court",
    "courts",
    "magistrate",
    "magistrates",
    "judge",
    "bench",
    "hearing",
    "adjourned",
    "adjournment",
    "cps",
    "crown",
    "prosecution",
    "prosecutor",
    "police",
    "offence",
    "offences",
    "crime",
    "criminal",
    "charge",
    "charged",
    "arrest",
    "arrested",
    "bail",
    "probation",
    "sentence",
    "urn",
    "soliciting",
    "loitering",
    "prostitution",
    "sex",
    "sexual",
    "diversion",
    "scheme",
    "charity",
    "support",
    "worker",
    "caseworker",
    "exploitation",
    "trafficking",
    "drug",
    "drugs",
    "alcohol",
    "assessment",
    "plan",
    "safeguarding",
    "women",
    "refuge",
    "abuse",
    "violence",
)
# The same in Welsh, with the forms the words take after the mutations (soft, nasal and aspirate: "llys", "lys";
# "trosedd", "drosedd", "nhrosedd", "throsedd"), since the form depends on the word before it. Some are everyday
# words too ("rhyw" is also "some", "prawf" also "a test", "cynllun" both "plan" and "scheme"): a wording goes
# without them rather than risk them.
WELSH_DENY_LIST = (
    # court, magistrates, judge, hearing
    "llys",
    "lys",
    "llysoedd",
    "lysoedd",
    "cwrt",
    "gwrt",
    "nghwrt",
    "chwrt",
    "ynad",
    "ynadon",
    "ynadol",
    "barnwr",
    "farnwr",
    "mharnwr",
    "barnwyr",
    "farnwyr",
    "mharnwyr",
    "ustus",
    "ustusiaid",
    "gwrandawiad",
    "wrandawiad",
    "ngwrandawiad",
    "gwrandawiadau",
    "wrandawiadau",
    "ngwrandawiadau",
    # the Crown Prosecution Service (Gwasanaeth Erlyn y Goron), prosecution, police
    "erlyn",
    "erlyniad",
    "erlyniadau",
    "erlynydd",
    "erlynwyr",
    "coron",
    "goron",
    "nghoron",
    "choron",
    "heddlu",
    "heddwas",
    "heddweision",
    # offence, crime, criminal
    "trosedd",
    "drosedd",
    "nhrosedd",
    "throsedd",
    "troseddau",
    "droseddau",
    "nhroseddau",
    "throseddau",
    "troseddol",
    "droseddol",
    "nhroseddol",
    "throseddol",
    "troseddwr",
    "droseddwr",
    "nhroseddwr",
    "throseddwr",
    "troseddu",
    "droseddu",
    "nhroseddu",
    "throseddu",
    # charge, arrest, bail, probation, sentence
    "cyhuddiad",
    "gyhuddiad",
    "nghyhuddiad",
    "chyhuddiad",
    "cyhuddo",
    "gyhuddo",
    "nghyhuddo",
    "chyhuddo",
    "cyhuddwyd",
    "arestio",
    "arestiwyd",
    "arestiad",
    "mechnïaeth",
    "fechnïaeth",
    "mechniaeth",
    "fechniaeth",
    "prawf",
    "brawf",
    "mhrawf",
    "phrawf",
    "dedfryd",
    "ddedfryd",
    "nedfryd",
    "dedfrydu",
    "ddedfrydu",
    # prostitution, sex
    "puteindra",
    "buteindra",
    "mhuteindra",
    "phuteindra",
    "putain",
    "butain",
    "mhutain",
    "phutain",
    "rhyw",
    "ryw",
    "rhywiol",
    "rywiol",
    # diversion, scheme, plan, charity, support worker
    "dargyfeirio",
    "ddargyfeirio",
    "nargyfeirio",
    "dargyfeiriad",
    "ddargyfeiriad",
    "nargyfeiriad",
    "cynllun",
    "gynllun",
    "nghynllun",
    "chynllun",
    "cynlluniau",
    "gynlluniau",
    "nghynlluniau",
    "chynlluniau",
    "sgîm",
    "sgim",
    "elusen",
    "elusennau",
    "cymorth",
    "gymorth",
    "nghymorth",
    "chymorth",
    "cefnogaeth",
    "gefnogaeth",
    "nghefnogaeth",
    "chefnogaeth",
    "gweithiwr",
    "weithiwr",
    "ngweithiwr",
    "gweithwyr",
    "weithwyr",
    "ngweithwyr",
    # exploitation, trafficking, drugs, alcohol
    "camfanteisio",
    "gamfanteisio",
    "nghamfanteisio",
    "chamfanteisio",
    "masnachu",
    "fasnachu",
    "cyffur",
    "gyffur",
    "nghyffur",
    "chyffur",
    "cyffuriau",
    "gyffuriau",
    "nghyffuriau",
    "chyffuriau",
    "alcohol",
    # assessment, safeguarding
    "asesiad",
    "asesiadau",
    "asesu",
    "diogelu",
    "ddiogelu",
    "niogelu",
    # women, refuge, abuse, violence
    "menywod",
    "fenywod",
    "merched",
    "ferched",
    "lloches",
    "loches",
    "cam-drin",
    "gam-drin",
    "nghamdrin",
    "cham-drin",
    "camdriniaeth",
    "gamdriniaeth",
    "nghamdriniaeth",
    "chamdriniaeth",
    "trais",
    "drais",
    "nhrais",
    "thrais",
)

# Each language's own deny-list, by ISO 639-1 code. A language without one is checked against English's alone, and
# the manager's page says it has no list of its own.
DENY_LISTS: dict[str, tuple[str, ...]] = {ENGLISH: DENY_LIST, "cy": WELSH_DENY_LIST}


@cache
def _pattern(language: str) -> re.Pattern[str]:
    words = DENY_LISTS.get(language, ())
    if language != ENGLISH:
        words = (*words, *DENY_LIST)
    # Longest first, so that "cam-drin" is found before "cam"; whole words only ("courteous" is not "court").
    ordered = sorted(set(words), key=len, reverse=True)
    return re.compile(r"(?<!\w)(" + "|".join(re.escape(word) for word in ordered) + r")(?!\w)", re.IGNORECASE)


def has_own_deny_list(language: str) -> bool:
    """True when the language has a deny-list of its own (English's is checked as well as any)."""
    return language in DENY_LISTS


class UnsafeWording(ValueError):
    """A message would carry a word from the deny-list. The message names the word, never the text."""


def denied_words(text: str, language: str = ENGLISH) -> list[str]:
    """The deny-listed words found in a text (lower case), from its language's list and English's."""
    return sorted({match.lower() for match in _pattern(language).findall(text or "")})


def check_safe(text: str, language: str = ENGLISH) -> str:
    """Return the text, or raise UnsafeWording when it carries a deny-listed word."""
    found = denied_words(text, language)
    if found:
        raise UnsafeWording(f"message refused: deny-listed word {found[0]!r}")
    return text


# Client reminders: $day and $time are the only values, both from the appointment's start in Europe/London.
REMINDER_SMS = Template("Reminder: you have an appointment on $day at $time. Reply STOP to stop these reminders.")
REMINDER_EMAIL_SUBJECT = Template("Appointment reminder")
REMINDER_EMAIL_BODY = Template(
    "Hello,\n\nThis is a reminder that you have an appointment on $day at $time.\n\n"
    "If you cannot come, please call us.\n\nReply STOP to stop these reminders."
)
CLIENT_TEMPLATES = {
    "sms": (None, REMINDER_SMS),
    "email": (REMINDER_EMAIL_SUBJECT, REMINDER_EMAIL_BODY),
}

# The parts of her messages a language's wording gives, each with its English wording (a catalogue's message id,
# and its context) and the part's name in words.
SMS_BODY, EMAIL_SUBJECT, EMAIL_BODY = "sms_body", "email_subject", "email_body"
PARTS = {SMS_BODY: "Text message", EMAIL_SUBJECT: "Email subject", EMAIL_BODY: "Email"}


def english_parts() -> dict[str, str]:
    """The English wording of each part, as the templates above hold it."""
    return {
        SMS_BODY: CLIENT_TEMPLATES["sms"][1].template,
        EMAIL_SUBJECT: CLIENT_TEMPLATES["email"][0].template,
        EMAIL_BODY: CLIENT_TEMPLATES["email"][1].template,
    }


def placeholders(text: str) -> set[str]:
    """The $names a wording uses (an invalid "$" is a name of its own, so that it is refused)."""
    template = Template(text)
    found = set(template.get_identifiers())
    if not template.is_valid():
        found.add("$")
    return found


TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


@cache
def catalogues() -> dict[str, dict[str, str]]:
    """Each language's catalogue (``translations/<code>/LC_MESSAGES/client.po``, read with Babel): its wording of
    each part, by part. Read once, from the source files: nothing is compiled, so no build step can be missed."""
    found: dict[str, dict[str, str]] = {}
    for path in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/client.po")):
        code = path.parent.parent.name
        if code not in LANGUAGES:
            continue
        with path.open("rb") as handle:
            catalogue = read_po(handle, locale=code if _babel_knows(code) else None)
        parts = {message.context: message.string for message in catalogue if message.id and message.context}
        found[code] = {part: parts[part] for part in PARTS if isinstance(parts.get(part), str) and parts[part]}
    return found


def catalogue_languages() -> list[str]:
    """The languages that have a catalogue, English first and then by code."""
    return sorted(catalogues(), key=lambda code: (code != ENGLISH, code))


def _babel_knows(code: str) -> bool:
    try:
        Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        return False
    return True


@dataclass(frozen=True)
class Rendered:
    """A message ready to store: subject (email only) and body, the language it is in, and why it is in English
    when she speaks another (a code: ``not_approved`` or ``no_catalogue``), or None."""

    subject: str | None
    body: str
    language: str = ENGLISH
    fallback: str | None = None


def when(starts_at: datetime, language: str = ENGLISH) -> dict[str, str]:
    """The day and time of an appointment in London, in her language. English as GOV.UK writes them ('Thursday 3
    December', '10:30am'); any other as Babel's locale data does, Welsh with the soft mutation a day takes after
    "ar" ('ddydd Iau 3 Rhagfyr', '10:30')."""
    local = starts_at.astimezone(LONDON)
    if language == ENGLISH or not _babel_knows(language):
        # In English whoever's request sends it: a member of staff reading the service in Welsh does not change it.
        return {
            "day": long_date(local.date(), weekday=True, year=False, language=ENGLISH),
            "time": clock_time(local.time(), language=ENGLISH),
        }
    day = format_date(local.date(), "EEEE d MMMM", locale=language)
    if language == "cy":
        day = "d" + day[0].lower() + day[1:]  # "Dydd Iau" -> "ddydd Iau": every weekday's name starts "Dydd"
    return {"day": day, "time": format_time(local.time(), "short", locale=language)}


def approved_wording(scheme_id: int | None, language: str) -> MessageWording | None:
    """A scheme's latest approved wording of a language, or None."""
    if scheme_id is None:
        return None
    query = select(MessageWording).where(
        MessageWording.scheme_id == scheme_id, MessageWording.language_code == language
    )
    return db.session.scalar(query.order_by(MessageWording.number.desc()).limit(1))


def wording_in_use(scheme_id: int | None, language: str | None) -> tuple[str, dict[str, str], str | None]:
    """The language her messages go in, its wording of each part, and why it is English when she speaks another
    (``no_catalogue``, ``not_approved``) or None. English is the fallback and needs no approval: its latest approved
    wording when the scheme has one, else the templates above."""
    language = language or ENGLISH
    if language != ENGLISH:
        if language not in catalogues():
            reason: str | None = "no_catalogue"
        else:
            approved = approved_wording(scheme_id, language)
            if approved is not None:
                return language, approved.parts, None
            reason = "not_approved"
    else:
        reason = None
    english = approved_wording(scheme_id, ENGLISH)
    return ENGLISH, (english.parts if english is not None else english_parts()), reason


def render_reminder(
    channel: str, starts_at: datetime, language: str | None = None, scheme_id: int | None = None
) -> Rendered:
    """A reminder for an appointment in her language (its scheme's approved wording; else English, saying why),
    checked against the deny-lists of its language and English."""
    used, parts, fallback = wording_in_use(scheme_id, language)
    if channel == "sms":
        subject_template, body_template = None, Template(parts[SMS_BODY])
    else:
        subject_template, body_template = Template(parts[EMAIL_SUBJECT]), Template(parts[EMAIL_BODY])
    values = when(starts_at, used)
    subject = check_safe(subject_template.substitute(values), used) if subject_template else None
    return Rendered(subject, check_safe(body_template.substitute(values), used), used, fallback)


# Staff messages go to the service's own people and partners, by email. They carry initials and links, never names,
# contact details or anything of the assessment or the plan.
DIGEST_SUBJECT = "Your daily case summary"
TEAM_DIGEST_SUBJECT = "The team's daily case summary"
NOTICE_EMAIL_SUBJECT = "A new outcome notice"
NOTICE_EMAIL_BODY = Template(
    "A new outcome notice has been made for a case at $court: $outcome.\n\nRead it here: $link\n\n"
    "You get this email because you asked to. You can stop it on your notification settings page: $settings"
)
