"""Erasure (Art. 17): a plan first, approved by the privacy officer, then carried out at once.

The plan lists every row the address has in every table of the controller's records, and says for
each whether it is erased or kept; a kept row has its ground and the day it may go (accounting
records: Bokföringslagen 7 kap. 2 §). The plan is an approval's payload, so it holds row ids,
categories, grounds, dates and counts, never names or contents. Approving it carries it out in the
same transaction: the rows are checked against the plan again (a plan made stale by a new row is
refused, and nothing changes), erased, the address's sign-in traces and delivered packages go,
the audit values sealed under its key become unreadable, a keyed hash on the suppression list
keeps it from being imported or contacted again, recipients are told (Art. 19), and the person gets
a confirmation of what was erased and what was kept, why and until when.

The row-by-row plan and the deletion (``plan_rows``, ``delete_records``) are shared with the
privacy officer's erasure of data past its retention period (``app.services.retention``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from flask import render_template
from flask_babel import LazyString, force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from app.clock import stockholm_date
from app.core.retention import BOOKKEEPING_ACT, accounting_kept_until, must_keep
from app.core.workflow import RequestStatus, RequestType
from app.models import (
    AccountingRecord,
    Approval,
    ApprovalKind,
    ApprovalStatus,
    Assignment,
    Communication,
    Consent,
    EmailStatus,
    EmailToken,
    Meeting,
    Message,
    NoticeAction,
    OutboundEmail,
    Person,
    RecipientNotice,
    StaffUser,
    SubjectRequest,
    SubjectSession,
    TechnicalRecord,
)
from app.services import audit, casework, decisions, notices, subject_keys, suppression
from app.services.casework import CaseClosedError
from app.services.decisions import DecisionError, Handler
from app.services.errors import RuleError
from app.services.fulfilment.packages import purge_deliveries_of
from app.services.processing import record_event

# The categories of the controller's records, in the order they are shown and erased last-first.
PEOPLE = "people"
ACCOUNTING = "accounting_records"
CATEGORIES = (
    PEOPLE,
    "assignments",
    "communications",
    "meetings",
    "consents",
    "technical_records",
    ACCOUNTING,
)
MODELS: dict[str, Any] = {
    PEOPLE: Person,
    "assignments": Assignment,
    "communications": Communication,
    "meetings": Meeting,
    "consents": Consent,
    "technical_records": TechnicalRecord,
    ACCOUNTING: AccountingRecord,
}
# Children before parents: the order rows are deleted in.
DELETE_ORDER = (
    "communications",
    "meetings",
    "consents",
    "technical_records",
    ACCOUNTING,
    "assignments",
    PEOPLE,
)

CATEGORY_LABELS: dict[str, LazyString] = {
    PEOPLE: _l("Contact details and role"),
    "assignments": _l("Assignments (the customers the contact was made for)"),
    "communications": _l("Communication history (e-mails, calls, messages)"),
    "meetings": _l("Booked meetings"),
    "consents": _l("Consents"),
    "technical_records": _l("Technical data (IP address, browser)"),
    ACCOUNTING: _l("Accounting records (invoices naming the person as reference)"),
}

# What each part of the portal's erasure form (DATA_PARTS) covers. "contact" is the record
# itself, and erasing a record erases everything under it.
PART_CATEGORIES: dict[str, tuple[str, ...]] = {
    "contact": CATEGORIES,
    "communication": ("communications",),
    "meetings": ("meetings",),
    "consents": ("consents",),
    "technical": ("technical_records",),
    "customer": (ACCOUNTING,),
}

# Why a row is kept.
BOOKKEEPING = "bookkeeping"  # Art. 17(3)(b): a legal obligation, BFL 7 kap. 2 §
NOT_REQUESTED = "not_requested"  # the person asked to erase only some parts
GROUND_LABELS: dict[str, LazyString] = {
    BOOKKEEPING: _l("The Accounting Act requires accounting records to be kept (Art. 17.3 b GDPR)"),
    NOT_REQUESTED: _l("Not part of the request: only some parts were to be erased"),
}
GROUND_CITATIONS = {BOOKKEEPING: BOOKKEEPING_ACT}

EXECUTED = "erased"  # the timeline event of a plan carried out
_CHUNK = 500  # ids per IN (...) list: well below every database's limit on bound parameters


@dataclass(frozen=True)
class KeptGroup:
    """Rows of one category kept on one ground until one day (``None``: no end by law)."""

    category: str
    ground: str
    until: date | None
    ids: tuple[int, ...]

    @property
    def by_law(self) -> bool:
        return self.ground != NOT_REQUESTED


@dataclass(frozen=True)
class PlanRow:
    """One line of the plan as a table: category, rows erased, rows kept, ground, kept until."""

    category: str
    erased: int
    kept: int
    ground: str | None
    until: date | None


@dataclass(frozen=True)
class ErasurePlan:
    scope: str
    parts: tuple[str, ...]
    planned_on: date
    erase: dict[str, tuple[int, ...]]
    kept: tuple[KeptGroup, ...]
    other_open_cases: tuple[str, ...] = ()
    reasons: str | None = None
    counts: dict[str, dict[str, int]] = field(init=False)

    def __post_init__(self) -> None:
        kept = dict.fromkeys(CATEGORIES, 0)
        for group in self.kept:
            kept[group.category] += len(group.ids)
        erased = {c: len(self.erase.get(c, ())) for c in CATEGORIES}
        object.__setattr__(self, "counts", {"erased": erased, "kept": kept})

    @property
    def is_full(self) -> bool:
        """Whether the records themselves are erased (everything, or the contact details)."""
        return self.scope != "parts" or "contact" in self.parts

    @property
    def erased_total(self) -> int:
        return sum(self.counts["erased"].values())

    @property
    def kept_total(self) -> int:
        return sum(self.counts["kept"].values())

    @property
    def kept_by_law(self) -> list[KeptGroup]:
        return [g for g in self.kept if g.by_law]

    @property
    def erased_categories(self) -> list[str]:
        return [c for c in CATEGORIES if self.counts["erased"][c]]

    def rows(self) -> list[PlanRow]:
        """Every category, with its kept rows split by ground and date (first line: erased)."""
        table = []
        for category in CATEGORIES:
            erased = self.counts["erased"][category]
            groups = [g for g in self.kept if g.category == category]
            if not groups:
                table.append(PlanRow(category, erased, 0, None, None))
            for index, group in enumerate(groups):
                table.append(
                    PlanRow(
                        category, erased if index == 0 else 0, len(group.ids), group.ground,
                        group.until,
                    )
                )  # fmt: skip
        return table

    def same_rows(self, other: ErasurePlan) -> bool:
        """Whether both plans erase and keep exactly the same rows on the same grounds."""
        return _row_sets(self) == _row_sets(other)

    def to_payload(self) -> dict[str, Any]:
        """The plan as an approval's payload: ids, categories, grounds, dates, counts only."""
        payload: dict[str, Any] = {
            "scope": self.scope,
            "parts": list(self.parts),
            "planned_on": self.planned_on.isoformat(),
            "erase": {c: list(self.erase.get(c, ())) for c in CATEGORIES},
            "kept": [
                {
                    "category": g.category,
                    "ground": g.ground,
                    "until": g.until.isoformat() if g.until else None,
                    "count": len(g.ids),
                    "ids": list(g.ids),
                }
                for g in self.kept
            ],
            "counts": self.counts,
            "other_open_cases": list(self.other_open_cases),
        }
        if self.reasons is not None:
            payload["reasons"] = self.reasons
        return payload

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> ErasurePlan:
        return cls(
            scope=payload["scope"],
            parts=tuple(payload.get("parts") or ()),
            planned_on=date.fromisoformat(payload["planned_on"]),
            erase={c: tuple(payload["erase"].get(c, ())) for c in CATEGORIES},
            kept=tuple(
                KeptGroup(
                    category=g["category"],
                    ground=g["ground"],
                    until=date.fromisoformat(g["until"]) if g.get("until") else None,
                    ids=tuple(g["ids"]),
                )
                for g in payload.get("kept") or ()
            ),
            other_open_cases=tuple(payload.get("other_open_cases") or ()),
            reasons=payload.get("reasons"),
        )


