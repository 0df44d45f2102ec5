"""Her language, interpreter need and reading-help note in the subject-access export, and after her erasure: the note
is crypto-shredded with her key, the plain codes stay for reports (docs/languages.md, docs/privacy.md)."""

from __future__ import annotations

import json

from diversion.clients.erasure import erase_client
from diversion.clients.language_needs import LanguageNeeds, change_language_needs
from diversion.clients.models import Client
from diversion.crypto.fields import ERASED
from diversion.extensions import db
from diversion.privacy.export import build_export
from diversion.referrals.models import Referral
from tests.factories import create_referral, create_user, raw_column

NOTE = "Cannot read English well: read the plan aloud with her. LANGNOTE-7f3a"


def _her_case():
    worker = create_user(role="worker")
    referral = create_referral(state="WITHDRAWN", worker=worker)
    change_language_needs(referral, LanguageNeeds("ro", True, None, NOTE), referral.version, worker)
    return worker, db.session.get(Referral, referral.id)


def test_the_export_holds_her_language_interpreter_and_reading_help(app_ctx) -> None:
    _worker, referral = _her_case()
    made = build_export(db.session.get(Client, referral.client_id)).as_dict()
    [her] = made["sections"]["clients"]
    assert her["language_code"] == "ro"
    assert her["is_interpreter_needed"] is True
    assert her["interpreter_language_code"] == "ro"
    assert her["reading_help"] == NOTE


def test_erasure_shreds_the_note_and_keeps_the_codes_for_reports(app_ctx) -> None:
    worker, referral = _her_case()
    client = db.session.get(Client, referral.client_id)
    ciphertext = raw_column(model=Client, column="reading_help", row_id=client.id)
    assert NOTE.encode() not in ciphertext
    erase_client(client, "her request", worker)
    db.session.expire_all()
    client = db.session.get(Client, referral.client_id)
    assert client.reading_help is ERASED
    assert (client.language_code, client.is_interpreter_needed, client.interpreter_language_code) == ("ro", True, "ro")
    made = build_export(client).as_dict()
    assert NOTE not in json.dumps(made)
    assert made["sections"]["clients"][0]["reading_help"] == "erased"
