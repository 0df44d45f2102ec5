"""The Care Action Plan of a case: read it, make it with her, record her agreement."""

from __future__ import annotations

from datetime import date

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from diversion import confirmations, conflicts
from diversion.assessments.models import DOMAIN_LABELS, Domain
from diversion.care_plans import bp, services
from diversion.care_plans.forms import ACTION_SLOTS, GOAL_SLOTS, CarePlanForm
from diversion.care_plans.models import ACTION_OWNERS, ACTION_STATUSES, ONWARD_STATUSES, SERVICE_LABELS
from diversion.dates import long_date
from diversion.drafts import forms as drafts
from diversion.errors import Conflict, DomainError
from diversion.forms import apply_errors
from diversion.permissions import current_actor, load_case, requires
from diversion.referrals.case_page import case_page, not_yet_page
from diversion.referrals.models import State

LABELS = {
    "domains": DOMAIN_LABELS,
    "owners": ACTION_OWNERS,
    "statuses": ACTION_STATUSES,
    "onward": ONWARD_STATUSES,
    "services": SERVICE_LABELS,
}


def _case_page(referral, template: str, status: int = 200, **context):
    return case_page(referral, "plan", template, labels=LABELS, **context), status


@bp.route("/cases/<uuid:referral_id>/plan")
@requires("client_records")
def show(referral_id):
    referral = load_case(referral_id)
    return _case_page(
        referral,
        "care_plans/show.html",
        plan=services.plan_of(referral),
        not_yet=services.not_yet(referral),
        case_width="full",
    )


@bp.route("/cases/<uuid:referral_id>/plan/edit", methods=["GET", "POST"])
@requires("client_records")
def edit(referral_id):
    referral = load_case(referral_id)
    blocked = services.not_yet(referral)
    if blocked is not None:
        return not_yet_page(referral, "plan", _("Care Action Plan"), blocked, labels=LABELS)
    plan = services.plan_of(referral)
    form = CarePlanForm()
    if request.method == "GET" and plan is not None:
        _fill(form, plan)
    draft = drafts.offer(form, "plan", referral.id)
    status = 200
    comparison = None
    if form.validate_on_submit() and not confirmations.changing():
        answers = _answers(form)
        version = form.version.data
        resolved = conflicts.resolved_version(request.form)
        saved = plan if resolved is not None else None
        if saved is not None and saved.version == resolved:
            # Save again after a conflict: only with a choice for every difference, then at the version compared.
            comparison = _compare(answers, saved, request.form)
            if comparison.unchosen:
                status = 409
                comparison.refuse(form)
            else:
                _put(form, comparison.chosen())
                version = resolved
        if status == 200:
            goals, onward, slots = _read(form)
            agreed = bool(form.agreed.data)
            before = referral.state_enum
            try:
                # The save that completes her case is checked first (docs/confirmations.md).
                if not confirmations.confirmed() and services.save_completes_case(
                    referral, goals, onward, agreed=agreed, notes=form.notes.data, version=version
                ):
                    return _confirm(referral, form, goals, onward)
                services.save_care_plan(
                    referral,
                    goals,
                    onward,
                    current_actor(),
                    agreed=agreed,
                    notes=form.notes.data,
                    version=version,
                )
            except Conflict as error:
                # What this person typed stays on the page beside the saved plan; the form keeps the version she started
                # from, and the saved version only goes with the resolved marker (docs/conflicts.md).
                status = 409
                _put(form, answers)
                saved = services.plan_of(referral)
                if saved is None:
                    apply_errors(form, error, "notes")
                else:
                    comparison = _compare(answers, saved, None)
                    comparison.show(form)
            except DomainError as error:
                apply_errors(form, _form_error(error, slots), "notes")
            else:
                drafts.used("plan", referral.id)
                completed = before is not State.COMPLETED and referral.state_enum is State.COMPLETED
                flash(str(COMPLETED) if completed else _("Care Action Plan saved."), "success")
                return redirect(url_for("care_plans.show", referral_id=referral.id))
    return _case_page(
        referral,
        "care_plans/edit.html",
        status=status,
        form=form,
        goal_slots=range(GOAL_SLOTS),
        action_slots=range(ACTION_SLOTS),
        conflict=status == 409,
        comparison=comparison,
        draft=draft,
    )


COMPLETED = _l("Case completed. The CPS has been sent the outcome notice.")


def _confirm(referral, form, goals: list[services.GoalInput], onward: list[services.OnwardInput]):
    """The page that asks to confirm the save that completes her case."""
    domains = ", ".join(str(DOMAIN_LABELS[Domain(goal.domain)]) for goal in goals)
    return _case_page(
        referral,
        "referrals/confirm.html",
        form=form,
        title=_("Check before you complete her case"),
        rows=[
            {"key": {"text": _("Goals")}, "value": {"text": f"{len(goals)}: {domains}"}},
            {"key": {"text": _("Onward referrals")}, "value": {"text": str(len(onward))}},
            {"key": {"text": _("Her agreement")}, "value": {"text": _("She agrees to this plan")}},
        ],
        warning=_(
            "Her case will be completed. The CPS will be sent the outcome notice saying she completed the "
            "diversion scheme, and may discontinue the case."
        ),
        action=url_for("care_plans.edit", referral_id=referral.id),
        confirm_text=_("Save the plan and complete her case"),
        change_text=_("Change the plan"),
        carried=confirmations.carried_answers(),
    )


