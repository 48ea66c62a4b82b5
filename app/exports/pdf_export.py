"""Lay out an ``AccessBundle`` as a readable PDF with ReportLab. Pure: bundle in, bytes out.

The document follows the two layers of legal.md §4: part 1 (about the copy, a summary, how the
data are processed, the core data) and part 2 (the full communication history and technical
logs), then an explanation of the codes. Every value is escaped before it reaches a Paragraph, so
nothing a person or a CRM wrote can inject ReportLab markup.

Long tables (the communication history, meetings, technical records, invoices) are laid out page
by page from a window of rows (``_RowStream``), with the header row on every page and rows that
may split across a page break: a person with ten thousand messages gets a long document, built in
linear time and flat memory (docs/benchmarks.md). The contents list and "Page X of Y" come from a
second layout pass (``multiBuild``), which repeats until the page numbers it printed are the ones
it found.

Font: DejaVu's ancestor Bitstream Vera, shipped inside ReportLab, embedded as a subset. The
built-in Helvetica (WinAnsi) has å, ä, ö and é but not č, ć, ł or ş, which real names in the
records use (Kovačević); Vera covers Latin-1 and Latin Extended-A.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import reportlab
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    LongTable,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.tableofcontents import TableOfContents

from app.exports.bundle import AccessBundle, Column, ColumnType, DataTable

STOCKHOLM = ZoneInfo("Europe/Stockholm")
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 18 * mm
WIDTH = PAGE_WIDTH - 2 * MARGIN  # the frame's width

FONT, BOLD, ITALIC, BOLD_ITALIC = "Vera", "VeraBd", "VeraIt", "VeraBI"
CELL_SIZE, CELL_LEADING, CELL_PADDING = 8.5, 11, 3  # CELL_PADDING: ReportLab's default
_FONT_FILES = {
    FONT: "Vera.ttf",
    BOLD: "VeraBd.ttf",
    ITALIC: "VeraIt.ttf",
    BOLD_ITALIC: "VeraBI.ttf",
}

# Characters a PDF text string cannot carry (C0 controls other than tab and newline).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Tables shown as one small label/value card per row (few rows, many columns).
CARD_TABLES = frozenset(
    {"records", "companies", "assignments", "consents", "requests", "suppression"}
)


def _register_fonts() -> None:
    """Register Vera once per process (ReportLab keeps fonts in a global registry)."""
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    folder = Path(reportlab.__file__).parent / "fonts"
    for name, filename in _FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(folder / filename)))
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=BOLD, italic=ITALIC, boldItalic=BOLD_ITALIC
    )


def _styles() -> dict[str, ParagraphStyle]:
    body = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=13, spaceAfter=4)
    return {
        "title": ParagraphStyle(
            "title", parent=body, fontName=BOLD, fontSize=22, leading=27, spaceAfter=6
        ),
        "subtitle": ParagraphStyle("subtitle", parent=body, fontSize=13, leading=17, spaceAfter=14),
        "h1": ParagraphStyle(
            "h1", parent=body, fontName=BOLD, fontSize=16, leading=20, spaceBefore=4,
            spaceAfter=8, keepWithNext=1,
        ),
        "h2": ParagraphStyle(
            "h2", parent=body, fontName=BOLD, fontSize=12.5, leading=16, spaceBefore=10,
            spaceAfter=5, keepWithNext=1,
        ),
        "h3": ParagraphStyle(
            "h3", parent=body, fontName=BOLD, fontSize=10.5, leading=14, spaceBefore=8,
            spaceAfter=3, keepWithNext=1,
        ),
        "body": body,
        "keep": ParagraphStyle("keep", parent=body, keepWithNext=1),
        "box": ParagraphStyle(
            "box", parent=body, fontSize=10.5, leading=15, borderColor=colors.HexColor("#1f4e79"),
            borderWidth=0.8, borderPadding=7, backColor=colors.HexColor("#eef4fa"),
            spaceBefore=10, spaceAfter=12,
        ),
        "cell": ParagraphStyle("cell", parent=body, fontSize=8.5, leading=11, spaceAfter=0),
        "head": ParagraphStyle("head", parent=body, fontName=BOLD, fontSize=8.5, leading=11,
                               spaceAfter=0),
        "small": ParagraphStyle("small", parent=body, fontSize=8, leading=10.5,
                                textColor=colors.HexColor("#444444")),
        "toc0": ParagraphStyle("toc0", parent=body, fontName=BOLD, fontSize=10.5, leading=15,
                               spaceBefore=5),
        "toc1": ParagraphStyle("toc1", parent=body, fontSize=9.5, leading=13, leftIndent=12),
        "toc2": ParagraphStyle("toc2", parent=body, fontSize=9, leading=12, leftIndent=24),
    }  # fmt: skip


def _table_style(header: bool) -> TableStyle:
    commands: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), FONT, CELL_SIZE, CELL_LEADING),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, _GRID),
        # Top and bottom padding stay at ReportLab's default (CELL_PADDING): fewer commands,
        # and each one is applied to every cell of every page's table.
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        commands += [
            ("BACKGROUND", (0, 0), (-1, 0), _HEAD),
            ("FONT", (0, 0), (-1, 0), BOLD, CELL_SIZE, CELL_LEADING),
            ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, _ZEBRA]),
        ]
    return TableStyle(commands)


_GRID = colors.HexColor("#b8c4d0")
_HEAD = colors.HexColor("#dce6f0")
_ZEBRA = colors.HexColor("#f6f8fa")


@lru_cache(maxsize=8192)
def _fit(value: str, width: float) -> str | None:
    """A short value broken into lines that fit ``width``; None when a word is too long."""
    plain = _CONTROL.sub("", value).replace("\r", "")
    lines = [
        line
        for paragraph in plain.split("\n")
        for line in (simpleSplit(paragraph, FONT, CELL_SIZE, width) or [""])
    ]
    if any(stringWidth(line, FONT, CELL_SIZE) > width for line in lines):
        return None
    return "\n".join(lines)


def _text(value: Any) -> str:
    """A value as safe Paragraph markup: escaped, control characters dropped, lines kept."""
    plain = _CONTROL.sub("", str(value)).replace("\r\n", "\n").replace("\r", "\n")
    return escape(plain).replace("\n", "<br/>")


class _Cell(Paragraph):
    """A table cell's text. Keeps its line breaks for the width it was last wrapped to.

    A long table wraps each cell once to measure the row and again to draw it, and
    ``multiBuild`` lays the whole document out twice: without the cache, breaking lines is most
    of the time spent. On the measuring pass (``canvas.measuring``) the text is not drawn at all:
    that canvas is thrown away.
    """

    _wrapped: tuple[float, Any, float, list[float]] | None = None

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        cached = self._wrapped
        if cached is not None and cached[0] == availWidth:
            _, self.blPara, self.height, self._wrapWidths = cached
            self.width = availWidth
            return availWidth, self.height
        width, height = super().wrap(availWidth, availHeight)
        self._wrapped = (availWidth, self.blPara, height, self._wrapWidths)
        return width, height

    def draw(self) -> None:
        if getattr(self.canv, "measuring", False):
            return
        super().draw()


class _Markup(str):
    """Paragraph markup for a long table's cell: made into a ``_Cell`` only when laid out."""

    __slots__ = ()


