"""Access (Art. 15) and portability (Art. 20) packages: built, previewed, released, downloaded.

A handler builds a package (the bundle collector gathers the data, the renderers make the files),
opens its files as a preview and releases it. The person is told on their status page, by an
e-mail that says only that something waits, and downloads the files after confirming their
mailbox again, until the link expires (``PACKAGE_DAYS``). Then the files' contents are deleted;
the names, sizes and hashes stay as proof of what was delivered (legal.md §6). Releasing does not
complete the case, but an access or portability case cannot be completed before a release.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import render_template
from flask_babel import LazyString, force_locale, format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.core.workflow import CLOSED_STATUSES, RequestType
from app.exports.bundle import AccessBundle, PortabilityBundle
from app.exports.json_export import (
    render_access_csv,
    render_access_json,
    render_portability_csv,
    render_portability_json,
)
from app.exports.pdf_export import render_access_pdf
from app.models import (
    Delivery,
    DeliveryDownload,
    DeliveryFile,
    DeliveryKind,
    DeliveryStatus,
    Message,
    StaffUser,
    SubjectRequest,
)
from app.services import audit, casework
from app.services.errors import RuleError
from app.services.fulfilment.bundle import (
    PART_TABLES,
    collect_access_bundle,
    collect_portability_bundle,
)
from app.services.processing import SUBJECT, SYSTEM, record_event

KINDS: dict[RequestType, DeliveryKind] = {
    RequestType.ACCESS: DeliveryKind.ACCESS,
    RequestType.PORTABILITY: DeliveryKind.PORTABILITY,
}

# What the person may choose on the request form, in the order the files are listed.
FORMATS: dict[DeliveryKind, tuple[str, ...]] = {
    DeliveryKind.ACCESS: ("pdf", "json"),  # json: the JSON file and the CSV archive
    DeliveryKind.PORTABILITY: ("json", "csv"),
}
DEFAULT_FORMAT: dict[DeliveryKind, str] = {
    DeliveryKind.ACCESS: "pdf",
    DeliveryKind.PORTABILITY: "json",
}

MEDIA_TYPES = {"pdf": "application/pdf", "json": "application/json", "csv": "application/zip"}
EXTENSIONS = {"pdf": "pdf", "json": "json", "csv": "csv.zip"}

FILE_LABELS: dict[str, LazyString] = {
    "pdf": _l("PDF document (easy to read)"),
    "json": _l("JSON file (machine-readable)"),
    "csv": _l("CSV files in a ZIP archive (for spreadsheets)"),
}

Renderer = Callable[[Any], bytes]


@dataclass(frozen=True)
class Rendering:
    format: str
    render: Renderer


def kind_of(request: SubjectRequest) -> DeliveryKind | None:
    """The kind of package a case delivers, or None for the other request types."""
    return KINDS.get(request.type)


def requested_formats(request: SubjectRequest) -> list[str]:
    """The formats the person chose (allow-listed, in a fixed order); the default if none."""
    kind = kind_of(request)
    if kind is None:
        return []
    chosen = (request.details or {}).get("formats") or []
    formats = [f for f in FORMATS[kind] if isinstance(chosen, list) and f in chosen]
    return formats or [DEFAULT_FORMAT[kind]]


def requested_parts(request: SubjectRequest) -> list[str] | None:
    """The parts of an access request limited to some parts; None means everything.

    Only parts the collector knows count (a manual intake may have stored anything).
    """
    details = request.details or {}
    if details.get("scope") != "parts":
        return None
    chosen = details.get("parts") or []
    parts = [p for p in PART_TABLES if isinstance(chosen, list) and p in chosen]
    return parts or None


def _renderings(kind: DeliveryKind, formats: Sequence[str]) -> list[Rendering]:
    found: list[Rendering] = []
    if kind is DeliveryKind.ACCESS:
        if "pdf" in formats:
            found.append(Rendering("pdf", render_access_pdf))
        if "json" in formats:
            found += [Rendering("json", render_access_json), Rendering("csv", render_access_csv)]
    else:
        if "json" in formats:
            found.append(Rendering("json", render_portability_json))
        if "csv" in formats:
            found.append(Rendering("csv", render_portability_csv))
    return found


def filename(request: SubjectRequest, kind: DeliveryKind, fmt: str) -> str:
    """A server-chosen name of letters, digits and dashes: ``DSR-2026-000123-access.pdf``."""
    return f"{request.reference}-{kind.value}.{EXTENSIONS[fmt]}"


def size_text(size: int) -> str:
    """A file size as people read it, in the current language (``12 kB``, ``1,4 MB``)."""
    if size < 1024:
        return _("%(num)s bytes", num=format_decimal(size))
    if size < 1024 * 1024:
        return _("%(num)s kB", num=format_decimal(round(size / 1024)))
    return _("%(num)s MB", num=format_decimal(round(size / (1024 * 1024), 1)))


# --- reading ----------------------------------------------------------------------------------


def deliveries(session: Session, request: SubjectRequest) -> list[Delivery]:
    """Every package of the case, newest first."""
    return list(
        session.scalars(
            select(Delivery)
            .where(Delivery.request_id == request.id)
            .order_by(Delivery.built_at.desc(), Delivery.id.desc())
        )
    )


def current_preview(session: Session, request: SubjectRequest) -> Delivery | None:
    """The newest package not yet released, or None."""
    return session.scalar(
        select(Delivery)
        .where(Delivery.request_id == request.id, Delivery.status == DeliveryStatus.PREVIEW)
        .order_by(Delivery.id.desc())
        .limit(1)
    )


def has_release(session: Session, request: SubjectRequest) -> bool:
    return (
        session.scalar(
            select(Delivery.id)
            .where(Delivery.request_id == request.id, Delivery.released_at.is_not(None))
            .limit(1)
        )
        is not None
    )


def is_downloadable(delivery: Delivery, now: datetime) -> bool:
    """Released, not past its expiry, its files still there."""
    return (
        delivery.status is DeliveryStatus.RELEASED
        and delivery.expires_at is not None
        and delivery.expires_at > now
        and delivery.deleted_at is None
    )


def released(session: Session, request: SubjectRequest) -> list[Delivery]:
    """The packages the person has been given (still downloadable or expired), newest first."""
    return [
        d
        for d in deliveries(session, request)
        if d.released_at is not None
        and d.status in (DeliveryStatus.RELEASED, DeliveryStatus.EXPIRED)
    ]


def file_of_case(session: Session, request: SubjectRequest, file_id: int) -> DeliveryFile | None:
    """A file of one of the case's packages, or None (another case's file is not found)."""
    return session.scalar(
        select(DeliveryFile)
        .join(Delivery, Delivery.id == DeliveryFile.delivery_id)
        .where(DeliveryFile.id == file_id, Delivery.request_id == request.id)
    )


def content_of(session: Session, file: DeliveryFile) -> bytes | None:
    """The file's bytes (read only when asked: the column is deferred), or None once deleted."""
    return session.scalar(select(DeliveryFile.content).where(DeliveryFile.id == file.id))