def _row_sets(plan: ErasurePlan) -> tuple[Any, ...]:
    erase = {c: frozenset(plan.erase.get(c, ())) for c in CATEGORIES}
    kept = frozenset((g.category, g.ground, g.until, frozenset(g.ids)) for g in plan.kept)
    return (erase, kept)


# --- the plan ---------------------------------------------------------------------------------


def chosen_categories(request: SubjectRequest) -> tuple[str, ...]:
    """The categories the person asked to erase: all, or those of the parts they chose."""
    details = request.details or {}
    if details.get("scope") != "parts":
        return CATEGORIES
    chosen: set[str] = set()
    for part in details.get("parts") or ():
        chosen.update(PART_CATEGORIES.get(part, ()))
    return tuple(c for c in CATEGORIES if c in chosen)


def _ids(session: Session, model: Any, person_ids: Sequence[int]) -> list[int]:
    found: list[int] = []
    for chunk in _chunks(person_ids):
        found.extend(session.scalars(select(model.id).where(model.person_id.in_(chunk))))
    return sorted(found)


def plan_rows(
    session: Session, person_ids: Sequence[int], chosen: Iterable[str], today: date
) -> tuple[dict[str, tuple[int, ...]], tuple[KeptGroup, ...]]:
    """What erasing the ``chosen`` categories of these records erases and keeps, row by row.

    Shared by an Art. 17 plan and the officer's erasure of data past its retention period
    (``app.services.retention``): accounting records are kept while the Accounting Act requires
    it, whatever was chosen; a category not chosen is kept as not requested.
    """
    person_ids = sorted(person_ids)
    chosen = tuple(chosen)
    rows = {PEOPLE: list(person_ids)}
    for category in CATEGORIES[1:-1]:  # the records' children; accounting (last) follows below
        rows[category] = _ids(session, MODELS[category], person_ids)

    erase: dict[str, tuple[int, ...]] = {}
    kept: list[KeptGroup] = []
    for category in CATEGORIES[:-1]:
        if category in chosen:
            erase[category] = tuple(rows[category])
        else:
            erase[category] = ()
            if rows[category]:
                kept.append(KeptGroup(category, NOT_REQUESTED, None, tuple(rows[category])))

    # Accounting records: kept while the Accounting Act requires it, whatever was asked.
    accounting: list[tuple[int, date]] = []
    for chunk in _chunks(person_ids):
        accounting.extend(
            session.execute(
                select(AccountingRecord.id, AccountingRecord.document_date).where(
                    AccountingRecord.person_id.in_(chunk)
                )
            ).tuples()
        )
    by_until: dict[date, list[int]] = {}
    expired: list[int] = []
    for record_id, document_date in sorted(accounting):
        until = accounting_kept_until(document_date)
        if must_keep(until, today):
            by_until.setdefault(until, []).append(record_id)
        else:
            expired.append(record_id)
    if ACCOUNTING in chosen:
        erase[ACCOUNTING] = tuple(expired)
    else:
        erase[ACCOUNTING] = ()
        if expired:
            kept.append(KeptGroup(ACCOUNTING, NOT_REQUESTED, None, tuple(expired)))
    for until in sorted(by_until):
        kept.append(KeptGroup(ACCOUNTING, BOOKKEEPING, until, tuple(by_until[until])))
    return erase, tuple(kept)