class _RowStream(Flowable):
    """A long table laid out page by page from a shared list of rows, in linear time and memory.

    ReportLab's ``Table`` copies every remaining row at each page break, which makes a table of
    ten thousand rows quadratic. This flowable builds a ``LongTable`` of the header and the next
    ``CHUNK`` rows only (more than a page holds), lets it split to fit the page, keeps the part
    that fits and continues from the first row that did not (or from the rest of a row that was
    split across the page break). Cells are made into Paragraphs only for the rows in that
    window, so memory stays flat however long the table is.
    """

    # Rows per attempt: more than a page can hold (a row is at least one line plus padding).
    # ReportLab measures every row of a LongTable it splits, so this is kept small.
    CHUNK = int(PAGE_HEIGHT // (CELL_LEADING + 2 * CELL_PADDING)) + 1

    def __init__(
        self,
        header: list[Any],
        rows: list[list[str]],
        widths: list[float],
        style: TableStyle,
        cell_style: ParagraphStyle,
        start: int = 0,
        pending: list[Any] | None = None,
        made: dict[int, list[Any]] | None = None,
    ) -> None:
        super().__init__()
        self.header, self.rows, self.widths = header, rows, widths
        self.style, self.cell_style = style, cell_style
        self.start = start
        self.pending = pending  # the rest of a row split across the previous page break
        self.made = made if made is not None else {}  # rows already made into flowables
        self._chunk: Table | None = None
        self._taken = 0

    def _row(self, index: int) -> list[Any]:
        row = self.made.get(index)
        if row is None:
            row = [
                _Cell(cell, self.cell_style) if isinstance(cell, _Markup) else cell
                for cell in self.rows[index]
            ]
            self.made[index] = row
        return row

    def _take(self) -> tuple[LongTable, int]:
        end = min(self.start + self.CHUNK, len(self.rows))
        taken = [self._row(index) for index in range(self.start, end)]
        data = [self.header, *([self.pending] if self.pending else []), *taken]
        table = LongTable(data, colWidths=self.widths, repeatRows=1, splitInRow=1, hAlign="LEFT")
        table.setStyle(self.style)
        return table, len(taken)

    def _more(self, taken: int) -> bool:
        return self.start + taken < len(self.rows)

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        table, taken = self._take()
        width, height = table.wrap(availWidth, availHeight)
        self._chunk, self._taken = table, taken
        # While rows remain beyond this chunk, never let the frame place it whole: split it.
        return width, max(height, availHeight + 1) if self._more(taken) else height

    def draw(self) -> None:
        if self._chunk is not None:
            self._chunk.drawOn(self.canv, 0, 0)

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        if self._chunk is None:  # split without wrap first: not what frames do, but allowed
            self._chunk, self._taken = self._take()
        table, taken = self._chunk, self._taken
        # ReportLab keeps every flowable it postponed to the next page until the pass ends:
        # drop the chunk now, and the rows made so far once they are handed on.
        self._chunk = None
        parts = table.split(availWidth, availHeight)
        if not parts:
            return []
        offered = taken + (1 if self.pending else 0)  # data rows in this chunk
        if len(parts) == 1:  # the whole chunk fits
            rest = [self._next(taken, None)] if self._more(taken) else []
            return [parts[0], *rest]
        first, remainder = parts
        placed = first._nrows - 1
        left = remainder._nrows - 1
        # A row split across the page break appears in both parts.
        split_row = remainder._cellvalues[1] if placed + left > offered else None
        # Rows of ``self.rows`` placed; a row split in two counts as placed, its rest follows.
        used = placed - (1 if self.pending else 0)
        return [first, self._next(used, split_row)]

    def _next(self, used: int, pending: list[Any] | None) -> _RowStream:
        start = self.start + used
        made = {index: row for index, row in self.made.items() if index >= start}
        self.made = {}
        return _RowStream(
            self.header, self.rows, self.widths, self.style, self.cell_style, start, pending, made
        )


class _Heading(Paragraph):
    """A heading that becomes a contents entry, a bookmark and an outline entry."""

    def __init__(self, text: str, style: ParagraphStyle, level: int, key: str) -> None:
        super().__init__(_text(text), style)
        self.toc = (level, text, key)


class _PageTotal(Flowable):
    """Takes part in ``multiBuild`` so that the page total it printed is the real one."""

    def __init__(self) -> None:
        super().__init__()
        self.used: int | None = None  # the total printed in the footers of this pass
        self.found: int | None = None  # the number of pages this pass produced

    def isIndexing(self) -> int:
        return 1

    def isSatisfied(self) -> int:
        return int(self.used is not None and self.used == self.found)

    def beforeBuild(self) -> None:
        self.used = self.found

    def afterBuild(self) -> None:
        pass

    def notify(self, kind: str, stuff: Any) -> None:
        if kind == "pages":
            self.found = stuff

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        return None


class _Document(BaseDocTemplate):
    def __init__(self, buffer: BytesIO, bundle: AccessBundle, total: _PageTotal) -> None:
        super().__init__(
            buffer,
            pagesize=A4,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=MARGIN,
            bottomMargin=MARGIN + 6 * mm,
            title=bundle.texts.title,
            subject=bundle.texts.subtitle,
            author=bundle.controller.name,
            creator=bundle.controller.name,
            lang=bundle.language,
        )
        self.total = total
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="body")
        self.addPageTemplates(
            [PageTemplate(id="page", frames=[frame], onPage=self._footer(bundle))]
        )

    def _footer(self, bundle: AccessBundle) -> Callable[[Canvas, BaseDocTemplate], None]:
        texts = bundle.texts

        def draw(canvas: Canvas, doc: BaseDocTemplate) -> None:
            canvas.saveState()
            canvas.setFont(FONT, 7.5)
            canvas.setFillColor(colors.HexColor("#555555"))
            y = MARGIN - 2 * mm
            canvas.drawString(MARGIN, y, _CONTROL.sub("", texts.footer))
            pages = self.total.used if self.total.used is not None else "?"
            label = texts.page.format(page=doc.page, pages=pages)
            canvas.drawRightString(PAGE_WIDTH - MARGIN, y, label)
            canvas.restoreState()

        return draw

    def afterFlowable(self, flowable: Flowable) -> None:
        toc = getattr(flowable, "toc", None)
        if toc is None:
            return
        level, text, key = toc
        self.canv.bookmarkPage(key)
        self.canv.addOutlineEntry(text, key, level=level, closed=level > 0)
        self.notify("TOCEntry", (level, _text(text), self.page, key))

    def afterPage(self) -> None:
        self.notify("pages", self.page)

    def handle_documentBegin(self) -> None:
        super().handle_documentBegin()
        # The first pass only finds the page numbers; its canvas is never saved.
        self.canv.measuring = self.total.used is None


