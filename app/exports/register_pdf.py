"""The register of requests as a PDF report for IMY (ReportLab), in the current language.

Page 1: who the controller is, the period, and the summary figures over the cases in it (counts
by type and outcome, the on-time rate, median and 90th percentile of days to close, extensions
and refusals) with their definitions. Then one row per case, the header repeated on every page,
and "page X of Y" in every footer. Every text is escaped, so no value can inject ReportLab markup;
what a row says about the person is limited as in register_csv.py (legal.md §6).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from flask_babel import format_decimal
from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas
from reportlab.platypus import (
    LongTable,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from app.clock import STOCKHOLM
from app.core.workflow import RequestStatus, RequestType
from app.exports.register_csv import Texts, days_text, iso, percent_text
from app.labels import STAFF_STATUS_LABELS, STAFF_TYPE_LABELS
from app.models.fulfilment import NoticeStatus
from app.services.reporting import OPEN_STATUSES, Period, RegisterRow, RegisterSummary

PAGE = landscape(A4)
MARGIN = 12 * mm
GRID = colors.HexColor("#c9d1d9")
HEAD = colors.HexColor("#e8edf2")
CELL_FONT = 6.5
CELL_PADDING = 2


@dataclass(frozen=True)
class RegisterReport:
    """What the PDF shows besides the rows."""

    controller_lines: Sequence[str]  # name and organisation number, address, contact
    period: Period
    generated_at: datetime
    summary: RegisterSummary
    language: str


def _styles() -> dict[str, ParagraphStyle]:
    sheet = getSampleStyleSheet()
    return {
        "title": ParagraphStyle("title", parent=sheet["Title"], alignment=0, fontSize=18),
        "h2": ParagraphStyle("h2", parent=sheet["Heading2"], fontSize=12, spaceBefore=8),
        "body": ParagraphStyle("body", parent=sheet["BodyText"], fontSize=9, leading=12),
        "small": ParagraphStyle("small", parent=sheet["BodyText"], fontSize=8, leading=10),
        "cell": ParagraphStyle("cell", parent=sheet["BodyText"], fontSize=CELL_FONT, leading=8),
        "head": ParagraphStyle(
            "head", parent=sheet["BodyText"], fontSize=6.5, leading=8, fontName="Helvetica-Bold"
        ),
        "head_number": ParagraphStyle(
            "head_number", parent=sheet["BodyText"], fontSize=7, leading=8.5,
            fontName="Helvetica-Bold", alignment=2,
        ),
    }  # fmt: skip


def _numbered(footer: str) -> type[canvas.Canvas]:
    """A canvas that writes ``footer`` and "page X of Y" on every page once the count is known."""

    class NumberedCanvas(canvas.Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self.setFont("Helvetica", 7)
                self.setFillColor(colors.HexColor("#4a4a4a"))
                self.drawString(MARGIN, 7 * mm, footer)
                self.drawRightString(
                    PAGE[0] - MARGIN,
                    7 * mm,
                    _("Page %(page)d of %(pages)d", page=number, pages=total),
                )
                super().showPage()
            super().save()

    return NumberedCanvas


def _summary_story(report: RegisterReport, s: dict[str, ParagraphStyle]) -> list[Any]:
    summary = report.summary
    period = report.period
    withdrawn = summary.of_status(RequestStatus.WITHDRAWN)
    figures = [
        (_("Cases received in the period"), format_decimal(summary.cases)),
        (_("Still open"), format_decimal(summary.open)),
        (_("Answered (completed or refused)"), format_decimal(summary.answered)),
        (
            _("Answered on time"),
            f"{format_decimal(summary.on_time)} ({percent_text(summary.on_time_rate)})",
        ),
        (_("Answered late"), format_decimal(summary.late)),
        (_("Withdrawn by the person (not counted as on time or late)"), format_decimal(withdrawn)),
        (_("Median days to close"), days_text(summary.median_days)),
        (_("90th percentile of days to close"), days_text(summary.p90_days)),
        (_("Extensions (Art. 12(3))"), format_decimal(summary.extensions)),
        (_("Refusals of the whole request (Art. 12(4))"), format_decimal(summary.refusals_whole)),
        (_("Partial refusals"), format_decimal(summary.refusals_partial)),
    ]
    facts = Table(
        [[Paragraph(escape(k), s["body"]), Paragraph(escape(v), s["body"])] for k, v in figures],
        colWidths=[72 * mm, 30 * mm],
        hAlign="LEFT",
    )
    facts.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, GRID),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    statuses = [*OPEN_STATUSES, RequestStatus.COMPLETED, RequestStatus.REFUSED,
                RequestStatus.WITHDRAWN]  # fmt: skip
    header = [_("Type"), *(str(STAFF_STATUS_LABELS[st]) for st in statuses), _("Total")]
    body = [
        [
            str(STAFF_TYPE_LABELS[kind]),
            *(format_decimal(summary.by_type[kind][st]) for st in statuses),
            format_decimal(summary.of_type(kind)),
        ]
        for kind in RequestType
    ]
    totals = [
        _("All types"),
        *(format_decimal(summary.of_status(st)) for st in statuses),
        format_decimal(summary.cases),
    ]
    by_type = Table(
        [
            [
                Paragraph(escape(h), s["head_number"] if i else s["head"])
                for i, h in enumerate(header)
            ],
            *body,
            totals,
        ],
        colWidths=[32 * mm] + [18 * mm] * (len(statuses) + 1),
        hAlign="LEFT",
        repeatRows=1,
    )
    by_type.setStyle(
        TableStyle(
            [
                ("FONTSIZE", (0, 0), (-1, -1), 8),
                ("BACKGROUND", (0, 0), (-1, 0), HEAD),
                ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, GRID),
                ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    # The two tables next to each other, so that the summary fits on the first page.
    side_by_side = Table(
        [
            [Paragraph(escape(_("Summary")), s["h2"]),
             Paragraph(escape(_("Cases by type and outcome")), s["h2"])],
            [facts, by_type],
        ],
        colWidths=[108 * mm, 165 * mm],
        hAlign="LEFT",
    )  # fmt: skip
    side_by_side.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    generated = report.generated_at.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")
    return [
        Paragraph(escape(_("Register of requests")), s["title"]),
        Paragraph("<br/>".join(escape(line) for line in report.controller_lines), s["small"]),
        Spacer(1, 4 * mm),
        Paragraph(
            escape(
                _(
                    "Every request received from %(start)s to %(end)s (Swedish dates), "
                    "with its deadlines, extension, outcome and notices to recipients.",
                    start=period.start.isoformat(),
                    end=period.end.isoformat(),
                )
            ),
            s["body"],
        ),
        Paragraph(escape(_("Made %(moment)s, Swedish time.", moment=generated)), s["small"]),
        side_by_side,
        Spacer(1, 4 * mm),
        Paragraph(escape(definitions()), s["small"]),
    ]


def definitions() -> str:
    """How the figures are counted: the same words as on the dashboard (core/stats.py)."""
    return _(
        "Days to close: calendar days from the date of receipt to the date the case was "
        "closed (Swedish dates). On time: closed on or before the deadline in force when it "
        "closed, the legal one or, after an extension, the extended one. Withdrawn requests "
        "count neither as on time nor as late, and not in the days to close. Median: the "
        "middle value; 90th percentile: the smallest value that nine cases in ten do not exceed."
    )


def _notices_text(row: RegisterRow, texts: Texts) -> str:
    labels = (
        (NoticeStatus.CONFIRMED, _("confirmed")),
        (NoticeStatus.SENT, _("sent")),
        (NoticeStatus.PENDING, _("waiting")),
        (NoticeStatus.NOT_NOTIFIED, _("not notified")),
    )
    counts = ", ".join(f"{row.notice_count(st)} {label}" for st, label in labels
                       if row.notice_count(st))  # fmt: skip
    if not counts:
        return ""
    return f"{counts}: {texts.recipients(row)}"


_WIDTHS_MM = (25, 20, 15, 21, 17, 17, 38, 19, 40, 17, 14, 30)


def _case_table(
    rows: Sequence[RegisterRow], s: dict[str, ParagraphStyle], texts: Texts
) -> LongTable | Paragraph:
    if not rows:
        return Paragraph(escape(_("No requests were received in the period.")), s["body"])
    header = [
        _("Reference"), _("Type"), _("Channel"), _("Received (Swedish time)"),
        _("Legal deadline"), _("Extended deadline"), _("Extension: reason; person told"),
        _("Outcome"), _("Legal ground of a refusal"), _("Closed"), _("Days; on time"),
        _("Art. 19 notices: recipients"),
    ]  # fmt: skip

    fitting: dict[tuple[str, int], bool] = {}

    def para(text: str, column: int) -> Paragraph | str:
        """Plain text when it fits on one line (cheap to lay out), else a wrapping paragraph."""
        if (text, column) not in fitting:
            room = _WIDTHS_MM[column] * mm - 2 * CELL_PADDING
            fitting[text, column] = stringWidth(text, "Helvetica", CELL_FONT) <= room
        return text if fitting[text, column] else Paragraph(escape(text), s["cell"])

    data: list[list[Any]] = [[Paragraph(escape(h), s["head"]) for h in header]]
    for row in rows:
        extension = ""
        if row.extension_reason or row.extension_notified_on:
            extension = f"{row.extension_reason or ''}; {iso(row.extension_notified_on)}"
        ground = texts.ground(row)
        if ground:
            ground = f"{texts.refusal(row)}: {ground}"
            if texts.article(row):
                ground += f" ({texts.article(row)})"
        days = ""
        if row.days_to_close is not None:
            days = f"{row.days_to_close}"
            if texts.on_time(row):
                days += f"; {texts.on_time(row)}"
        data.append(
            [
                row.reference, para(texts.types[row.type], 1),
                para(texts.channels[row.channel], 2), texts.received(row),
                iso(row.legal_due_on), iso(row.extended_due_on), para(extension, 6),
                para(texts.statuses[row.status], 7), para(ground, 8), iso(row.closed_on), days,
                para(_notices_text(row, texts), 11),
            ]
        )  # fmt: skip
    table = LongTable(data, colWidths=[w * mm for w in _WIDTHS_MM], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTSIZE", (0, 0), (-1, -1), CELL_FONT),
                ("LEADING", (0, 0), (-1, -1), 8),
                ("BACKGROUND", (0, 0), (-1, 0), HEAD),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, GRID),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
                ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
            ]
        )
    )
    return table


def render_register_pdf(report: RegisterReport, rows: Sequence[RegisterRow]) -> bytes:
    buffer = BytesIO()
    title = _("Register of requests")
    period = f"{report.period.start.isoformat()} – {report.period.end.isoformat()}"
    doc = SimpleDocTemplate(
        buffer,
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=14 * mm,
        title=f"{title} {period}",
        author=report.controller_lines[0] if report.controller_lines else "",
        lang=report.language,
    )
    s = _styles()
    story = [
        *_summary_story(report, s),
        PageBreak(),
        Paragraph(escape(_("Cases, by date of receipt")), s["h2"]),
        _case_table(rows, s, Texts.current()),
    ]
    footer = f"{report.controller_lines[0] if report.controller_lines else ''} – {title} {period}"
    doc.build(story, canvasmaker=_numbered(footer))
    return buffer.getvalue()
