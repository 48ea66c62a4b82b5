"""Lay out a ``Receipt`` as a PDF with ReportLab. Pure: the same receipt gives the same layout."""

from __future__ import annotations

from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from app.services.receipts import Receipt


def _styles() -> dict[str, ParagraphStyle]:
    sheet = getSampleStyleSheet()
    return {
        "title": ParagraphStyle("title", parent=sheet["Title"], alignment=0, fontSize=18),
        "h2": ParagraphStyle("h2", parent=sheet["Heading2"], fontSize=13, spaceBefore=8),
        "body": ParagraphStyle("body", parent=sheet["BodyText"], fontSize=10, leading=14),
        "small": ParagraphStyle("small", parent=sheet["BodyText"], fontSize=8, leading=11),
    }


def render_receipt_pdf(receipt: Receipt) -> bytes:
    """Return the PDF bytes; every text is escaped, so no value can inject ReportLab markup."""
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=receipt.title,
        author=receipt.controller_lines[0],
        lang=receipt.language,
    )
    s = _styles()
    facts = Table(
        [
            [Paragraph(escape(k), s["body"]), Paragraph(escape(v), s["body"])]
            for k, v in receipt.facts
        ],
        colWidths=[45 * mm, 125 * mm],
    )
    facts.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.grey),
                ("FONTNAME", (0, 0), (0, -1), "Helvetica-Bold"),
            ]
        )
    )
    story = [
        Paragraph(escape(receipt.title), s["title"]),
        Paragraph("<br/>".join(escape(line) for line in receipt.controller_lines), s["small"]),
        Spacer(1, 6 * mm),
        facts,
        Paragraph(escape(receipt.next_steps_heading), s["h2"]),
        Paragraph(escape(receipt.next_steps), s["body"]),
        Spacer(1, 2 * mm),
        Paragraph(escape(receipt.deadline_note), s["body"]),
        Paragraph(escape(receipt.complaint_heading), s["h2"]),
        Paragraph(escape(receipt.complaint_text), s["body"]),
        Paragraph("<br/>".join(escape(line) for line in receipt.complaint_lines), s["body"]),
        Spacer(1, 8 * mm),
        Paragraph(escape(receipt.footer), s["small"]),
    ]
    doc.build(story)
    return buffer.getvalue()
