"""Staff views: objection (Art. 21). Direct marketing stopped at filing; an Art. 21(1) objection
is decided by the privacy officer: upheld (processing stops) or compelling grounds stated."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse
from wtforms import Field, RadioField
from wtforms.validators import InputRequired, ValidationError

from app.clock import today
from app.core.permissions import Permission
from app.core.workflow import RequestType
from app.models import Approval, ApprovalKind, ApprovalStatus, Person, StaffUser, SubjectRequest
from app.services import decisions, suppression
from app.services.fulfilment import objection, restriction
from app.staff import bp
from app.staff.access import require
from app.staff.cases import FORMS, act, panel
from app.staff.forms import _text, options
from app.staff.restriction import LiftSteps, lift_steps

OUTCOME_LABELS: dict[str, LazyString] = {
    objection.UPHOLD: _l("Uphold the objection: stop the processing"),
    objection.OVERRIDE: _l(
        "Compelling legitimate grounds override the person's interests (Art. 21.1)"
    ),
}


class ObjectionDecisionForm(FlaskForm):
    outcome = RadioField(
        _l("Decision"),
        choices=options(OUTCOME_LABELS.items()),
        validators=[InputRequired(_l("Choose whether the objection is upheld or overridden."))],
    )
    reasons = _text(
        _l("Grounds"),
        _l("State the grounds."),
        optional=True,
    )

    def validate_reasons(self, field: Field) -> None:
        text = (field.data or "").strip()
        if self.outcome.data == objection.OVERRIDE and len(text) < objection.GROUNDS_MIN_LENGTH:
            raise ValidationError(
                _l(
                    "State the compelling legitimate grounds specifically (at least %(num)d "
                    "characters): they are sent to the person.",
                    num=objection.GROUNDS_MIN_LENGTH,
                )
            )


FORMS["objection"] = ObjectionDecisionForm


@dataclass(frozen=True)
class ObjectionPanel:
    kind: str | None  # direct_marketing or legitimate_interest
    records: int
    restricted: int
    objecting: int  # records marked: no outreach
    suppressed: bool
    pending: Approval | None
    outcome: str | None  # what took effect
    can_propose: bool
    labels: dict[str, LazyString]
    # A closed case that never decided (withdrawn, or refused on another ground) leaves the
    # filing's restriction in place: it is lifted with the Art. 18(3) steps.
    lift: LiftSteps | None


@panel("objection")
def objection_panel(
    db: Session, case: SubjectRequest, me: StaffUser, day: date
) -> ObjectionPanel | None:
    if case.type is not RequestType.OBJECTION:
        return None

    def count(*where: Any) -> int:
        return (
            db.scalar(select(func.count(Person.id)).where(Person.email == case.email, *where)) or 0
        )

    pending = decisions.pending(case, ApprovalKind.OBJECTION)
    outcome = objection.decided_outcome(case)
    lift = None
    if not case.is_open and outcome is None and restriction.state(case).in_force:
        lift = lift_steps(db, case, day)
    return ObjectionPanel(
        kind=(case.details or {}).get("kind"),
        records=count(),
        restricted=count(restriction.restricted()),
        objecting=count(Person.marketing_objection_at.is_not(None)),
        suppressed=suppression.is_suppressed(db, case.email),
        pending=pending,
        outcome=outcome,
        can_propose=case.is_open and objection.is_legitimate_interest(case) and pending is None,
        labels=OUTCOME_LABELS,
        lift=lift,
    )


@bp.post("/cases/<reference>/objection")
@require(Permission.WORK_CASES)
def case_objection(reference: str) -> BaseResponse | tuple[str, int]:
    def perform(db: Session, item: SubjectRequest, form: Any, me: StaffUser, at: datetime) -> str:
        approval = objection.propose_decision(
            db, item, outcome=form.outcome.data, reasons=form.reasons.data or "", by=me, now=at,
            today=today(),
        )  # fmt: skip
        if approval.status is not ApprovalStatus.APPROVED:
            return _(
                "The decision is proposed. It takes effect when the privacy officer approves it."
            )
        if form.outcome.data == objection.UPHOLD:
            return _(
                "The objection is upheld: the processing has stopped, the address is on the "
                "suppression list and the person was told."
            )
        return _(
            "The decision with the grounds and how to complain is on the person's status page. "
            "The restriction is lifted and the recipients of the data will be told."
        )

    return act(reference, "objection", perform)