def download_counts(session: Session, delivery_ids: Sequence[int]) -> dict[int, int]:
    """How often the person downloaded each file of these packages: file id -> count."""
    if not delivery_ids:
        return {}
    counts: dict[int, int] = {}
    for file_id in session.scalars(
        select(DeliveryDownload.file_id).where(DeliveryDownload.delivery_id.in_(delivery_ids))
    ):
        counts[file_id] = counts.get(file_id, 0) + 1
    return counts


def downloads_of(session: Session, delivery: Delivery) -> list[tuple[datetime, str]]:
    """When the person downloaded which file of a package, oldest first."""
    rows = session.execute(
        select(DeliveryDownload.downloaded_at, DeliveryFile.filename)
        .join(DeliveryFile, DeliveryFile.id == DeliveryDownload.file_id)
        .where(DeliveryDownload.delivery_id == delivery.id)
        .order_by(DeliveryDownload.downloaded_at, DeliveryDownload.id)
    )
    return [(at, name) for at, name in rows]


# --- building and releasing -------------------------------------------------------------------


def _require_package_case(request: SubjectRequest) -> DeliveryKind:
    kind = kind_of(request)
    if kind is None:
        raise RuleError(_("Only access and portability requests have a package."))
    if not request.is_open:
        raise casework.CaseClosedError
    return kind


