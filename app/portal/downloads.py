"""The person's packages: listed on the case page, downloaded after confirming the mailbox again.

A download needs a fresh proof of the mailbox (legal.md §3: re-check before delivering an export;
security.md E6): a verified session opened at most ``PACKAGE_REVERIFY_MINUTES`` ago. Otherwise the
person asks for a new code, e-mailed by the same single-use token mechanism as the first
verification, types it, and the download follows. Every download is logged; after the link
expires the page says so and how to ask for a new copy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from app.clock import now
from app.db import get_session
from app.extensions import limiter
from app.i18n import current_language
from app.mail import outbox
from app.models import (
    Delivery,
    DeliveryFile,
    DeliveryKind,
    DeliveryStatus,
    SubjectRequest,
)
from app.portal import bp
from app.portal.cases import own_case, panel
from app.portal.forms import ActionForm, CodeForm
from app.portal.identity import sign_in, subject_required, verified_at, verified_email
from app.portal.verify import policy, wrong_code_message
from app.services import verification
from app.services.fulfilment import packages
from app.services.verification import (
    TokenExpiredError,
    TokenUsedError,
    TooManyAttemptsError,
    WrongCodeError,
)

REVERIFY_MINUTES = 10  # how recent the proof of the mailbox must be; PACKAGE_REVERIFY_MINUTES
_PENDING = "download_token"  # the code this browser asked for to download (not the sign-in one)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def attachment(file: DeliveryFile, content: bytes) -> Response:
    """A package file as a download: server-chosen name, its media type, never cached."""
    name = _UNSAFE.sub("-", file.filename)[:120] or "download"
    response = Response(content, mimetype=file.media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# --- the case page ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FileLink:
    id: int
    label: str
    size: str
    url: str


@dataclass(frozen=True)
class Package:
    kind: DeliveryKind
    released_at: datetime
    expires_at: datetime
    available: bool
    files: list[FileLink]


@dataclass(frozen=True)
class Downloads:
    packages: list[Package]
    open_case: bool
    minutes: int


@panel("downloads")
def downloads_panel(db: Session, case: SubjectRequest) -> Downloads | None:
    found = packages.released(db, case)
    if not found:
        return None
    moment = now()
    shown = []
    for delivery in found:
        if delivery.released_at is None or delivery.expires_at is None:
            continue
        available = packages.is_downloadable(delivery, moment)
        files = [
            FileLink(
                id=f.id,
                label=str(packages.FILE_LABELS.get(f.format, f.format)),
                size=packages.size_text(f.size),
                url=url_for("portal.download", reference=case.reference, file_id=f.id),
            )
            for f in delivery.files
        ]
        shown.append(
            Package(
                kind=delivery.kind,
                released_at=delivery.released_at,
                expires_at=delivery.expires_at,
                available=available,
                files=files if available else [],
            )
        )
    return Downloads(packages=shown, open_case=case.is_open, minutes=_minutes())


# --- downloading ------------------------------------------------------------------------------


def _minutes() -> int:
    return int(current_app.config.get("PACKAGE_REVERIFY_MINUTES", REVERIFY_MINUTES))


def _released_file(case: SubjectRequest, file_id: int) -> DeliveryFile:
    """A file of a package the person was given; 404 for previews and for others' files."""
    file = packages.file_of_case(get_session(), case, file_id)
    if file is None:
        abort(404)
    delivery = file.delivery
    if delivery.released_at is None or delivery.status not in (
        DeliveryStatus.RELEASED,
        DeliveryStatus.EXPIRED,
    ):
        abort(404)
    return file


def _verified_recently(moment: datetime) -> bool:
    """Whether this browser proved the mailbox within the last few minutes."""
    since = verified_at()
    return since is not None and moment - since <= timedelta(minutes=_minutes())


def _expired_page(case: SubjectRequest, delivery: Delivery) -> tuple[str, int]:
    return render_template("portal/download_expired.html", case=case, delivery=delivery), 410


def _own_file(
    reference: str, file_id: int, moment: datetime
) -> tuple[SubjectRequest, DeliveryFile, tuple[str, int] | None]:
    """The person's released file, and the "link ended" page when it can no longer be had."""
    item = own_case(reference)
    file = _released_file(item, file_id)
    if packages.is_downloadable(file.delivery, moment):
        return item, file, None
    return item, file, _expired_page(item, file.delivery)


