"""Access and portability packages on the case page: build, preview, release.

A handler builds the package, opens each file (a view of the person's data, kept in the audit
trail) and checks the counts, then releases it to the person. Rebuilding replaces a package not
yet released.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import LazyString, format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse
from wtforms import HiddenField
from wtforms.validators import DataRequired, Regexp

from app.clock import now
from app.core.permissions import Permission
from app.db import get_session
from app.models import Delivery, DeliveryKind, DeliveryStatus, StaffUser, SubjectRequest
from app.portal.downloads import attachment
from app.portal.forms import DATA_PARTS
from app.services.fulfilment import packages
from app.staff import bp
from app.staff.access import current_staff, require
from app.staff.cases import FORMS, act, find_case, panel
from app.staff.forms import ActionForm


class ReleaseForm(FlaskForm):
    """Release names the package the handler previewed, so a newer build is never sent unseen."""

    delivery_id = HiddenField(
        validators=[
            DataRequired(_l("Choose the package to release.")),
            Regexp(r"^[0-9]{1,18}$", message=_l("Choose the package to release.")),
        ]
    )


FORMS["package_build"] = ActionForm
FORMS["package_release"] = ReleaseForm

STATUS_LABELS: dict[DeliveryStatus, LazyString] = {
    DeliveryStatus.PREVIEW: _l("Preview: not yet released"),
    DeliveryStatus.RELEASED: _l("Released to the person"),
    DeliveryStatus.SUPERSEDED: _l("Replaced by a newer build; files deleted"),
    DeliveryStatus.EXPIRED: _l("Link ended; files deleted"),
}

FORMAT_CHOICES: dict[str, LazyString] = {
    "pdf": _l("PDF"),
    "json": _l("JSON"),
    "csv": _l("CSV"),
}

# Names of the bundle's counts; a count the table does not know is shown by its key.
SUMMARY_LABELS: dict[str, LazyString] = {
    "records": _l("Contact records"),
    "companies": _l("Companies"),
    "assignments": _l("Assignments for customers"),
    "communications": _l("Communication entries"),
    "meetings": _l("Meetings"),
    "consents": _l("Consents"),
    "technical_records": _l("Technical records"),
    "accounting_records": _l("Invoice records"),
    "requests": _l("Requests to us about their data"),
    "suppression": _l("Suppression entries"),
    "purposes": _l("Purposes explained"),
    "recipients": _l("Recipients named"),
    "transfers": _l("Transfers outside the EU/EEA"),
    "contact_details": _l("Contact details provided"),
    "messages": _l("Messages the person sent"),
    "excluded_categories": _l("Categories not covered by portability"),
}


@dataclass(frozen=True)
class FileView:
    id: int
    format: str
    label: str
    filename: str
    size: str
    sha256: str
    available: bool
    downloads: int


@dataclass(frozen=True)
class PackageView:
    delivery: Delivery
    status: str
    files: list[FileView]
    summary: list[tuple[str, int]]
    note: str | None
    downloadable: bool

    @property
    def id(self) -> int:
        return self.delivery.id


@dataclass(frozen=True)
class AccessPanel:
    kind: DeliveryKind
    formats: list[str]
    parts: list[str] | None
    packages: list[PackageView]
    preview: PackageView | None
    can_build: bool
    released: bool
    downloadable: bool  # a released package can be downloaded now


def summary_rows(summary: dict[str, Any]) -> list[tuple[str, int]]:
    return [
        (str(SUMMARY_LABELS.get(key, key.replace("_", " ").capitalize())), value)
        for key, value in summary.items()
        if isinstance(value, int) and not isinstance(value, bool) and not key.startswith("_")
    ]


def package_view(delivery: Delivery, counts: dict[int, int], moment: datetime) -> PackageView:
    available = delivery.deleted_at is None and delivery.status in (
        DeliveryStatus.PREVIEW,
        DeliveryStatus.RELEASED,
    )
    files = [
        FileView(
            id=f.id,
            format=f.format,
            label=str(packages.FILE_LABELS.get(f.format, f.format)),
            filename=f.filename,
            size=packages.size_text(f.size),
            sha256=f.sha256,
            available=available,
            downloads=counts.get(f.id, 0),
        )
        for f in delivery.files
    ]
    note = delivery.summary.get("_not_applicable") if delivery.summary else None
    return PackageView(
        delivery=delivery,
        status=str(STATUS_LABELS[delivery.status]),
        files=files,
        summary=summary_rows(delivery.summary or {}),
        note=note if isinstance(note, str) else None,
        downloadable=packages.is_downloadable(delivery, moment),
    )


@panel("access")
def access_panel(db: Session, case: SubjectRequest, me: StaffUser, day: date) -> AccessPanel | None:
    kind = packages.kind_of(case)
    if kind is None:
        return None
    found = packages.deliveries(db, case)
    counts = packages.download_counts(db, [d.id for d in found])
    moment = now()
    views = [package_view(d, counts, moment) for d in found]
    labels = dict(DATA_PARTS)
    parts = packages.requested_parts(case)
    return AccessPanel(
        kind=kind,
        formats=[str(FORMAT_CHOICES[f]) for f in packages.requested_formats(case)],
        parts=[str(labels.get(p, p)) for p in parts] if parts else None,
        packages=views,
        preview=next((v for v in views if v.delivery.status is DeliveryStatus.PREVIEW), None),
        can_build=case.is_open and me.can(Permission.WORK_CASES),
        released=any(d.released_at is not None for d in found),
        downloadable=any(v.downloadable for v in views),
    )


# --- actions ----------------------------------------------------------------------------------


@bp.post("/cases/<reference>/package/build")
@require(Permission.WORK_CASES)
def package_build(reference: str) -> BaseResponse | tuple[str, int]:
    def perform(db: Session, item: SubjectRequest, form: Any, me: StaffUser, at: datetime) -> str:
        packages.build_package(db, item, by=me, now=at)
        return _(
            "The package is built. Open each file to check it, then release it to the person. "
            "The person sees nothing until you do."
        )

    return act(reference, "package_build", perform)


@bp.post("/cases/<reference>/package/release")
@require(Permission.WORK_CASES)
def package_release(reference: str) -> BaseResponse | tuple[str, int]:
    def perform(db: Session, item: SubjectRequest, form: Any, me: StaffUser, at: datetime) -> str:
        delivery = packages.release_package(
            db, item, int(form.delivery_id.data), days=current_app.config["PACKAGE_DAYS"],
            by=me, now=at,
        )  # fmt: skip
        return _(
            "The package is released. The person was told on their status page and by e-mail, "
            "and can download it until %(date)s after confirming their e-mail address again.",
            date=format_datetime(delivery.expires_at or at, "d MMMM y, HH:mm"),
        )

    return act(reference, "package_release", perform)


# --- preview ----------------------------------------------------------------------------------


def _delivery_of(case: SubjectRequest, delivery_id: int) -> Delivery:
    delivery = get_session().scalar(
        select(Delivery).where(Delivery.id == delivery_id, Delivery.request_id == case.id)
    )
    if delivery is None:
        abort(404)
    return delivery


@bp.get("/cases/<reference>/packages/<int:delivery_id>")
@require(Permission.WORK_CASES)
def package_preview(reference: str, delivery_id: int) -> str:
    """One package: its counts and files; the release button while it is the preview."""
    case = find_case(reference)
    delivery = _delivery_of(case, delivery_id)
    db = get_session()
    counts = packages.download_counts(db, [delivery.id])
    view = package_view(delivery, counts, now())
    return render_template(
        "staff/package_preview.html",
        case=case,
        package=view,
        form=ReleaseForm(formdata=None, prefix="package_release", delivery_id=str(delivery.id)),
        can_release=case.is_open and delivery.status is DeliveryStatus.PREVIEW,
        downloads=packages.downloads_of(db, delivery),
    )


@bp.get("/cases/<reference>/package-files/<int:file_id>")
@require(Permission.WORK_CASES)
def package_file(reference: str, file_id: int) -> BaseResponse:
    """Open a package file (the handler's check); recorded in the audit trail as a data view."""
    case = find_case(reference)
    db = get_session()
    file = packages.file_of_case(db, case, file_id)
    if file is None:
        abort(404)
    content = packages.content_of(db, file)
    if content is None:
        flash(_("The file was deleted when the package was replaced or its link ended."), "error")
        return redirect(url_for("staff.case", reference=case.reference), code=303)
    packages.record_staff_view(db, case, file, by=current_staff(), now=now())
    db.commit()
    return attachment(file, content)