def plan_erasure(session: Session, request: SubjectRequest, today: date) -> ErasurePlan:
    """What erasing the case's address would erase and keep, row by row, as of ``today``."""
    email = request.email
    person_ids = sorted(session.scalars(select(Person.id).where(Person.email == email)))
    erase, kept = plan_rows(session, person_ids, chosen_categories(request), today)

    details = request.details or {}
    scope = "parts" if details.get("scope") == "parts" else "all"
    open_statuses = [s for s in RequestStatus if s.is_open]
    open_others = tuple(
        session.scalars(
            select(SubjectRequest.reference)
            .where(
                SubjectRequest.email == email,
                SubjectRequest.id != request.id,
                SubjectRequest.status.in_(open_statuses),
            )
            .order_by(SubjectRequest.id)
        )
    )
    return ErasurePlan(
        scope=scope,
        parts=tuple(details.get("parts") or ()) if scope == "parts" else (),
        planned_on=today,
        erase=erase,
        kept=kept,
        other_open_cases=open_others,
    )


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


# --- the approval -----------------------------------------------------------------------------


def approved_plan(request: SubjectRequest) -> Approval | None:
    """The plan that was approved and carried out, if any."""
    return next(
        (
            a
            for a in request.approvals
            if a.kind is ApprovalKind.ERASURE and a.status is ApprovalStatus.APPROVED
        ),
        None,
    )


