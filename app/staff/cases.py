"""The case page: the request as filed, matched records, timeline, messages, notes, decisions.

Viewing a case is recorded in the audit trail (``case.view``, and ``person.view`` for each matched
record). Every action is its own POST: it validates its form, calls one service, commits (the
queued e-mails leave after the commit) and redirects to the case page with a message. An action
the case's status or the deadlines do not allow changes nothing and says why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import LazyString, format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from app.clock import now, today
from app.core.deadlines import can_extend, can_refuse, extended_deadline, internal_target
from app.core.permissions import Permission
from app.core.workflow import InvalidTransitionError, RequestStatus, RequestType
from app.db import get_session
from app.i18n import localized
from app.mail import outbox
from app.models import (
    Approval,
    ApprovalKind,
    ApprovalStatus,
    Communication,
    Company,
    Consent,
    Meeting,
    Person,
    Purpose,
    StaffUser,
    SubjectRequest,
)
from app.portal.forms import DATA_PARTS, ERASURE_GROUNDS, OBJECTION_KINDS, RESTRICTION_GROUNDS
from app.services import audit, casework, decisions
from app.services.casework import CaseClosedError
from app.services.decisions import DecisionError
from app.services.errors import RuleError
from app.services.queue import UNASSIGNED
from app.staff import bp
from app.staff.access import current_staff, require
from app.staff.forms import (
    APPROVAL_KIND_LABELS,
    APPROVAL_STATUS_LABELS,
    CHANNEL_LABELS,
    REFUSAL_SCOPE_LABELS,
    STAFF_EVENT_LABELS,
    STAFF_STATUS_LABELS,
    ActionForm,
    AssignForm,
    ClarificationForm,
    CompleteForm,
    DecisionForm,
    ExtensionForm,
    MessageForm,
    NoteForm,
    RefusalForm,
    set_assignees,
)
from app.staff.queue import case_staff


@bp.context_processor
def staff_labels() -> dict[str, Any]:
    return {
        "STAFF_STATUS_LABELS": STAFF_STATUS_LABELS,
        "STAFF_EVENT_LABELS": STAFF_EVENT_LABELS,
        "CHANNEL_LABELS": CHANNEL_LABELS,
        "REFUSAL_SCOPE_LABELS": REFUSAL_SCOPE_LABELS,
        "APPROVAL_KIND_LABELS": APPROVAL_KIND_LABELS,
        "APPROVAL_STATUS_LABELS": APPROVAL_STATUS_LABELS,
    }


# --- what the page shows ----------------------------------------------------------------------


@dataclass(frozen=True)
class MatchedRecord:
    """A record held under the case's address, with counts only: the case page links nothing."""

    id: int
    name: str
    kind: str
    company: str | None
    communications: int
    meetings: int
    consents: int


def matched_records(session: Session, email: str) -> list[MatchedRecord]:
    def counted(model: Any) -> Any:
        return (
            select(func.count(model.id))
            .where(model.person_id == Person.id)
            .correlate(Person)
            .scalar_subquery()
        )

    query = (
        select(
            Person.id,
            Person.name,
            Person.kind,
            Company.name,
            counted(Communication),
            counted(Meeting),
            counted(Consent),
        )
        .outerjoin(Company, Company.id == Person.company_id)
        .where(Person.email == email)
        .order_by(Person.id)
    )
    return [MatchedRecord(*row) for row in session.execute(query)]


_FORMATS = {"pdf": "PDF", "json": "JSON", "csv": "CSV"}
_SCOPES = {"all": _l("Everything held about the person"), "parts": _l("Only some parts")}
_CORRECTIONS = {
    "name": _l("Name"),
    "phone": _l("Phone number"),
    "job_title": _l("Job title"),
    "company": _l("Company"),
    "other": _l("Something else"),
}
_CHOICES: dict[str, dict[str, Any]] = {
    "parts": dict(DATA_PARTS),
    "erasure_ground": dict(ERASURE_GROUNDS),
    "restriction_ground": dict(RESTRICTION_GROUNDS),
    "kind": dict(OBJECTION_KINDS),
}


@dataclass(frozen=True)
class Detail:
    label: str | LazyString
    values: list[Any]  # one or more lines; rendered as a list when more than one