def _confirm_page(
    case: SubjectRequest, file: DeliveryFile, form: CodeForm | None = None, status: int = 200
) -> tuple[str, int]:
    page = render_template(
        "portal/download_confirm.html",
        case=case,
        file=file,
        label=packages.FILE_LABELS.get(file.format, file.format),
        form=form or CodeForm(formdata=None),
        send=ActionForm(formdata=None),
        sent=session.get(_PENDING) is not None,
        minutes=current_app.config["TOKEN_MINUTES"],
        fresh_minutes=_minutes(),
    )
    return page, status


@bp.get("/cases/<reference>/downloads/<int:file_id>")
@subject_required
def download(reference: str, file_id: int) -> BaseResponse | tuple[str, int]:
    db = get_session()
    moment = now()
    item, file, expired = _own_file(reference, file_id, moment)
    if expired is not None:
        return expired
    if not _verified_recently(moment):
        return redirect(
            url_for("portal.download_confirm", reference=item.reference, file_id=file.id),
            code=303,
        )
    content = packages.content_of(db, file)
    if content is None:
        return _expired_page(item, file.delivery)
    if request.method != "HEAD":  # a HEAD fetches nothing: not a delivery to log
        packages.record_download(db, item, file, now=moment)
        db.commit()
    return attachment(file, content)


@bp.get("/cases/<reference>/downloads/<int:file_id>/confirm")
@subject_required
def download_confirm(reference: str, file_id: int) -> BaseResponse | tuple[str, int]:
    """Why the mailbox is confirmed again, the button that sends a code, the code's field."""
    item, file, expired = _own_file(reference, file_id, now())
    if expired is not None:
        return expired
    return _confirm_page(item, file)


@bp.post("/cases/<reference>/downloads/<int:file_id>/confirm")
@limiter.limit("10/minute;50/hour", methods=["POST"])
@subject_required
def download_send_code(reference: str, file_id: int) -> BaseResponse | tuple[str, int]:
    item = own_case(reference)
    file = _released_file(item, file_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    db = get_session()
    moment = now()
    if not packages.is_downloadable(file.delivery, moment):
        return _expired_page(item, file.delivery)
    token_id = verification.send_token(
        db, policy(), email=verified_email(), language=current_language(), now=moment
    )
    outbox.commit(db, moment)
    if token_id is None:
        flash(
            _(
                "You have asked for many codes in the last hour. Use the newest code we sent, "
                "or try again later."
            ),
            "error",
        )
    else:
        session[_PENDING] = token_id
        flash(_("We have sent a new code to your e-mail address."), "success")
    return redirect(
        url_for("portal.download_confirm", reference=item.reference, file_id=file.id), code=303
    )


@bp.post("/cases/<reference>/downloads/<int:file_id>/code")
@limiter.limit("20/minute", methods=["POST"])
@subject_required
def download_code(reference: str, file_id: int) -> BaseResponse | tuple[str, int]:
    """The typed code proves the mailbox again: a fresh session, then the download itself."""
    db = get_session()
    moment = now()
    item, file, expired = _own_file(reference, file_id, moment)
    if expired is not None:
        return expired
    form = CodeForm()
    if not form.validate_on_submit():
        return _confirm_page(item, file, form, 400)
    try:
        email = verification.confirm_code(
            db, policy(), session.get(_PENDING), form.code.data, moment
        )
    except WrongCodeError as exc:
        db.commit()
        form.code.errors = [wrong_code_message(exc)]
        return _confirm_page(item, file, form, 400)
    except (TooManyAttemptsError, TokenExpiredError, TokenUsedError) as exc:
        db.commit()
        session.pop(_PENDING, None)
        form.code.errors = [
            _("Too many wrong codes. Send a new code and type that one.")
            if isinstance(exc, TooManyAttemptsError)
            else _("The code has expired or was already used. Send a new code.")
        ]
        return _confirm_page(item, file, form, 400)
    sign_in(email)  # a fresh session: the proof of the mailbox is now minutes old
    outbox.commit(db, moment)
    if email != item.email:  # cannot happen from our pages: the code went to the case's address
        return redirect(url_for("portal.cases"), code=303)
    return redirect(url_for("portal.download", reference=item.reference, file_id=file.id), code=303)