def is_executed(request: SubjectRequest) -> bool:
    return approved_plan(request) is not None


def _check(request: SubjectRequest) -> None:
    if not request.is_open:
        raise CaseClosedError
    if request.type is not RequestType.ERASURE:
        raise RuleError(_("Only a request for erasure is carried out this way."))
    if is_executed(request):
        raise RuleError(_("The erasure has already been carried out."))


def propose_plan(
    session: Session,
    request: SubjectRequest,
    reasons: str,
    *,
    by: StaffUser,
    now: datetime,
    today: date,
) -> Approval:
    """Propose erasing by the plan of today; an officer's own proposal is carried out at once.

    :raises CaseClosedError, RuleError: on a closed case, another type, a plan already carried out.
    :raises DecisionError: while another plan waits for the officer (``already_pending``).
    """
    _check(request)
    if decisions.pending(request, ApprovalKind.ERASURE):
        raise DecisionError("already_pending")
    plan = plan_erasure(session, request, today)
    payload = plan.to_payload() | {"reasons": reasons}
    return decisions.propose(session, request, ApprovalKind.ERASURE, payload, by, now, today)


def _check_approval(request: SubjectRequest, approval: Approval, today: date) -> None:
    _check(request)


def _apply_approval(
    session: Session, request: SubjectRequest, approval: Approval, by: StaffUser, now: datetime
) -> None:
    planned = ErasurePlan.from_payload(approval.payload)
    current = plan_erasure(session, request, stockholm_date(now))
    if not current.same_rows(planned):
        raise RuleError(
            _(
                "The records of this address have changed since the plan was made (for example "
                "a new communication was logged), so the plan no longer covers every row. Reject "
                "this plan with a note; the handler then makes a new one. Nothing was erased."
            )
        )
    execute(session, request, planned, by=by, now=now)


decisions.register(ApprovalKind.ERASURE, Handler(check=_check_approval, apply=_apply_approval))


# --- carrying it out --------------------------------------------------------------------------


@dataclass(frozen=True)
class Traces:
    """What else of the address was removed besides its records (counts, for the audit trail)."""

    email_tokens: int
    subject_sessions: int
    emails: int
    package_files: int
    keys: int


def _delete(session: Session, model: Any, ids: Sequence[int]) -> None:
    for chunk in _chunks(list(ids)):
        session.execute(
            delete(model).where(model.id.in_(chunk)),
            execution_options={"synchronize_session": False},
        )


def delete_records(
    session: Session, erase: Mapping[str, Sequence[int]], kept: Iterable[KeptGroup] = ()
) -> None:
    """Delete the rows of a plan, children before parents, in the current transaction.

    Kept accounting records of erased records lose their link to them first but keep their "our
    reference" name: it is part of the räkenskapsinformation. Objects loaded before are expired
    (bulk statements bypass the session). Shared with ``app.services.retention``.
    """
    kept_accounting = [i for g in kept if g.category == ACCOUNTING for i in g.ids]
    if erase.get(PEOPLE) and kept_accounting:
        for chunk in _chunks(kept_accounting):
            session.execute(
                update(AccountingRecord)
                .where(AccountingRecord.id.in_(chunk))
                .values(person_id=None),
                execution_options={"synchronize_session": False},
            )
    for category in DELETE_ORDER:
        _delete(session, MODELS[category], erase.get(category, ()))
    session.expire_all()  # objects loaded before the bulk statements must not be trusted now


def execute(
    session: Session, request: SubjectRequest, plan: ErasurePlan, *, by: StaffUser, now: datetime
) -> Traces | None:
    """Carry out an approved plan in the current transaction (called by the approval).

    Kept accounting records lose their link to the erased record but keep their "our reference"
    name: it is part of the räkenskapsinformation. When the records themselves go (not just some
    parts), so do the address's other traces (``_remove_traces``) and it is suppressed; returns
    what those traces were, or ``None`` for a partial erasure.
    """
    email = request.email
    recipients = notices.recipients_for(session, email)  # before the rows that name them go
    session.flush()
    delete_records(session, plan.erase, plan.kept)

    traces = None
    if plan.is_full:
        traces = _remove_traces(session, request, now)
        suppression.suppress(session, email, reason="erasure", now=now)
    counts = {"erased": plan.counts["erased"], "kept": plan.counts["kept"]}
    record_event(request, kind=EXECUTED, actor=by.actor, now=now, data=counts)
    if plan.erased_total and recipients:
        notices.create_notices(
            session,
            request,
            NoticeAction.ERASURE,
            recipients=recipients,
            details={"categories": plan.erased_categories},
            actor=by.actor,
            now=now,
        )
    audit.record(
        session, action="case.erase", now=now, staff=by, request=request,
        data={**counts, **({"traces": asdict(traces)} if traces else {})},
    )  # fmt: skip
    body = _notice(request, plan, told=bool(plan.erased_total and recipients))
    request.messages.append(Message(from_subject=False, staff_id=by.id, body=body, created_at=now))
    casework.notify_subject(session, request, "message", now)
    session.flush()
    return traces