# --- values ---------------------------------------------------------------------------------------


class _Values:
    """Turns stored values into what a reader sees: local times, code labels, yes/no."""

    def __init__(self, bundle: AccessBundle) -> None:
        self.texts = bundle.texts
        self.language = bundle.language
        self.codes = {codes.key: dict(codes.codes) for codes in bundle.codes}

    def show(self, column: Column, value: Any) -> str:
        if value is None or value == "":
            return "–"
        if column.type is ColumnType.DATETIME:
            return self.moment(value)
        if column.type is ColumnType.DATE:
            return value.isoformat() if isinstance(value, date) else str(value)
        if column.type is ColumnType.BOOLEAN:
            return self.texts.yes if value else self.texts.no
        if column.type is ColumnType.DECIMAL:
            return _amount(value, self.language)
        if column.type is ColumnType.CODE and column.codes:
            return self.codes.get(column.codes, {}).get(str(value), str(value))
        return str(value)

    @staticmethod
    def moment(value: datetime) -> str:
        return value.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")


def _amount(value: Decimal, language: str) -> str:
    """24 900,00 in Swedish, 24,900.00 in English."""
    written = f"{Decimal(value):,.2f}"
    if language == "sv":
        return written.replace(",", "\u00a0").replace(".", ",")
    return written


