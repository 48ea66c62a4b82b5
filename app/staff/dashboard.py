"""The privacy officer's dashboard and the register of requests for IMY (CSV and PDF).

One period (received or closed between two Stockholm dates, the last 12 months unless chosen)
governs the figures and the register. A period that is not a period (a malformed date, the end
before the start, an end after today, more than 60 months) gives a 400 page that says which,
and nothing else: no figures, no file, no audit entry. Each download of the register is in the
audit trail with its period and format.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, render_template
from flask import request as http_request
from flask_babel import format_date, format_decimal, format_percent
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms.validators import Optional

from app.clock import now, stockholm_date
from app.core.permissions import Permission
from app.core.stats import Month
from app.core.workflow import RequestType
from app.db import get_session, new_session
from app.exports.charts import PALETTE, Series, bar_chart, hbar_chart
from app.exports.register_csv import days_text, percent_text, render_register_csv
from app.exports.register_pdf import RegisterReport, render_register_pdf
from app.i18n import current_language
from app.labels import STAFF_TYPE_LABELS
from app.portal.context import controller
from app.services import audit, reporting
from app.services.reporting import Dashboard, Period
from app.staff import bp
from app.staff.access import current_staff, require
from app.staff.intake_forms import DateInputField

REGISTER_PDF_MAX = 5000
"""The most cases one PDF register holds (about 150 pages); the CSV takes any number."""

DATE_FORMAT_MESSAGE = _l("Enter the date as YYYY-MM-DD, for example 2026-11-03.")


class PeriodForm(FlaskForm):
    """The period of the figures and of the register: a GET form, so without CSRF token.

    An empty date takes its default (the last 12 months); ``today`` must be set before
    validating.
    """

    class Meta:
        csrf = False

    start = DateInputField(
        _l("From (date of receipt or closing)"),
        validators=[Optional()],
        invalid_value_message=DATE_FORMAT_MESSAGE,
    )
    end = DateInputField(
        _l("To, inclusive"),
        validators=[Optional()],
        invalid_value_message=DATE_FORMAT_MESSAGE,
    )

    today: date

    def period(self) -> Period:
        default = reporting.default_period(self.today)
        return Period(self.start.data or default.start, self.end.data or default.end)

    def validate(self, extra_validators: Any = None) -> bool:
        """The dates each, then the period as a whole (also when one date is left empty, which
        ``Optional`` would otherwise let through unchecked)."""
        if not super().validate(extra_validators):
            return False
        period = self.period()
        problem = reporting.period_problem(period.start, period.end, self.today)
        if problem is None:
            return True
        field = self.start if problem == "too_long" and self.start.data else self.end
        field.errors = [*field.errors, PERIOD_PROBLEMS[problem]]
        return False


PERIOD_PROBLEMS: dict[str, Any] = {
    "end_before_start": _l("The end date cannot be before the start date."),
    "end_in_future": _l("The end date cannot be after today."),
    "too_long": _l(
        "Choose a period of at most %(months)d calendar months.", months=reporting.MAX_MONTHS
    ),
}


def _form() -> tuple[PeriodForm, Period | None]:
    form = PeriodForm(formdata=http_request.args)
    form.today = stockholm_date(now())
    if not form.validate():
        return form, None
    period = form.period()
    form.start.data, form.end.data = period.start, period.end  # show the defaults too
    return form, period


def _refused(form: PeriodForm, message: str | None = None) -> tuple[str, int]:
    """The dashboard's period form with what is wrong, and nothing else (400)."""
    return render_template("staff/dashboard.html", form=form, board=None, problem=message), 400


# --- the page ------------------------------------------------------------------------------------


def month_label(month: Month, width: str = "MMM y") -> str:
    return format_date(month.first, width)


percent = percent_text
days = days_text


