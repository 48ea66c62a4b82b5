"""The receipt of a request as data, in the case's language; the PDF renderer only lays it out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import force_locale, format_date, format_datetime
from flask_babel import gettext as _

from app.clock import STOCKHOLM
from app.core.authority import IMY
from app.labels import STATUS_LABELS, TYPE_LABELS, cite, next_steps
from app.models import ControllerInfo, SubjectRequest


@dataclass(frozen=True)
class Receipt:
    language: str
    title: str
    controller_lines: tuple[str, ...]
    facts: tuple[tuple[str, str], ...]  # label, value
    next_steps_heading: str
    next_steps: str
    deadline_note: str
    complaint_heading: str
    complaint_text: str
    complaint_lines: tuple[str, ...]
    footer: str


def receipt_for(request: SubjectRequest, controller: ControllerInfo, *, language: str) -> Receipt:
    with force_locale(language):
        return Receipt(
            language=language,
            title=_("Receipt for your request"),
            controller_lines=(
                controller.name,
                _("Org. no. %(number)s", number=controller.org_number),
                controller.address,
                controller.dpo_email or controller.email,
            ),
            facts=(
                (_("Reference"), request.reference),
                (_("Request"), f"{TYPE_LABELS[request.type]} ({cite(request.type)})"),
                (_("Received on"), _local(request.received_at)),
                (_("Status"), str(STATUS_LABELS[request.status])),
                (_("We must answer by"), _day(request.due_on)),
            ),
            next_steps_heading=_("What happens next"),
            next_steps=str(next_steps(request.type, request.details)),
            deadline_note=_(
                "We answer without undue delay and at the latest within one month of receiving "
                "your request (Art. 12.3 GDPR). If the request is complex we may extend the time "
                "by two further months; we then tell you why within the first month."
            ),
            complaint_heading=_("If you are not satisfied"),
            complaint_text=_(
                "You have the right to lodge a complaint with the supervisory authority, "
                "%(authority)s (IMY), and to go to court.",
                authority=IMY.name(language),
            ),
            complaint_lines=(IMY.postal_address, IMY.complaint_url(language)),
            footer=_("Keep this receipt. Reference %(reference)s.", reference=request.reference),
        )


def _local(moment: datetime) -> str:
    return format_datetime(moment.astimezone(STOCKHOLM), "d MMMM y, HH:mm")


def _day(day: date) -> str:
    return format_date(day, "EEEE d MMMM y")