def describe_details(session: Session, case: SubjectRequest) -> list[Detail]:
    """The structured request, in words: one entry per thing the person asked for."""
    details = dict(case.details or {})
    shown: list[Detail] = []

    def take(key: str) -> Any:
        return details.pop(key, None)

    scope = take("scope")
    parts = take("parts") or []
    if scope is not None:
        shown.append(Detail(_l("Scope"), [_SCOPES.get(scope, scope)]))
    if parts:
        shown.append(Detail(_l("Parts"), [_CHOICES["parts"].get(p, p) for p in parts]))
    formats = take("formats")
    if formats:
        shown.append(Detail(_l("Formats"), [_FORMATS.get(f, f) for f in formats]))
    ground = take("ground")
    if ground is not None:
        table = (
            _CHOICES["restriction_ground"]
            if case.type is RequestType.RESTRICTION
            else _CHOICES["erasure_ground"]
        )
        shown.append(Detail(_l("Ground given"), [table.get(ground, ground)]))
    kind = take("kind")
    if kind is not None:
        shown.append(Detail(_l("Objection to"), [_CHOICES["kind"].get(kind, kind)]))
    grounds = take("grounds")
    if grounds:
        shown.append(Detail(_l("The person's reasons"), [grounds]))
    corrections = take("corrections") or {}
    for name, value in corrections.items():
        label = _CORRECTIONS.get(name, name)
        shown.append(Detail(_l("Correct %(field)s to", field=label), [value]))
    consent_ids = take("consent_ids")
    if consent_ids:
        rows = session.execute(
            select(Consent.id, Purpose)
            .join(Purpose, Purpose.id == Consent.purpose_id)
            .where(Consent.id.in_([int(i) for i in consent_ids]))
            .order_by(Consent.id)
        ).all()
        shown.append(
            Detail(
                _l("Consents withdrawn"),
                [f"{localized(purpose, 'name')} (#{cid})" for cid, purpose in rows],
            )
        )
    transmit_to = take("transmit_to")
    if transmit_to:
        shown.append(Detail(_l("Send directly to"), [transmit_to]))
    for key, value in details.items():  # anything else (manual intake), as stored
        if value not in (None, "", [], {}):
            shown.append(Detail(key.replace("_", " ").capitalize(), [_plain(value)]))
    return shown