# --- the story ------------------------------------------------------------------------------------


class _Story:
    def __init__(self, bundle: AccessBundle) -> None:
        self.bundle = bundle
        self.t = bundle.texts
        self.s = _styles()
        self.values = _Values(bundle)
        self.flow: list[Flowable] = []
        self._keys = 0

    # building blocks

    def heading(self, text: str, level: int) -> None:
        self._keys += 1
        style = self.s[("h1", "h2", "h3")[level]]
        if level == 0:
            self.flow.append(CondPageBreak(PAGE_HEIGHT / 3))
        self.flow.append(_Heading(text, style, level, f"h{self._keys}"))

    def para(self, text: str, style: str = "body") -> None:
        self.flow.append(Paragraph(_text(text), self.s[style]))

    def cell(self, text: Any, style: str = "cell") -> Paragraph:
        return _Cell(_text(text), self.s[style])

    def grid(self, rows: list[list[Any]], widths: Sequence[float], *, header: bool = True) -> Table:
        table = Table(
            rows,
            colWidths=list(widths),
            repeatRows=1 if header else 0,
            splitInRow=1,
            hAlign="LEFT",
        )
        table.setStyle(_table_style(header))
        return table

    def pairs(self, pairs: Iterable[tuple[str, Any]], label_width: float = 45 * mm) -> Table:
        rows = [[self.cell(label, "head"), self.cell(value)] for label, value in pairs]
        return self.grid(rows, [label_width, WIDTH - label_width], header=False)

    # the document

    def build(self, total: _PageTotal) -> list[Flowable]:
        self.flow.append(total)
        self.title_page()
        self.contents()
        layer_one, layer_two = self.bundle.layers
        self.heading(layer_one.title, 0)
        self.summary()
        self.information()
        for table in self.bundle.tables:
            if table.layer == 1:
                self.table(table)
        self.heading(layer_two.title, 0)
        self.para(layer_two.description)
        for table in self.bundle.tables:
            if table.layer == 2:
                self.table(table)
        self.codes()
        return self.flow

    def title_page(self) -> None:
        b, t, c = self.bundle, self.t, self.bundle.controller
        self.flow.append(Spacer(1, 20 * mm))
        self.para(t.title, "title")
        self.para(t.subtitle, "subtitle")
        controller = "\n".join(
            line
            for line in (c.name, c.org_number, c.address, c.dpo_email or c.email, c.phone)
            if line
        )
        self.flow.append(
            self.pairs(
                [
                    (t.reference, b.reference),
                    (t.generated, t.generated_value),
                    (t.concerning, b.email),
                    (t.controller, controller),
                    (t.scope, t.scope_value),
                ]
            )
        )
        # Up front: whether we hold anything, and the two layers of the copy (legal.md §4).
        self.para(t.about, "h2")
        self.para(t.confirmation, "h3")
        self.para(b.information.confirmation, "box")
        self.para(t.layers, "h3")
        self.para(t.layers_intro)
        for layer in b.layers:
            self.flow.append(
                Paragraph(
                    f"<b>{_text(layer.title)}</b>: {_text(layer.description)}",
                    self.s["body"],
                    bulletText="•",
                )
            )
        self.para(t.times_note, "small")
        self.flow.append(PageBreak())

    def contents(self) -> None:
        self.para(self.t.contents, "h1")
        toc = TableOfContents(
            levelStyles=[self.s["toc0"], self.s["toc1"], self.s["toc2"]],
            dotsMinLevel=0,
            rightColumnWidth=18 * mm,
        )
        self.flow.append(toc)
        self.flow.append(PageBreak())

    def summary(self) -> None:
        t = self.t
        self.heading(t.summary, 1)
        self.para(t.summary_intro, "keep")
        rows: list[list[Any]] = [[t.section, t.entries]]
        for table in self.bundle.tables:
            shown = str(len(table.rows)) if table.included else t.not_requested
            rows.append([self.cell(table.title), self.cell(shown)])
        self.flow.append(self.grid(rows, [95 * mm, WIDTH - 95 * mm]))

    def information(self) -> None:
        t, info = self.t, self.bundle.information
        categories = self.values.codes.get("category", {})
        self.heading(t.information, 1)

        self.heading(t.purposes, 2)
        if not info.purposes:
            self.para(t.none_held)
        for purpose in info.purposes:
            pairs = [(t.legal_basis, purpose.legal_basis_text)]
            if purpose.legitimate_interest:
                pairs.append((t.legitimate_interest, purpose.legitimate_interest))
            names = ", ".join(categories.get(code, code) for code in purpose.categories)
            pairs.append((t.data_categories, names))
            # Kept with what follows (not a KeepTogether: ReportLab would not keep a heading
            # with a container, and the heading before the first purpose would be orphaned).
            self.flow += [
                Paragraph(f"<b>{_text(purpose.name)}</b>", self.s["keep"]),
                Paragraph(_text(purpose.description), self.s["keep"]),
                self.pairs(pairs, 40 * mm),
                Spacer(1, 3 * mm),
            ]

        self.heading(t.categories, 2)
        self.para(t.categories_intro, "keep")
        rows: list[list[Any]] = [[t.category, t.retention, t.details]]
        for category in info.categories:
            details = category.description
            if category.legal_reference:
                details = f"{details}\n{t.legal_reference}: {category.legal_reference}".strip()
            rows.append(
                [self.cell(category.name), self.cell(category.retention_text), self.cell(details)]
            )
        if info.categories:
            self.flow.append(self.grid(rows, [38 * mm, 38 * mm, WIDTH - 76 * mm]))
        else:
            self.para(t.none_held)

        self.heading(t.recipients, 2)
        self.para(info.recipients_text)
        for recipient in info.recipients:
            pairs = [
                (t.service, recipient.service),
                (t.country, recipient.country_name),
                ("", recipient.kind_text),
            ]
            for delivery in recipient.deliveries:
                when = (
                    self.values.moment(delivery.delivered_at)
                    if delivery.delivered_at
                    else t.not_delivered
                )
                pairs.append((t.delivered, f"{delivery.customer}, {delivery.campaign}: {when}"))
            self.flow += [
                Paragraph(f"<b>{_text(recipient.name)}</b>", self.s["keep"]),
                self.pairs(pairs, 40 * mm),
                Spacer(1, 3 * mm),
            ]
        for authority in info.authorities:
            self.flow.append(
                Paragraph(
                    f"<b>{_text(t.authorities)}</b>: {_text(authority.service)}", self.s["body"]
                )
            )

        self.heading(t.transfers, 2)
        self.para(info.transfers_text, "keep" if info.transfers else "body")
        if info.transfers:
            rows = [[t.recipient, t.country, t.safeguard]]
            rows += [
                [self.cell(x.recipient), self.cell(x.country_name), self.cell(x.safeguard)]
                for x in info.transfers
            ]
            self.flow.append(self.grid(rows, [45 * mm, 25 * mm, WIDTH - 70 * mm]))

        self.heading(t.sources, 2)
        self.para(info.sources_text, "keep" if info.sources else "body")
        if info.sources:
            kinds = self.values.codes.get("person_kind", {})
            rows = [[t.record, t.kind, t.source]]
            rows += [
                [
                    self.cell(str(source.record_id)),
                    self.cell(kinds.get(source.kind, source.kind)),
                    self.cell(source.source),
                ]
                for source in info.sources
            ]
            self.flow.append(self.grid(rows, [18 * mm, 70 * mm, WIDTH - 88 * mm]))

        self.heading(t.automated, 2)
        self.para(info.automated_decisions)

        self.heading(t.rights, 2)
        rows = [
            [
                _Cell(f"<b>{_text(r.name)}</b><br/>{_text(r.article)}", self.s["cell"]),
                self.cell(r.description),
            ]
            for r in info.rights
        ]
        self.flow.append(self.grid(rows, [55 * mm, WIDTH - 55 * mm], header=False))
        self.flow.append(Spacer(1, 3 * mm))
        self.para(info.rights_text)

        self.heading(t.objection, 2)
        self.para(info.objection)

        self.heading(t.complaint, 2)
        self.para(info.complaint.text)
        self.para(info.complaint.courts)

    # data tables

    def table(self, table: DataTable) -> None:
        self.heading(table.title, 1)
        self.para(table.description)
        if not table.included:
            self.para(self.t.not_requested, "box")
            return
        if not table.rows:
            self.para(self.t.none_held)
            return
        if table.key in CARD_TABLES:
            self.cards(table)
        else:
            self.wide(table, WIDE_LAYOUTS[table.key])

    def cards(self, table: DataTable) -> None:
        show = self.values.show
        for row in table.rows:
            self.flow.append(
                self.pairs(
                    (column.label, show(column, getattr(row, column.key)))
                    for column in table.columns
                )
            )
            self.flow.append(Spacer(1, 3 * mm))

    def wide(self, table: DataTable, layout: Sequence[tuple[tuple[str, ...], float]]) -> None:
        """A long table: one row per entry, the header repeated on every page."""
        columns = {column.key: column for column in table.columns}
        show = self.values.show
        widths = [width for _, width in layout]
        widths[-1] = WIDTH - sum(widths[:-1])
        header = [" / ".join(columns[key].label for key in keys) for keys, _ in layout]
        rows: list[list[Any]] = [[self.cell(text, "head") for text in header]]
        # Short values are plain strings broken into lines once per distinct value (cheap to
        # measure and draw); free text is a Paragraph, which can also split inside a word.
        plain = [
            all(columns[key].type is not ColumnType.TEXT for key in keys) for keys, _ in layout
        ]
        cell_style = self.s["cell"]
        for row in table.rows:
            cells: list[Any] = []
            for (keys, _), width, is_plain in zip(layout, widths, plain, strict=True):
                values = [getattr(row, key) for key in keys]
                if is_plain:
                    lines = [
                        _fit(show(columns[key], value), width - 6)
                        for key, value in zip(keys, values, strict=True)
                        if value is not None and value != ""
                    ]
                    if all(line is not None for line in lines):
                        cells.append("\n".join(lines) or "–")  # type: ignore[arg-type]
                        continue
                parts = [
                    _text(show(columns[key], value))
                    for key, value in zip(keys, values, strict=True)
                    if value is not None and value != ""
                ]
                if len(keys) > 1 and values[0] not in (None, ""):
                    parts[0] = f"<b>{parts[0]}</b>"
                cells.append(_Markup("<br/>".join(parts) or "–"))
            rows.append(cells)
        self.flow.append(
            _RowStream(rows[0], rows[1:], widths, _table_style(header=True), cell_style)
        )

    def codes(self) -> None:
        t = self.t
        self.heading(t.codes, 0)
        self.para(t.codes_intro)
        for code_list in self.bundle.codes:
            rows: list[list[Any]] = [[code_list.title, ""]]
            rows += [[self.cell(code), self.cell(meaning)] for code, meaning in code_list.codes]
            self.flow.append(self.grid(rows, [45 * mm, WIDTH - 45 * mm]))
            self.flow.append(Spacer(1, 4 * mm))


