"""Staff views: erasure (Art. 17). The plan as a table, proposed by a handler for the officer.

The privacy officer approves or rejects the plan with the case page's decision buttons; approving
carries it out at once. Until a plan is proposed the panel shows what today's plan would be.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from app.clock import today
from app.core.permissions import Permission
from app.core.workflow import RequestType
from app.models import Approval, ApprovalKind, ApprovalStatus, StaffUser, SubjectRequest
from app.services import decisions
from app.services.fulfilment import erasure
from app.staff import bp
from app.staff.access import require
from app.staff.cases import APPROVED_MESSAGES, FORMS, act, panel
from app.staff.forms import _text


class ErasurePlanForm(FlaskForm):
    reasons = _text(
        _l("Assessment: why the data are to be erased"),
        _l("Give the assessment: on which ground of Art. 17(1) the erasure is carried out."),
    )


FORMS["erasure_plan"] = ErasurePlanForm


@dataclass(frozen=True)
class ErasurePanel:
    plan: erasure.ErasurePlan
    state: str  # "draft" (not yet proposed), "pending", "executed"
    approval: Approval | None
    stale: bool  # a pending plan no longer matches the records
    can_propose: bool
    category_labels: dict[str, Any]
    ground_labels: dict[str, Any]
    citations: dict[str, str]


@panel("erasure")
def erasure_panel(db: Session, case: SubjectRequest, me: StaffUser, day: date) -> Any:
    if case.type is not RequestType.ERASURE:
        return None
    approved = erasure.approved_plan(case)
    pending = decisions.pending(case, ApprovalKind.ERASURE)
    stale = False
    if approved is not None:
        state, approval = "executed", approved
        plan = erasure.ErasurePlan.from_payload(approved.payload)
    elif pending is not None:
        state, approval = "pending", pending
        plan = erasure.ErasurePlan.from_payload(pending.payload)
        stale = not plan.same_rows(erasure.plan_erasure(db, case, day))
    else:
        state, approval = "draft", None
        plan = erasure.plan_erasure(db, case, day)
    return ErasurePanel(
        plan=plan,
        state=state,
        approval=approval,
        stale=stale,
        can_propose=state == "draft" and case.is_open and case.refusal_scope != "whole",
        category_labels=erasure.CATEGORY_LABELS,
        ground_labels=erasure.GROUND_LABELS,
        citations=erasure.GROUND_CITATIONS,
    )


@bp.post("/cases/<reference>/erasure-plan")
@require(Permission.WORK_CASES)
def case_erasure_plan(reference: str) -> BaseResponse | tuple[str, int]:
    def perform(db: Session, item: SubjectRequest, form: Any, me: StaffUser, at: datetime) -> str:
        approval = erasure.propose_plan(db, item, form.reasons.data, by=me, now=at, today=today())
        if approval.status is ApprovalStatus.APPROVED:
            return executed_message()
        return _(
            "The erasure plan is proposed. It is carried out when the privacy officer approves it."
        )

    return act(reference, "erasure_plan", perform)


def executed_message() -> str:
    return _(
        "The erasure is carried out. The confirmation, with what was erased and what was kept, "
        "is on the person's status page and they were told by e-mail."
    )


APPROVED_MESSAGES[ApprovalKind.ERASURE] = lambda _case: executed_message()
