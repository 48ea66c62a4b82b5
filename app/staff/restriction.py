"""Staff views: restriction (Art. 18). Apply it; tell the person before lifting it; lift it.

The restriction outlives the case: the two lifting steps work on a closed case too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import LazyString, format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse
from wtforms import DateField, SelectField
from wtforms.validators import AnyOf, DataRequired, InputRequired

from app.clock import today
from app.core.permissions import Permission
from app.core.workflow import RequestType
from app.models import Person, StaffUser, SubjectRequest
from app.services.fulfilment import restriction
from app.staff import bp
from app.staff.access import require
from app.staff.cases import FORMS, act, panel
from app.staff.forms import ActionForm, _text, options

GROUND_LABELS: dict[str, LazyString] = {
    "accuracy": _l("The person contests the accuracy of the data (Art. 18.1 a)"),
    "unlawful": _l("Unlawful processing; the person wants restriction, not erasure (Art. 18.1 b)"),
    "legal_claims": _l("The person needs the data for legal claims (Art. 18.1 c)"),
    "objection": _l("An objection is being assessed (Art. 18.1 d)"),
}


class RestrictForm(FlaskForm):
    ground = SelectField(
        _l("Ground for the restriction"),
        choices=options([("", _l("Choose a ground")), *GROUND_LABELS.items()]),
        validators=[
            DataRequired(_l("Choose the ground for the restriction.")),
            AnyOf(list(restriction.GROUNDS), message=_l("Choose the ground for the restriction.")),
        ],
    )


class LiftNoticeForm(FlaskForm):
    reason = _text(
        _l("Why the restriction will be lifted"),
        _l("Give the reason: it is sent to the person."),
    )
    lift_on = DateField(
        _l("Lifted on or after"),
        validators=[InputRequired(_l("Give the date from which the restriction is lifted."))],
    )


FORMS["restrict"] = RestrictForm
FORMS["announce_lift"] = LiftNoticeForm
FORMS["lift_restriction"] = ActionForm


@dataclass(frozen=True)
class LiftSteps:
    """Telling the person (Art. 18(3)), then lifting: what the page offers now."""

    state: restriction.RestrictionState
    can_announce: bool
    can_lift: bool
    lift_blocked: str | None  # why the lift button is not offered, when a notice was given


def lift_steps(db: Session, case: SubjectRequest, day: date) -> LiftSteps:
    """The lifting steps of the restriction the case put in place (also once it is closed)."""
    current = restriction.state(case)
    in_force = current.in_force and bool(restriction.restricted_records(db, case.email))
    lift_blocked = None
    if in_force and current.lift_on is not None:
        objection = restriction.pending_objection(db, case.email)
        if day < current.lift_on:
            lift_blocked = _(
                "The person was told it is lifted on %(date)s: it can be lifted from that day.",
                date=format_date(current.lift_on, "long"),
            )
        elif objection is not None:
            lift_blocked = _(
                "The person's objection %(reference)s is still being decided.",
                reference=objection.reference,
            )
    return LiftSteps(
        state=current,
        can_announce=in_force,
        can_lift=in_force and current.lift_on is not None and lift_blocked is None,
        lift_blocked=lift_blocked,
    )


@dataclass(frozen=True)
class RestrictionPanel:
    requested_ground: str | None  # what the person asked for (none for some manual intakes)
    state: restriction.RestrictionState
    records: int  # records held under the address
    restricted: int  # of which restricted now
    can_apply: bool
    lift: LiftSteps
    labels: dict[str, LazyString]  # the grounds, in words


@panel("restriction")
def restriction_panel(
    db: Session, case: SubjectRequest, me: StaffUser, day: date
) -> RestrictionPanel | None:
    if case.type is not RequestType.RESTRICTION:
        return None
    current = restriction.state(case)
    records = db.scalar(select(func.count(Person.id)).where(Person.email == case.email)) or 0
    return RestrictionPanel(
        requested_ground=(case.details or {}).get("ground"),
        state=current,
        records=records,
        restricted=len(restriction.restricted_records(db, case.email)),
        can_apply=case.is_open and not current.in_force and records > 0,
        lift=lift_steps(db, case, day),
        labels=GROUND_LABELS,
    )


@bp.post("/cases/<reference>/restrict")
@require(Permission.WORK_CASES)
def case_restrict(reference: str) -> BaseResponse | tuple[str, int]:
    def perform(db: Session, item: SubjectRequest, form: Any, me: StaffUser, at: datetime) -> str:
        count = restriction.apply_restriction(db, item, ground=form.ground.data, by=me, now=at)
        return _(
            "The restriction is in place on %(num)d records. The person was told on their status "
            "page, and the recipients of the data will be told.",
            num=count,
        )

    return act(reference, "restrict", perform)


@bp.post("/cases/<reference>/restriction/announce-lift")
@require(Permission.WORK_CASES)
def case_announce_lift(reference: str) -> BaseResponse | tuple[str, int]:
    def perform(db: Session, item: SubjectRequest, form: Any, me: StaffUser, at: datetime) -> str:
        restriction.announce_lift(
            db, item, reason=form.reason.data, lift_on=form.lift_on.data, by=me, now=at,
            today=today(),
        )  # fmt: skip
        return _(
            "The person was told on their status page that the restriction will be lifted on "
            "%(date)s. You can lift it from that day.",
            date=format_date(form.lift_on.data, "long"),
        )

    return act(reference, "announce_lift", perform)


@bp.post("/cases/<reference>/restriction/lift")
@require(Permission.WORK_CASES)
def case_lift_restriction(reference: str) -> BaseResponse | tuple[str, int]:
    def perform(db: Session, item: SubjectRequest, form: Any, me: StaffUser, at: datetime) -> str:
        count = restriction.lift_restriction(db, item, by=me, now=at, today=today())
        return _(
            "The restriction is lifted on %(num)d records. The recipients of the data will be "
            "told.",
            num=count,
        )

    return act(reference, "lift_restriction", perform)