def _read(form) -> tuple[list[services.GoalInput], list[services.OnwardInput], list[int]]:
    goals, slots = [], []
    for g in range(GOAL_SLOTS):
        domain, text = form[f"goal{g}_domain"].data, (form[f"goal{g}_text"].data or "").strip()
        actions = []
        for a in range(ACTION_SLOTS):
            prefix = f"goal{g}_action{a}"
            if (form[f"{prefix}_text"].data or "").strip():
                actions.append(
                    services.ActionInput(
                        form[f"{prefix}_text"].data,
                        form[f"{prefix}_owner"].data or "client",
                        form[f"{prefix}_due"].data,
                        form[f"{prefix}_status"].data or "to_do",
                    )
                )
        if domain or text or actions:
            goals.append(services.GoalInput(domain or "", text, actions))
            slots.append(g)
    onward = [
        services.OnwardInput(service, form[f"onward_{service}"].data)
        for service in (code.value for code in SERVICE_LABELS)
        if form[f"onward_{service}"].data
    ]
    return goals, onward, slots


def _answers(form) -> dict:
    """Every answer of the plan form by name; an action's who, due date and status count only with its text."""
    values = {name: form[name].data for name in _names(form)}
    for g in range(GOAL_SLOTS):
        for a in range(ACTION_SLOTS):
            prefix = f"goal{g}_action{a}"
            if not (values[f"{prefix}_text"] or "").strip():
                values |= {f"{prefix}_owner": None, f"{prefix}_due": None, f"{prefix}_status": None}
    return values


def _names(form) -> list[str]:
    return [field.name for field in form if field.name not in ("csrf_token", "version", "submit")]


def _compare(answers: dict, plan, formdata) -> conflicts.Comparison:
    saved = CarePlanForm(formdata=None)
    _fill(saved, plan)
    return conflicts.compare(
        what=_("Care Action Plan"),
        questions=[(name, _label(saved[name])) for name in _names(saved)],
        mine=answers,
        saved=_answers(saved),
        version=plan.version,
        shown=_shown,
        formdata=formdata,
        skip_blank=True,
    )


def _label(field) -> str:
    return str(field.label.text).removesuffix(" (optional)").removesuffix(" " + _("(optional)"))


def _shown(name: str, value) -> str:
    if value in ("", None):
        return _("Not given")
    if name == "agreed":
        return _("She agrees") if value == "True" else _("Not agreed yet")
    if name.endswith("_due"):
        return long_date(date.fromisoformat(value))
    for suffix, words in (("_domain", DOMAIN_LABELS), ("_owner", ACTION_OWNERS), ("_status", ACTION_STATUSES)):
        if name.endswith(suffix):
            return str(words.get(Domain(value) if suffix == "_domain" else value, value))
    if name.startswith("onward_"):
        return str(ONWARD_STATUSES.get(value, value))
    return value


def _put(form, values: dict) -> None:
    for name, value in values.items():
        if value is None and name.endswith(("_owner", "_status")):
            continue  # an action row left blank keeps the form's own default
        form[name].data = value


def _fill(form, plan) -> None:
    form.version.data = str(plan.version)
    form.notes.data = plan.notes or ""
    form.agreed.data = plan.is_agreed
    for g, goal in enumerate(plan.goals[:GOAL_SLOTS]):
        form[f"goal{g}_domain"].data = goal.domain
        form[f"goal{g}_text"].data = goal.text
        for a, action in enumerate(goal.actions[:ACTION_SLOTS]):
            prefix = f"goal{g}_action{a}"
            form[f"{prefix}_text"].data = action.text
            form[f"{prefix}_owner"].data = action.owner
            form[f"{prefix}_due"].process(None, action.due_date)
            form[f"{prefix}_status"].data = action.status
    for item in plan.onward_referrals:
        form[f"onward_{item.service}"].data = item.status


def _form_error(error: DomainError, slots: list[int]) -> DomainError:
    """Service field paths count only the goals filled in; the form's slots may have gaps."""
    fields = {}
    for name, message in error.fields.items():
        parts = name.split(".")
        slot = slots[int(parts[1])] if parts[0] == "goals" and len(parts) > 2 else 0
        if parts[0] == "goals" and len(parts) == 3:
            fields[f"goal{slot}_{parts[2]}"] = message
        elif parts[0] == "goals" and len(parts) == 5:
            fields[f"goal{slot}_action{parts[3]}_{parts[4]}"] = message
        elif parts[0] == "onward_referrals":
            fields["notes"] = message
        elif parts[0] == "goals":
            fields["goal0_text"] = message
        else:
            fields[name] = message
    error.fields = fields
    return error