def _remove_traces(session: Session, request: SubjectRequest, now: datetime) -> Traces:
    """Sign-in links and sessions, mail not tied to a case, packages, the key of sealed values.

    The address's cases stay (legal.md §6: the minimal case log), with the e-mails sent on them.
    """
    email = request.email
    tokens = session.execute(delete(EmailToken).where(EmailToken.email == email)).rowcount
    sessions = session.execute(delete(SubjectSession).where(SubjectSession.email == email)).rowcount
    emails = session.execute(
        delete(OutboundEmail).where(
            func.lower(OutboundEmail.to_address) == email,
            OutboundEmail.request_id.is_(None),
            OutboundEmail.status.in_([EmailStatus.SENT, EmailStatus.FAILED, EmailStatus.EXPIRED]),
        ),
        execution_options={"synchronize_session": False},
    ).rowcount
    files = purge_deliveries_of(session, email, now=now)
    _redact_notices(session, email)
    keys = subject_keys.shred(session, email)
    return Traces(
        email_tokens=tokens or 0,
        subject_sessions=sessions or 0,
        emails=emails or 0,
        package_files=files,
        keys=keys,
    )


def _redact_notices(session: Session, email: str) -> None:
    """Earlier rectification notices of the address's cases keep the field names, not values."""
    case_ids = select(SubjectRequest.id).where(SubjectRequest.email == email)
    for notice in session.scalars(
        select(RecipientNotice).where(
            RecipientNotice.request_id.in_(case_ids),
            RecipientNotice.action == NoticeAction.RECTIFICATION,
        )
    ):
        fields = (notice.details or {}).get("fields")
        if isinstance(fields, dict) and any(v is not None for v in fields.values()):
            notice.details = {**notice.details, "fields": dict.fromkeys(fields)}


def _notice(request: SubjectRequest, plan: ErasurePlan, *, told: bool) -> str:
    """The confirmation to the person, in the case's language."""
    with force_locale(request.language):
        erased = [
            (str(CATEGORY_LABELS[c]), plan.counts["erased"][c]) for c in plan.erased_categories
        ]
        by_law = [
            (
                str(CATEGORY_LABELS[g.category]),
                len(g.ids),
                GROUND_CITATIONS.get(g.ground, ""),
                str(GROUND_LABELS[g.ground]),
                g.until,
            )
            for g in plan.kept_by_law
        ]
        not_requested = [
            (str(CATEGORY_LABELS[g.category]), len(g.ids)) for g in plan.kept if not g.by_law
        ]
        text = render_template(
            "notices/erased.txt",
            case=request,
            language=request.language,
            erased=erased,
            kept=by_law,
            not_requested=not_requested,
            told=told,
            suppressed=plan.is_full,
        )
    return text.strip()


# --- completing the case ----------------------------------------------------------------------


def completion_blocker(session: Session, request: SubjectRequest) -> str | None:
    """An erasure case is completed only after its plan was carried out (or it was refused)."""
    if request.type is not RequestType.ERASURE or request.refusal_scope is not None:
        return None
    if is_executed(request):
        return None
    if decisions.pending(request, ApprovalKind.ERASURE):
        return _("The erasure plan waits for the privacy officer's approval.")
    if session.scalar(select(Person.id).where(Person.email == request.email).limit(1)) is None:
        return None  # nothing is held under the address: nothing to erase
    return _(
        "The erasure has not been carried out. Propose the erasure plan for the privacy "
        "officer's approval, or refuse the request (wholly or partly) with its legal ground."
    )


casework.COMPLETION_GUARDS.append(completion_blocker)