def _plain(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_plain(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_plain(v)}" for k, v in value.items())
    return str(value)


def staff_names(session: Session, case: SubjectRequest) -> dict[int, str]:
    """Names of everyone who appears on the case, looked up in one query."""
    ids: set[int] = set()
    for event in case.events:
        if event.actor.startswith("staff:"):
            ids.add(int(event.actor.removeprefix("staff:")))
        assignee = (event.data or {}).get("assignee_id")
        if isinstance(assignee, int):
            ids.add(assignee)
    ids.update(m.staff_id for m in case.messages if m.staff_id)
    ids.update(n.staff_id for n in case.notes)
    for a in case.approvals:
        ids.add(a.proposed_by_id)
        if a.decided_by_id:
            ids.add(a.decided_by_id)
    if case.assignee_id:
        ids.add(case.assignee_id)
    if not ids:
        return {}
    rows = session.execute(select(StaffUser.id, StaffUser.name).where(StaffUser.id.in_(ids)))
    return dict(rows.tuples().all())


def actor_name(actor: str, names: dict[int, str]) -> str:
    if actor.startswith("staff:"):
        staff_id = int(actor.removeprefix("staff:"))
        return names.get(staff_id) or _("Staff member %(id)d", id=staff_id)
    if actor == "subject":
        return _("The person")
    return _("The system")


@dataclass(frozen=True)
class Availability:
    """Which actions the case allows now, and why a decision cannot be proposed."""

    assign: bool
    start: bool
    ask: bool
    resume: bool
    message: bool
    complete: bool
    extension: bool
    extension_blocked: str | None
    refusal: bool
    refusal_blocked: str | None


def availability(case: SubjectRequest, day: date) -> Availability:
    is_open = case.is_open
    ext_pending = decisions.pending(case, ApprovalKind.EXTENSION)
    ref_pending = decisions.pending(case, ApprovalKind.REFUSAL)
    extension_blocked = refusal_blocked = None
    if is_open:
        if case.is_extended:
            extension_blocked = _rule_message("already_extended", case)
        elif ext_pending is not None:
            extension_blocked = _("An extension is already proposed and waits for the decision.")
        elif not can_extend(case.received_on, day, already_extended=False):
            extension_blocked = _rule_message("extension_too_late", case)
        if ref_pending is not None:
            refusal_blocked = _("A refusal is already proposed and waits for the decision.")
        elif not can_refuse(case.received_on, day):
            refusal_blocked = _rule_message("refusal_too_late", case)
    return Availability(
        assign=is_open,
        start=case.status is RequestStatus.RECEIVED,
        ask=case.status is RequestStatus.IN_PROGRESS,
        resume=case.status is RequestStatus.AWAITING_SUBJECT,
        message=is_open,
        complete=is_open,
        extension=is_open and extension_blocked is None,
        extension_blocked=extension_blocked,
        refusal=is_open and refusal_blocked is None,
        refusal_blocked=refusal_blocked,
    )


def _rule_message(reason: str, case: SubjectRequest) -> str:
    """Why a decision is not allowed, per ``DecisionError.reason``, in words for staff."""
    first_month = format_date(case.legal_due_on, "long")
    messages = {
        "already_extended": _(
            "The deadline has already been extended once (to %(date)s). The law allows one "
            "extension only.",
            date=format_date(case.extended_due_on or case.due_on, "long"),
        ),
        "extension_too_late": _(
            "The first month ended on %(date)s. An extension must be told to the person within "
            "the first month (Art. 12.3 GDPR), so it is no longer possible.",
            date=first_month,
        ),
        "refusal_too_late": _(
            "The first month ended on %(date)s. A refusal must be given within the first month "
            "(Art. 12.4 GDPR), so it is no longer possible.",
            date=first_month,
        ),
        "already_pending": _(
            "A proposal of this kind already waits for the privacy officer's decision."
        ),
        "already_decided": _("This proposal has already been decided."),
        "invalid_refusal": _("Choose whether all or part is refused, and a valid legal ground."),
    }
    return messages.get(reason, _("This decision is not allowed now. Nothing was changed."))


def _error_message(error: Exception, case: SubjectRequest) -> str:
    if isinstance(error, RuleError):
        return f"{error.message} " + _("Nothing was changed.")
    if isinstance(error, DecisionError):
        return _rule_message(error.reason, case) + " " + _("Nothing was changed.")
    if isinstance(error, InvalidTransitionError):
        return _(
            "This cannot be done while the case is “%(status)s”. Nothing was changed.",
            status=STAFF_STATUS_LABELS[error.current],
        )
    return _("The case is closed. Nothing was changed.")


# --- rendering --------------------------------------------------------------------------------

Panel = Callable[[Session, SubjectRequest, StaffUser, date], Any]
PANELS: dict[str, Panel] = {}


def panel(name: str) -> Callable[[Panel], Panel]:
    """Register what a fulfilment panel of the case page shows (``panels.<name>`` in templates).

    The function returns ``None`` when the panel does not apply to the case.
    """

    def register(function: Panel) -> Panel:
        PANELS[name] = function
        return function

    return register


def find_case(reference: str) -> SubjectRequest:
    case = get_session().scalar(
        select(SubjectRequest).where(SubjectRequest.reference == reference.upper())
    )
    if case is None:
        abort(404)
    return case


FORMS: dict[str, type[FlaskForm]] = {
    "assign": AssignForm,
    "start": ActionForm,
    "resume": ActionForm,
    "ask": ClarificationForm,
    "message": MessageForm,
    "note": NoteForm,
    "extension": ExtensionForm,
    "refusal": RefusalForm,
    "complete": CompleteForm,
}


def _blank_forms(case: SubjectRequest, staff: list[StaffUser]) -> dict[str, FlaskForm]:
    forms = {name: form(formdata=None, prefix=name) for name, form in FORMS.items()}
    assign: Any = forms["assign"]
    set_assignees(assign.assignee, staff)
    assign.assignee.data = str(case.assignee_id) if case.assignee_id else UNASSIGNED
    return forms


def render_case(
    case: SubjectRequest,
    me: StaffUser,
    *,
    failed: tuple[str, FlaskForm] | None = None,
    failed_decision: DecisionForm | None = None,
) -> str:
    """The case page; viewing it is recorded (case.view and person.view per matched record)."""
    db = get_session()
    moment = now()
    day = today()
    records = matched_records(db, case.email)
    audit.record(db, action="case.view", now=moment, staff=me, request=case)
    for record in records:
        audit.record(
            db, action="person.view", now=moment, staff=me, request=case, person_id=record.id
        )
    db.commit()
    staff = case_staff(db)
    forms = _blank_forms(case, staff)
    if failed is not None:
        name, form = failed
        if isinstance(form, AssignForm):
            set_assignees(form.assignee, staff)
        forms[name] = form
    names = staff_names(db, case)
    panels = {name: function(db, case, me, day) for name, function in PANELS.items()}
    return render_template(
        "staff/case.html",
        case=case,
        me=me,
        today=day,
        records=records,
        details=describe_details(db, case),
        internal_target=internal_target(case.received_on),
        would_extend_to=extended_deadline(case.received_on),
        names=names,
        actor_name=lambda actor: actor_name(actor, names),
        can=availability(case, day),
        panels=panels,
        forms=forms,
        failed=failed[0] if failed else None,
        failed_form=failed[1] if failed else failed_decision,
        failed_decision=failed_decision,
        pending=[a for a in case.approvals if a.status is ApprovalStatus.PENDING],
        decided=[a for a in case.approvals if a.status is not ApprovalStatus.PENDING],
    )


@bp.get("/cases/<reference>")
@require(Permission.WORK_CASES)
def case(reference: str) -> str:
    return render_case(find_case(reference), current_staff())


# --- actions ----------------------------------------------------------------------------------

Perform = Callable[[Session, SubjectRequest, Any, StaffUser, datetime], str]


def act(reference: str, name: str, perform: Perform) -> BaseResponse | tuple[str, int]:
    """Validate the action's form, perform it, commit and go back to the case page."""
    item = find_case(reference)
    me = current_staff()
    form = FORMS[name](prefix=name)
    if isinstance(form, AssignForm):
        set_assignees(form.assignee, case_staff(get_session()))
    if not form.validate_on_submit():
        return render_case(item, me, failed=(name, form)), 400
    db = get_session()
    moment = now()
    try:
        message = perform(db, item, form, me, moment)
    except (InvalidTransitionError, CaseClosedError, DecisionError, RuleError) as error:
        text = _error_message(error, item)
        outbox.rollback(db)
        flash(text, "error")
    else:
        outbox.commit(db, moment)
        flash(message, "success")
    return redirect(url_for("staff.case", reference=item.reference), code=303)


@bp.post("/cases/<reference>/assign")
@require(Permission.WORK_CASES)
def case_assign(reference: str) -> BaseResponse | tuple[str, int]:
    def perform(db: Session, item: SubjectRequest, form: Any, me: StaffUser, at: datetime) -> str:
        assignee = None
        if form.assignee.data != UNASSIGNED:
            assignee = db.get(StaffUser, int(form.assignee.data))
        casework.assign(db, item, assignee, by=me, now=at)
        if assignee is None:
            return _("The case is now unassigned.")
        return _("The case is assigned to %(name)s.", name=assignee.name)

    return act(reference, "assign", perform)


@bp.post("/cases/<reference>/start")
@require(Permission.WORK_CASES)
def case_start(reference: str) -> BaseResponse | tuple[str, int]:
    def perform(db: Session, item: SubjectRequest, form: Any, me: StaffUser, at: datetime) -> str:
        casework.start_work(db, item, by=me, now=at)
        return _("Work has started: the case is in progress.")

    return act(reference, "start", perform)


@bp.post("/cases/<reference>/ask")
@require(Permission.WORK_CASES)
def case_ask(reference: str) -> BaseResponse | tuple[str, int]:
    def perform(db: Session, item: SubjectRequest, form: Any, me: StaffUser, at: datetime) -> str:
        casework.ask_clarification(db, item, form.body.data, by=me, now=at)
        return _(
            "Your question is on the person's status page and they were told by e-mail that a "
            "message waits. The case waits for their answer; the deadline does not stop."
        )

    return act(reference, "ask", perform)


@bp.post("/cases/<reference>/resume")
@require(Permission.WORK_CASES)
def case_resume(reference: str) -> BaseResponse | tuple[str, int]:
    def perform(db: Session, item: SubjectRequest, form: Any, me: StaffUser, at: datetime) -> str:
        casework.resume(db, item, by=me, now=at)
        return _("Work has resumed: the case is in progress.")

    return act(reference, "resume", perform)


@bp.post("/cases/<reference>/message")
@require(Permission.WORK_CASES)
def case_message(reference: str) -> BaseResponse | tuple[str, int]:
    def perform(db: Session, item: SubjectRequest, form: Any, me: StaffUser, at: datetime) -> str:
        casework.send_message(db, item, form.body.data, by=me, now=at)
        return _(
            "The message is on the person's status page and they were told by e-mail that a "
            "message waits."
        )

    return act(reference, "message", perform)


@bp.post("/cases/<reference>/note")
@require(Permission.WORK_CASES)
def case_note(reference: str) -> BaseResponse | tuple[str, int]:
    def perform(db: Session, item: SubjectRequest, form: Any, me: StaffUser, at: datetime) -> str:
        casework.add_note(db, item, form.body.data, by=me, now=at)
        return _("The internal note is added. The person never sees it.")

    return act(reference, "note", perform)


@bp.post("/cases/<reference>/extend")
@require(Permission.WORK_CASES)
def case_extend(reference: str) -> BaseResponse | tuple[str, int]:
    def perform(db: Session, item: SubjectRequest, form: Any, me: StaffUser, at: datetime) -> str:
        approval = decisions.propose_extension(
            db, item, form.reasons.data, by=me, now=at, today=today()
        )
        if approval.status is ApprovalStatus.APPROVED:
            return _extended_message(item)
        return _("The extension is proposed. It takes effect when the privacy officer approves it.")

    return act(reference, "extension", perform)


@bp.post("/cases/<reference>/refuse")
@require(Permission.WORK_CASES)
def case_refuse(reference: str) -> BaseResponse | tuple[str, int]:
    def perform(db: Session, item: SubjectRequest, form: Any, me: StaffUser, at: datetime) -> str:
        approval = decisions.propose_refusal(
            db, item, scope=form.scope.data, ground=form.ground.data,
            reasons=form.reasons.data, by=me, now=at, today=today(),
        )  # fmt: skip
        if approval.status is ApprovalStatus.APPROVED:
            return _refused_message()
        return _("The refusal is proposed. It takes effect when the privacy officer approves it.")

    return act(reference, "refusal", perform)


@bp.post("/cases/<reference>/complete")
@require(Permission.WORK_CASES)
def case_complete(reference: str) -> BaseResponse | tuple[str, int]:
    def perform(db: Session, item: SubjectRequest, form: Any, me: StaffUser, at: datetime) -> str:
        casework.complete(db, item, form.body.data, by=me, now=at)
        return _("The case is completed and the person was told by e-mail.")

    return act(reference, "complete", perform)


def _extended_message(item: SubjectRequest) -> str:
    return _(
        "The deadline is extended to %(date)s. The reasons are on the person's status page and "
        "they were told by e-mail.",
        date=format_date(item.due_on, "long"),
    )


def _refused_message() -> str:
    return _(
        "The refusal notice, with the reasons and how to complain, is on the person's status "
        "page and they were told by e-mail."
    )


# What the officer is told once an approval of a fulfilment kind took effect (erasure, objection).
APPROVED_MESSAGES: dict[ApprovalKind, Callable[[SubjectRequest], str]] = {}


@bp.post("/cases/<reference>/decide")
@require(Permission.APPROVE)
def case_decide(reference: str) -> BaseResponse | tuple[str, int]:
    """The privacy officer approves or rejects a pending extension or refusal."""
    item = find_case(reference)
    me = current_staff()
    form = DecisionForm()
    valid = form.validate_on_submit()
    if form.approval_id.errors or form.decision.errors:
        abort(400)  # not something the page sends: no form to show again
    approval_id = int(form.approval_id.data)
    if not valid:
        form.note.id = f"note-{approval_id}"  # as the page names it, for the error summary link
        return render_case(item, me, failed_decision=form), 400
    db = get_session()
    approval = db.scalar(
        select(Approval).where(Approval.id == approval_id, Approval.request_id == item.id)
    )
    if approval is None:
        abort(404)
    approve = form.decision.data == "approve"
    moment = now()
    try:
        decisions.decide(
            db, approval, approve=approve, note=form.note.data or None, by=me, now=moment,
            today=today(),
        )  # fmt: skip
    except PermissionError:
        abort(403)
    except (CaseClosedError, DecisionError, InvalidTransitionError, RuleError) as error:
        text = _error_message(error, item)
        outbox.rollback(db)
        flash(text, "error")
    else:
        outbox.commit(db, moment)
        if not approve:
            flash(_("The proposal is rejected: it does not take effect."), "success")
        elif approval.kind is ApprovalKind.EXTENSION:
            flash(_extended_message(item), "success")
        elif approval.kind in APPROVED_MESSAGES:
            flash(APPROVED_MESSAGES[approval.kind](item), "success")
        else:
            flash(_refused_message(), "success")
    return redirect(url_for("staff.case", reference=item.reference), code=303)
