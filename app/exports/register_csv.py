"""The register of requests as CSV, for IMY and for Excel: UTF-8 with a byte-order mark, a header
row, comma-separated (RFC 4180), ISO dates, Swedish time.

A cell that starts with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return) gets a leading
``'``, so a spreadsheet never runs it as a formula (CSV injection). What a row says about the
person is what legal.md §6 allows: the case's facts, never an address, a name or their words.

The texts of the cells (names of types, statuses, grounds...) are taken in the current language
once, as plain strings (``Texts.current()``), so that a long register can be written row by row
after the request that asked for it has been answered. The PDF uses the same texts.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from flask_babel import format_decimal, format_percent, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core.grounds import REFUSAL_GROUNDS
from app.core.workflow import Channel, RequestStatus, RequestType
from app.labels import REFUSAL_GROUND_LABELS, STAFF_STATUS_LABELS, STAFF_TYPE_LABELS, cite_article
from app.models.fulfilment import NoticeStatus
from app.services.reporting import RegisterRow

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ROWS_PER_CHUNK = 500


def safe_cell(value: str) -> str:
    """The text as a spreadsheet shows it, never as a formula it would run."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def percent_text(value: float | None) -> str:
    """A share with one decimal, written the current language's way ("81.8%", "81,8 %")."""
    if value is None:
        return "–"
    locale = get_locale()
    pattern = locale.percent_formats[None].pattern if locale else "#,##0%"
    return format_percent(value, pattern.replace("#,##0", "#,##0.0", 1))


def days_text(value: float | None) -> str:
    """A number of days: whole, or with the half a median can have."""
    return format_decimal(value, "#,##0.#") if value is not None else "–"


def iso(day: Any) -> str:
    return day.isoformat() if day is not None else ""


NOTICE_HEADERS: tuple[tuple[NoticeStatus, Any], ...] = (
    (NoticeStatus.PENDING, _l("Art. 19 notices waiting to be sent")),
    (NoticeStatus.SENT, _l("Art. 19 notices sent, not confirmed")),
    (NoticeStatus.CONFIRMED, _l("Art. 19 notices confirmed")),
    (NoticeStatus.NOT_NOTIFIED, _l("Art. 19 recipients not notified (reason recorded)")),
)

HEADERS: tuple[Any, ...] = (
    _l("Reference"),
    _l("Type"),
    _l("Channel"),
    _l("Received (Swedish time)"),
    _l("Legal deadline"),
    _l("Extended deadline"),
    _l("Extension reason"),
    _l("Extension notified"),
    _l("Outcome"),
    _l("Refused"),
    _l("Legal ground"),
    _l("Article"),
    _l("Closed"),
    _l("Days to close"),
    _l("On time"),
    *(label for _status, label in NOTICE_HEADERS),
    _l("Art. 19 recipients"),
)


@dataclass(frozen=True)
class Texts:
    """The register's words in one language, as plain strings."""

    headers: tuple[str, ...]
    types: dict[RequestType, str]
    channels: dict[Channel, str]
    statuses: dict[RequestStatus, str]
    scopes: dict[str, str]
    grounds: dict[str, str]
    articles: dict[str, str]  # ground → "Art. 12.5 GDPR" ("" without an article)
    yes: str
    no: str

    @classmethod
    def current(cls) -> Texts:
        """In the current request's language."""
        # The staff side's names; imported here, as app.staff imports this module.
        from app.staff.forms import CHANNEL_LABELS, REFUSAL_SCOPE_LABELS

        return cls(
            headers=tuple(str(h) for h in HEADERS),
            types={t: str(STAFF_TYPE_LABELS[t]) for t in RequestType},
            channels={c: str(CHANNEL_LABELS[c]) for c in Channel},
            statuses={s: str(STAFF_STATUS_LABELS[s]) for s in RequestStatus},
            scopes={k: str(v) for k, v in REFUSAL_SCOPE_LABELS.items()},
            grounds={k: str(v) for k, v in REFUSAL_GROUND_LABELS.items()},
            articles={g: cite_article(a) if a else "" for g, a in REFUSAL_GROUNDS.items()},
            yes=_("Yes"),
            no=_("No"),
        )

    # --- one case's cells ------------------------------------------------------------------

    def received(self, row: RegisterRow) -> str:
        """``YYYY-MM-DD HH:MM`` in Swedish time (RFC 3339's space form; Excel reads it)."""
        return row.received_local.strftime("%Y-%m-%d %H:%M")

    def refusal(self, row: RegisterRow) -> str:
        if row.refusal_scope is None:
            return ""
        return self.scopes.get(row.refusal_scope, row.refusal_scope)

    def ground(self, row: RegisterRow) -> str:
        if row.refusal_ground is None:
            return ""
        return self.grounds.get(row.refusal_ground, row.refusal_ground)

    def article(self, row: RegisterRow) -> str:
        if row.refusal_ground is None:
            return ""
        return self.articles.get(row.refusal_ground, "")

    def on_time(self, row: RegisterRow) -> str:
        if row.closed_on_time is None:
            return ""
        return self.yes if row.closed_on_time else self.no

    def recipients(self, row: RegisterRow) -> str:
        return "; ".join(row.recipients)

    def cells(self, row: RegisterRow) -> list[Any]:
        """The row in the order of ``headers``."""
        return [
            row.reference,
            self.types[row.type],
            self.channels[row.channel],
            self.received(row),
            iso(row.legal_due_on),
            iso(row.extended_due_on),
            row.extension_reason or "",
            iso(row.extension_notified_on),
            self.statuses[row.status],
            self.refusal(row),
            self.ground(row),
            self.article(row),
            iso(row.closed_on),
            row.days_to_close if row.days_to_close is not None else "",
            self.on_time(row),
            *(row.notice_count(status) for status, _label in NOTICE_HEADERS),
            self.recipients(row),
        ]


def _nothing() -> None:
    return None


def _cell(value: Any) -> Any:
    return safe_cell(value) if isinstance(value, str) else value


def render_register_csv(
    rows: Iterable[RegisterRow],
    texts: Texts | None = None,
    *,
    done: Callable[[], None] = _nothing,
) -> Iterator[str]:
    """The CSV in pieces (the BOM and header first, then a few hundred rows at a time), so a
    long register streams instead of being built in memory.

    The texts are taken now (in the current language); the rows are read as the pieces are
    asked for, and ``done`` is called when the last one has been, or when the reader gives up.
    """
    return _pieces(rows, texts or Texts.current(), done)


def _pieces(rows: Iterable[RegisterRow], texts: Texts, done: Callable[[], None]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        piece = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return piece

    try:
        writer.writerow([_cell(header) for header in texts.headers])
        yield BOM + flush()
        waiting = 0
        for row in rows:
            writer.writerow([_cell(value) for value in texts.cells(row)])
            waiting += 1
            if waiting == ROWS_PER_CHUNK:
                yield flush()
                waiting = 0
        if waiting:
            yield flush()
    finally:
        done()
