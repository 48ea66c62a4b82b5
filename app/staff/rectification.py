"""Staff views: rectification (Art. 16). The proposed corrections as a diff per record, applied.

Each record of the address has its own form: the handler keeps, edits or leaves out each proposed
value and applies them to that record. The values are checked by the portal's own rules; a value
that does not pass changes nothing and says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse
from wtforms import BooleanField, HiddenField, StringField
from wtforms.validators import DataRequired, Regexp

from app.core.permissions import Permission
from app.core.workflow import RequestType
from app.models import StaffUser, SubjectRequest
from app.services.errors import RuleError
from app.services.fulfilment import rectification
from app.staff import bp
from app.staff.access import require
from app.staff.cases import FORMS, act, panel


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class RectifyForm(FlaskForm):
    """The values to apply to one record; a field whose box is not ticked stays unchanged."""

    person_id = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9]{1,18}$")])
    name = StringField(_l("New name"), filters=[_strip])
    phone = StringField(_l("New phone number"), filters=[_strip])
    job_title = StringField(_l("New job title"), filters=[_strip])
    company = StringField(_l("New company"), filters=[_strip])
    change_name = BooleanField(_l("Correct the name"), default=True)
    change_phone = BooleanField(_l("Correct the phone number"), default=True)
    change_job_title = BooleanField(_l("Correct the job title"), default=True)
    change_company = BooleanField(_l("Correct the company"), default=True)

    def chosen(self) -> dict[str, str | None]:
        """The values the handler chose to apply, by field."""
        return {
            name: self[name].data or None
            for name in rectification.FIELDS
            if self[f"change_{name}"].data
        }

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        for name, error in rectification.validation_errors(self.chosen()).items():
            self[name].errors = [*self[name].errors, error]
            valid = False
        return valid


FORMS["rectify"] = RectifyForm


@dataclass(frozen=True)
class RectificationPanel:
    records: list[rectification.RecordDiff]
    proposed: dict[str, str]
    other: str | None
    applied: bool
    can_apply: bool
    labels: dict[str, Any]


@panel("rectification")
def rectification_panel(
    db: Session, case: SubjectRequest, me: StaffUser, day: date
) -> RectificationPanel | None:
    if case.type is not RequestType.RECTIFICATION:
        return None
    return RectificationPanel(
        records=rectification.diffs(db, case),
        proposed=rectification.corrections(case),
        other=rectification.other_text(case),
        applied=rectification.is_applied(case),
        can_apply=case.is_open,
        labels=rectification.FIELD_LABELS,
    )


@bp.post("/cases/<reference>/rectify")
@require(Permission.WORK_CASES)
def case_rectify(reference: str) -> BaseResponse | tuple[str, int]:
    def perform(db: Session, item: SubjectRequest, form: Any, me: StaffUser, at: datetime) -> str:
        proposed = rectification.corrections(item)
        values = {name: value for name, value in form.chosen().items() if name in proposed}
        if not values:
            raise RuleError(_("Tick at least one value to correct."))
        changes = rectification.apply(db, item, int(form.person_id.data), values, by=me, now=at)
        return ngettext(
            "%(num)d value was corrected. The person was told what was corrected, and the "
            "recipients of their data are being told.",
            "%(num)d values were corrected. The person was told what was corrected, and the "
            "recipients of their data are being told.",
            len(changes),
        )

    return act(reference, "rectify", perform)
