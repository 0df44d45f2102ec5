"""A real client in the suite: a Python client generated from the document the app serves, by openapi-python-client
(pinned in requirements/dev.txt), used with nothing else to do what a court's and the CPS's systems do: a court
refers and reads the status; the CPS lists its notices and acknowledges one. Every answer the client parses must
keep all of the JSON it was sent (docs/api.md, "Views": a generated client reads each answer in its own shape), so a
document looser or stricter than the answers fails here.

The client is generated once per session, into a temporary directory, and imported from there. Its httpx client
talks to the app in-process through httpx's WSGI transport: no network.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import re
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from diversion.dates import today
from diversion.documents.models import CONTENT_TYPES
from diversion.extensions import db
from diversion.notices.models import OutcomeNotice
from diversion.webhooks.services import send_due
from tests.api import bodies
from tests.api.conftest import case_in
from tests.api.test_fuzz import isolated
from tests.webhooks.receiver import running_receiver

PACKAGE = "diversion_api_client"
FILE_TYPES = list(CONTENT_TYPES)
GENERATOR = Path(sys.executable).parent / "openapi-python-client"


@pytest.fixture(scope="session")
def generated(app, tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    """The client package, generated from the served document (the generator runs ruff on what it writes)."""
    served = app.test_client().get("/api/v1/openapi.json")
    assert served.status_code == 200
    root = tmp_path_factory.mktemp("generated")
    document = root / "openapi.json"
    document.write_text(json.dumps(served.get_json()))
    # A document's download answers in its own type (PDF, JPEG, PNG, Word); the generator reads bytes only under
    # application/octet-stream, so an integrator's client is told those types are bytes (docs/api.md, "Documents").
    config = root / "config.json"
    config.write_text(json.dumps({"content_type_overrides": dict.fromkeys(FILE_TYPES, "application/octet-stream")}))
    environment = {**os.environ, "PATH": f"{GENERATOR.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(document),
            "--output-path",
            str(root / PACKAGE),
            "--meta",
            "none",
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "warning" not in (result.stdout + result.stderr).lower(), result.stdout + result.stderr
    sys.path.insert(0, str(root))
    try:
        return importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))


def _module(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.{name}")


def _client(generated: ModuleType, app, token: str) -> Any:
    transport = httpx.WSGITransport(app=isolated(app))
    return generated.AuthenticatedClient(
        base_url="http://localhost/api/v1", token=token, httpx_args={"transport": transport}
    )


def _keeps_everything(response: Any, model_type: type) -> Any:
    """The parsed answer, after checking it is of the type expected and gives back all of the raw JSON."""
    raw = json.loads(response.content)
    parsed = response.parsed
    assert isinstance(parsed, model_type), (type(parsed).__name__, raw)
    assert parsed.to_dict() == raw
    return parsed


def test_a_court_system_refers_and_reads_the_status(app, generated, team) -> None:
    create_referral = _module("api.default.create_referral")
    get_referral = _module("api.default.get_referral")
    models = _module("models")
    court = _client(generated, app, team.token("court"))

    body = models.ReferralInput.from_dict(bodies.referral(team.court.code))
    made = create_referral.sync_detailed(client=court, body=body)
    assert made.status_code == 201
    case = _keeps_everything(made, models.CaseStatus)
    assert case.view == models.CaseStatusView.STATUS
    assert case.state.value == "REFERRED"
    assert made.headers["Location"].endswith(f"/api/v1/referrals/{case.id}")

    read = get_referral.sync_detailed(referral_id=case.id, client=court)
    assert read.status_code == 200
    status = _keeps_everything(read, models.CaseStatus)
    assert (status.id, status.urn, status.return_date) == (case.id, case.urn, case.return_date)
    assert set(status.client.to_dict()) == {"id", "given_name", "family_name", "date_of_birth"}

    # The same case as a support worker reads it: the record, parsed as the record and nothing lost.
    record = get_referral.sync_detailed(referral_id=case.id, client=_client(generated, app, team.token("worker")))
    assert record.status_code == 200
    assert _keeps_everything(record, models.CaseRecord).view == models.CaseRecordView.RECORD

    # Another court's case is not there for this court (404), and the error parses whole too.
    elsewhere = case_in("REFERRED", court=team.other_court, worker=team.worker)
    refused = get_referral.sync_detailed(referral_id=elsewhere.id, client=court)
    assert refused.status_code == 404
    assert _keeps_everything(refused, models.Error).error.code.value == "not_found"


def test_a_cps_system_lists_its_notices_and_acknowledges_one(app, generated, team) -> None:
    list_notices = _module("api.default.list_notices")
    acknowledge_notice = _module("api.default.acknowledge_notice")
    models = _module("models")
    ended = case_in("WITHDRAWN", court=team.court, worker=team.worker)
    notice_id = db.session.scalar(select(OutcomeNotice.id).where(OutcomeNotice.referral_id == ended.id))
    cps = _client(generated, app, team.token("cps"))

    inbox = list_notices.sync_detailed(client=cps)
    assert inbox.status_code == 200
    page = _keeps_everything(inbox, models.NoticeList)
    (notice,) = [item for item in page.items if item.id == notice_id]
    assert notice.acknowledged_at is None
    assert notice.outcome.value == "withdrawn"

    decision = models.AcknowledgeInput(decision=models.Decision.PROCEEDING, decided_on=today())
    answered = acknowledge_notice.sync_detailed(notice_id=notice.id, client=cps, body=decision)
    assert answered.status_code == 200
    acknowledged = _keeps_everything(answered, models.Notice)
    assert acknowledged.decision.value == "proceeding"
    assert acknowledged.decided_on == today()
    assert acknowledged.acknowledged_at is not None

    # A second acknowledgement is refused (409), and that answer parses whole too.
    again = acknowledge_notice.sync_detailed(notice_id=notice.id, client=cps, body=decision)
    assert again.status_code == 409
    assert _keeps_everything(again, models.Error).error.code.value == "conflict"

    done = list_notices.sync_detailed(client=cps, status=models.ListNoticesStatus.ACKNOWLEDGED, since=date(2026, 11, 1))
    assert done.status_code == 200
    assert notice_id in [item.id for item in _keeps_everything(done, models.NoticeList).items]


def test_a_cps_system_receives_a_webhook_and_checks_its_signature(app, generated, team) -> None:
    """The CPS subscribes with the generated client; a worker withdraws a case (a notice is made); the delivery
    reaches the CPS's receiver signed, passes the check docs/api.md prints, and carries the notice the CPS's own
    list gives, nothing more."""
    create_webhook = _module("api.default.create_webhook")
    list_webhooks = _module("api.default.list_webhooks")
    list_notices = _module("api.default.list_notices")
    withdraw_referral = _module("api.default.withdraw_referral")
    models = _module("models")
    cps = _client(generated, app, team.token("cps"))
    with running_receiver() as receiver:
        made = create_webhook.sync_detailed(
            client=cps,
            body=models.WebhookInput.from_dict({"url": receiver.url, "events": ["notice.created"]}),
        )
        assert made.status_code == 201
        subscription = _keeps_everything(made, models.WebhookCreated)
        listed = _keeps_everything(list_webhooks.sync_detailed(client=cps), models.WebhookList)
        assert [item.id for item in listed.items] == [subscription.id]
        assert "secret" not in listed.items[0].to_dict()

        case = case_in("OPTED_IN", court=team.court, worker=team.worker)
        worker = _client(generated, app, team.token("worker"))
        ended = withdraw_referral.sync_detailed(
            referral_id=case.id, client=worker, body=models.WithdrawInput(reason="She moved away.")
        )
        assert ended.status_code == 200
        send_due()  # what the worker process does; without a queue it also runs after each response
        (delivery,) = [item for item in receiver.received if item.path == "/hook"]

    verify = documented_verify()
    signature = delivery.headers["Diversion-Signature"]
    assert verify(subscription.secret, delivery.body, signature, now=time.time())
    assert not verify(subscription.secret, delivery.body + b" ", signature, now=time.time())
    payload = json.loads(delivery.body)
    assert payload["event"] == "notice.created"
    inbox = _keeps_everything(list_notices.sync_detailed(client=cps), models.NoticeList)
    (notice,) = [item for item in inbox.items if str(item.id) == payload["data"]["id"]]
    assert payload["data"] == notice.to_dict()


def documented_verify() -> Any:
    """The receiver's check exactly as docs/api.md ("Webhooks") prints it."""
    section = (Path(__file__).resolve().parents[2] / "docs/api.md").read_text().split("## Webhooks", 1)[1]
    (code,) = re.findall(r"```python\n(.*?)```", section.split("\n## ", 1)[0], re.DOTALL)
    namespace: dict[str, Any] = {}
    exec(compile(code, "docs/api.md", "exec"), namespace)  # noqa: S102 - the guide's own example, as printed
    return namespace["verify"]


def test_a_support_system_uploads_a_document_and_downloads_it(app, generated, team) -> None:
    upload_document = _module("api.default.upload_document")
    list_documents = _module("api.default.list_documents")
    download_document = _module("api.default.download_document")
    models = _module("models")
    types = _module("types")
    worker = _client(generated, app, team.token("worker"))
    case = case_in("OPTED_IN", court=team.court, worker=team.worker)
    pdf = b"%PDF-1.7\n%%EOF\n"

    body = models.DocumentUpload(file=types.File(payload=io.BytesIO(pdf), file_name="scan.png"), title="A letter")
    made = upload_document.sync_detailed(referral_id=case.id, client=worker, body=body)
    assert made.status_code == 201
    document = _keeps_everything(made, models.Document)
    assert (document.title, document.content_type.value) == ("A letter", "application/pdf")
    listed = list_documents.sync_detailed(referral_id=case.id, client=worker)
    assert [item.id for item in _keeps_everything(listed, models.DocumentList).items] == [document.id]
    download = download_document.sync_detailed(document_id=document.id, client=worker)
    assert download.status_code == 200
    assert download.content == pdf
    assert download.headers["Content-Disposition"].startswith("attachment; filename=")