# Wide tables: (columns shown together in one cell, width); the last column takes the rest.
WIDE_LAYOUTS: dict[str, tuple[tuple[tuple[str, ...], float], ...]] = {
    "communications": (
        (("occurred_at",), 22 * mm),
        (("channel", "direction"), 30 * mm),
        (("customer",), 30 * mm),
        (("subject", "body"), 0),
    ),
    "meetings": (
        (("starts_at",), 22 * mm),
        (("status", "duration_minutes"), 26 * mm),
        (("customer",), 30 * mm),
        (("location",), 32 * mm),
        (("notes",), 0),
    ),
    "technical_records": (
        (("occurred_at",), 22 * mm),
        (("event",), 45 * mm),
        (("ip_address",), 28 * mm),
        (("user_agent",), 0),
    ),
    "accounting_records": (
        (("document_date",), 22 * mm),
        (("document_number",), 26 * mm),
        (("company", "reference_name"), 36 * mm),
        (("amount_sek",), 24 * mm),
        (("description",), 0),
    ),
}


def render_access_pdf(bundle: AccessBundle) -> bytes:
    """Return the PDF bytes of the access package, in the package's language."""
    _register_fonts()
    total = _PageTotal()
    flow = _Story(bundle).build(total)
    buffer = BytesIO()
    _Document(buffer, bundle, total).multiBuild(flow)
    return buffer.getvalue()