def _collect(
    session: Session, request: SubjectRequest, kind: DeliveryKind, now: datetime
) -> AccessBundle | PortabilityBundle:
    if kind is DeliveryKind.ACCESS:
        return collect_access_bundle(
            session, request.email, language=request.language,
            parts=requested_parts(request), now=now, reference=request.reference,
        )  # fmt: skip
    return collect_portability_bundle(
        session, request.email, language=request.language, now=now, reference=request.reference
    )


def _delete_contents(session: Session, delivery_ids: Sequence[int]) -> int:
    """Remove the files' contents (names, sizes and hashes stay); returns how many went."""
    if not delivery_ids:
        return 0
    result = session.execute(
        update(DeliveryFile)
        .where(DeliveryFile.delivery_id.in_(delivery_ids), DeliveryFile.content.is_not(None))
        .values(content=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


def build_package(
    session: Session, request: SubjectRequest, *, by: StaffUser, now: datetime
) -> Delivery:
    """Collect the bundle and render the requested formats into a package for preview.

    A package built earlier and not yet released is superseded and its files deleted.

    :raises RuleError: for a case of another type.
    :raises CaseClosedError: when the case is closed.
    """
    kind = _require_package_case(request)
    superseded = [d for d in deliveries(session, request) if d.status is DeliveryStatus.PREVIEW]
    for old in superseded:
        old.status = DeliveryStatus.SUPERSEDED
        old.deleted_at = now
    _delete_contents(session, [d.id for d in superseded])

    bundle = _collect(session, request, kind, now)
    delivery = Delivery(
        request_id=request.id,
        kind=kind,
        status=DeliveryStatus.PREVIEW,
        language=request.language,
        built_at=now,
        built_by_id=by.id,
        summary={**bundle.summary(), **_facts(bundle)},
    )
    for rendering in _renderings(kind, requested_formats(request)):
        data = rendering.render(bundle)
        delivery.files.append(
            DeliveryFile(
                format=rendering.format,
                filename=filename(request, kind, rendering.format),
                media_type=MEDIA_TYPES[rendering.format],
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                content=data,
            )
        )
    session.add(delivery)
    session.flush()
    formats = [f.format for f in delivery.files]
    record_event(
        request, kind="package_built", actor=by.actor, now=now, visible_to_subject=False,
        data={"delivery_id": delivery.id, "formats": formats,
              "superseded": [d.id for d in superseded]},
    )  # fmt: skip
    audit.record(
        session, action="package.build", now=now, staff=by, request=request,
        data={"delivery_id": delivery.id, "kind": kind.value, "formats": formats,
              "superseded": [d.id for d in superseded]},
    )  # fmt: skip
    return delivery


def _facts(bundle: AccessBundle | PortabilityBundle) -> dict[str, Any]:
    """What the notice on release needs besides the counts, kept with them: flags, and the
    register's explanation of why Art. 20 does not apply (never personal data)."""
    if isinstance(bundle, AccessBundle):
        return {"_nothing_held": not bundle.information.processed}
    note = portability_not_applicable(bundle)
    return {"_not_applicable": note} if note else {}


def portability_not_applicable(bundle: PortabilityBundle) -> str | None:
    """Why portability does not apply, when none of the person's data qualify; else None.

    One paragraph per reason, naming the categories of data it applies to.
    """
    if any(table.rows for table in bundle.tables):
        return None
    grouped: dict[str, list[str]] = {}
    for exclusion in bundle.excluded:
        grouped.setdefault(exclusion.reason, []).append(exclusion.name)
    if not grouped:
        return None
    return "\n\n".join(f"{', '.join(names)}: {reason}" for reason, names in grouped.items())


def release_package(
    session: Session,
    request: SubjectRequest,
    delivery_id: int,
    *,
    days: int,
    by: StaffUser,
    now: datetime,
) -> Delivery:
    """Let the person download the previewed package until ``now + days``.

    A message on the status page says what is ready, until when, that they confirm their mailbox
    again to download, and (access) that this is the Art. 15 answer; the e-mail only says that
    something waits. A package released earlier on the case ends now: only the newest counts.

    :raises RuleError: unless ``delivery_id`` is the case's current preview.
    :raises CaseClosedError: when the case is closed.
    """
    _require_package_case(request)
    delivery = current_preview(session, request)
    if delivery is None or delivery.id != delivery_id or not delivery.files:
        raise RuleError(_not_the_preview())
    earlier = [d for d in deliveries(session, request) if d.status is DeliveryStatus.RELEASED]
    expires_at = now + timedelta(days=days)
    # One conditional UPDATE: of two handlers releasing at once, only one tells the person.
    claimed = session.execute(
        update(Delivery)
        .where(Delivery.id == delivery.id, Delivery.status == DeliveryStatus.PREVIEW)
        .values(
            status=DeliveryStatus.RELEASED,
            released_at=now,
            released_by_id=by.id,
            expires_at=expires_at,
        )
    )
    if claimed.rowcount != 1:
        raise RuleError(_not_the_preview())
    for old in earlier:
        old.status = DeliveryStatus.EXPIRED
        old.expires_at = now
        old.deleted_at = now
    _delete_contents(session, [d.id for d in earlier])
    session.refresh(delivery)
    request.messages.append(
        Message(from_subject=False, staff_id=by.id, body=_notice(request, delivery), created_at=now)
    )
    record_event(
        request, kind="package_released", actor=by.actor, now=now,
        data={"delivery_id": delivery.id, "expires_at": expires_at.isoformat(),
              "replaced": [d.id for d in earlier]},
    )  # fmt: skip
    casework.notify_subject(session, request, "package", now)
    audit.record(
        session, action="package.release", now=now, staff=by, request=request,
        data={"delivery_id": delivery.id, "expires_at": expires_at.isoformat(),
              "replaced": [d.id for d in earlier]},
    )  # fmt: skip
    session.flush()
    return delivery


def _not_the_preview() -> str:
    return _(
        "This package is no longer the one waiting for release: it was rebuilt or released "
        "already. Check the newest package and release that one."
    )


def _notice(request: SubjectRequest, delivery: Delivery) -> str:
    """The status-page message about the released package, in the case's language."""
    from app.portal.forms import DATA_PARTS  # the request form's names of the parts

    parts = requested_parts(request) if delivery.kind is DeliveryKind.ACCESS else None
    labels = dict(DATA_PARTS)
    with force_locale(request.language):
        files = [
            {"label": str(FILE_LABELS[f.format]), "size": size_text(f.size)} for f in delivery.files
        ]
        text = render_template(
            "notices/package.txt",
            case=request,
            delivery=delivery,
            files=files,
            parts=[str(labels.get(p, p)) for p in parts or []],
            nothing_held=bool(delivery.summary.get("_nothing_held")),
            not_applicable=delivery.summary.get("_not_applicable"),
            excluded=delivery.summary.get("excluded_categories", 0),
            language=request.language,
        )
    return text.strip()


# --- the person's downloads -------------------------------------------------------------------


def record_download(
    session: Session, request: SubjectRequest, file: DeliveryFile, *, now: datetime
) -> DeliveryDownload:
    """Log one download by the person: the delivery's record, the timeline, the audit trail."""
    row = DeliveryDownload(delivery_id=file.delivery_id, file_id=file.id, downloaded_at=now)
    session.add(row)
    record_event(
        request, kind="package_downloaded", actor=SUBJECT, now=now,
        data={"delivery_id": file.delivery_id, "file_id": file.id, "format": file.format},
    )  # fmt: skip
    audit.record(
        session, action="package.download", now=now, actor=SUBJECT, request=request,
        data={"delivery_id": file.delivery_id, "file_id": file.id, "format": file.format},
    )  # fmt: skip
    session.flush()
    return row


def record_staff_view(
    session: Session, request: SubjectRequest, file: DeliveryFile, *, by: StaffUser, now: datetime
) -> None:
    """A handler opened a package file: a view of the person's data, kept in the audit trail."""
    audit.record(
        session, action="package.view", now=now, staff=by, request=request,
        data={"delivery_id": file.delivery_id, "file_id": file.id, "format": file.format},
    )  # fmt: skip


# --- expiry and erasure -----------------------------------------------------------------------


def expire_packages(session: Session, now: datetime) -> int:
    """End released packages past their expiry and delete their files' contents.

    Previews left on closed cases (never to be released) go too. Names, sizes and hashes stay as
    proof of what was delivered. Returns how many packages were ended.
    """
    due = list(
        session.scalars(
            select(Delivery)
            .where(Delivery.status == DeliveryStatus.RELEASED, Delivery.expires_at <= now)
            .order_by(Delivery.id)
        )
    )
    stale = list(
        session.scalars(
            select(Delivery)
            .join(SubjectRequest, SubjectRequest.id == Delivery.request_id)
            .where(
                Delivery.status == DeliveryStatus.PREVIEW,
                SubjectRequest.status.in_(CLOSED_STATUSES),
            )
            .order_by(Delivery.id)
        )
    )
    for delivery in due:
        delivery.status = DeliveryStatus.EXPIRED
        delivery.deleted_at = now
        record_event(
            delivery.request, kind="package_expired", actor=SYSTEM, now=now,
            data={"delivery_id": delivery.id},
        )  # fmt: skip
        audit.record(
            session, action="package.expire", now=now, request=delivery.request,
            data={"delivery_id": delivery.id},
        )  # fmt: skip
    for delivery in stale:
        delivery.status = DeliveryStatus.SUPERSEDED
        delivery.deleted_at = now
        audit.record(
            session, action="package.discard", now=now, request=delivery.request,
            data={"delivery_id": delivery.id},
        )  # fmt: skip
    _delete_contents(session, [d.id for d in due + stale])
    session.flush()
    return len(due) + len(stale)


def purge_deliveries_of(session: Session, email: str, *, now: datetime | None = None) -> int:
    """Delete the contents of every package file made for ``email`` (an erasure leaves no copy).

    Packages still open for download end (released: expired; preview: superseded); with ``now``
    the moment is recorded on them. Returns how many files had their contents deleted.
    """
    found = list(
        session.scalars(
            select(Delivery)
            .join(SubjectRequest, SubjectRequest.id == Delivery.request_id)
            .where(SubjectRequest.email == email)
        )
    )
    for delivery in found:
        if delivery.status is DeliveryStatus.RELEASED:
            delivery.status = DeliveryStatus.EXPIRED
        elif delivery.status is DeliveryStatus.PREVIEW:
            delivery.status = DeliveryStatus.SUPERSEDED
        if now is not None and delivery.deleted_at is None:
            delivery.deleted_at = now
    deleted = _delete_contents(session, [d.id for d in found])
    session.flush()
    return deleted


# --- completing the case ----------------------------------------------------------------------


def completion_guard(session: Session, request: SubjectRequest) -> str | None:
    """An access or portability case is completed only after its package was released."""
    if kind_of(request) is None or request.refusal_scope == "whole":
        return None
    if has_release(session, request):
        return None
    return _(
        "Release the package to the person before completing the case: the answer to this "
        "request is the package itself."
    )


casework.COMPLETION_GUARDS.append(completion_guard)