def _charts(board: Dashboard) -> dict[str, Markup]:
    months = board.period.months
    labels = [month_label(m) for m in months]
    span = f"{month_label(months[0], 'LLLL y')} – {month_label(months[-1], 'LLLL y')}"
    received = bar_chart(
        chart_id="chart-received",
        title=_("Requests received per month, by type"),
        description=_(
            "Stacked bars, one per month (%(span)s), a colour per type of request: "
            "%(total)s requests in all. The numbers are in the table below the chart.",
            span=span,
            total=format_decimal(board.received_total),
        ),
        categories=labels,
        series=[
            Series(str(STAFF_TYPE_LABELS[kind]), [board.received[m][kind] for m in months], colour)
            for kind, colour in zip(RequestType, PALETTE, strict=False)
        ],
        stacked=True,
        value_text=format_decimal,
    )
    on_time = bar_chart(
        chart_id="chart-on-time",
        title=_("Share answered on time, per month of closing"),
        description=_(
            "One bar per month (%(span)s): the share of the requests answered that month that "
            "were answered within the deadline in force; %(rate)s over the whole period. A month "
            "without answered requests has no bar, a share of 0 a thin one. The numbers are in "
            "the table below.",
            span=span,
            rate=percent(board.on_time_rate),
        ),
        categories=labels,
        series=[Series(_("On time"), [m.rate for m in board.on_time], PALETTE[2])],
        value_text=percent,
        axis_text=format_percent,
        max_value=1.0,
        show_zero=True,
    )
    type_names = [str(STAFF_TYPE_LABELS[d.type]) if d.type else _("All types") for d in board.days]
    days_chart = hbar_chart(
        chart_id="chart-days",
        title=_("Days to close per type: median and 90th percentile"),
        description=_(
            "Two bars per type of request: the median and the 90th percentile of the calendar "
            "days from receipt to closing, over the requests answered in the period; "
            "%(median)s and %(p90)s days for all types. The numbers are in the table below.",
            median=days(board.all_types.median),
            p90=days(board.all_types.p90),
        ),
        categories=type_names,
        series=[
            Series(_("Median"), [d.median for d in board.days], PALETTE[0]),
            Series(_("90th percentile"), [d.p90 for d in board.days], PALETTE[1]),
        ],
        value_text=days,
    )
    decisions = bar_chart(
        chart_id="chart-decisions",
        title=_("Extensions and refusals per month"),
        description=_(
            "Two bars per month (%(span)s): extensions and refusals (whole or partial), by the "
            "day the person was told; %(extensions)s extensions and %(refusals)s refusals in "
            "all. The numbers are in the table below.",
            span=span,
            extensions=format_decimal(board.extensions),
            refusals=format_decimal(board.refusals),
        ),
        categories=labels,
        series=[
            Series(_("Extensions"), [m.extensions for m in board.decisions], PALETTE[4]),
            Series(_("Refusals"), [m.refusals for m in board.decisions], PALETTE[1]),
        ],
        value_text=format_decimal,
    )
    return {"received": received, "on_time": on_time, "days": days_chart, "decisions": decisions}


@bp.get("/dashboard")
@require(Permission.VIEW_DASHBOARD)
def dashboard() -> str | tuple[str, int]:
    form, period = _form()
    if period is None:
        return _refused(form)
    board = reporting.dashboard(get_session(), period, form.today)
    return render_template(
        "staff/dashboard.html",
        form=form,
        board=board,
        charts=_charts(board),
        problem=None,
        month_label=month_label,
        percent=percent,
        days=days,
        register_args={"start": period.start.isoformat(), "end": period.end.isoformat()},
        pdf_max=REGISTER_PDF_MAX,
    )


# --- the register ----------------------------------------------------------------------------


def _record_export(kind: str, period: Period, cases: int) -> None:
    db = get_session()
    audit.record(
        db,
        action="register.export",
        now=now(),
        staff=current_staff(),
        data={
            "format": kind,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "cases": cases,
        },
    )
    db.commit()


def _filename(period: Period, extension: str) -> str:
    return f"register-{period.start.isoformat()}-{period.end.isoformat()}.{extension}"


@bp.get("/dashboard/register.csv")
@require(Permission.VIEW_DASHBOARD)
def dashboard_register_csv() -> Response | tuple[str, int]:
    form, period = _form()
    if period is None:
        return _refused(form)
    _record_export("csv", period, reporting.register_count(get_session(), period))
    # The rows are read while the answer streams, after this request's session has gone: with
    # a session of their own, closed when the last row is written (or the download stops).
    reader = new_session()
    rows = reporting.register_rows(reader, period)
    return Response(
        render_register_csv(rows, done=reader.close),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{_filename(period, "csv")}"'},
    )


def controller_lines() -> tuple[str, ...]:
    info = controller()
    if info is None:
        return ()
    return (
        f"{info.name}, {_('Org. no. %(number)s', number=info.org_number)}",
        info.address,
        info.dpo_email or info.email,
    )


@bp.get("/dashboard/register.pdf")
@require(Permission.VIEW_DASHBOARD)
def dashboard_register_pdf() -> Response | tuple[str, int]:
    form, period = _form()
    if period is None:
        return _refused(form)
    db = get_session()
    count = reporting.register_count(db, period)
    if count > REGISTER_PDF_MAX:
        return _refused(
            form,
            _(
                "The PDF holds at most %(most)s cases and %(cases)s were received in the period: "
                "choose a shorter period, or download the CSV, which holds any number.",
                most=format_decimal(REGISTER_PDF_MAX),
                cases=format_decimal(count),
            ),
        )
    rows = list(reporting.register_rows(db, period))
    moment = now()
    report = RegisterReport(
        controller_lines=controller_lines(),
        period=period,
        generated_at=moment,
        summary=reporting.summarise(rows),
        language=current_language(),
    )
    pdf = render_register_pdf(report, rows)
    _record_export("pdf", period, len(rows))
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{_filename(period, "pdf")}"'},
    )
