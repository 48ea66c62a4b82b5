"""Art. 19 on the public side: the recipient's confirm link, and the person's list of recipients.

The confirm link (``/notices/<token>``) is sent to a recipient of the person's data, by e-mail or
in a webhook's ``confirm_url``. Opening it (GET, HEAD: what mail scanners do) only shows a page
with a button; the POST confirms, and a second POST changes nothing and says so.

How a recipient's system confirms without a page: it POSTs the ``confirm_url`` with
``Content-Type: application/json`` (a body of ``{}`` will do) and gets JSON back. Such a POST
carries no CSRF token, so the view is exempt from the global check and makes its own: a JSON POST
is authorised by the token in the URL alone (it is signed for this one purpose, names one notice
by its random key and can only record a confirmation; and a browser cannot send a cross-site JSON
POST without a CORS preflight, which this site never grants), while any other POST, the page's
own form among them, must carry the CSRF token like every form of the portal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import (
    Response,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from app.clock import now
from app.db import get_session
from app.extensions import csrf, limiter
from app.mail import outbox
from app.models import NoticeAction, NoticeStatus, RecipientNotice, SubjectRequest
from app.portal import bp
from app.portal.cases import panel
from app.services import notices

# What the recipient is told to do, as the person reads it.
ACTION_LABELS: dict[NoticeAction, LazyString] = {
    NoticeAction.RECTIFICATION: _l("Correct your data"),
    NoticeAction.ERASURE: _l("Erase your data"),
    NoticeAction.RESTRICTION: _l("Restrict the use of your data"),
    NoticeAction.RESTRICTION_LIFTED: _l("The restriction is lifted"),
}
# The same, as the recipient reads it on the confirmation page.
RECIPIENT_ACTION_LABELS: dict[NoticeAction, LazyString] = {
    NoticeAction.RECTIFICATION: _l("Correct the person's data (Art. 16 GDPR)"),
    NoticeAction.ERASURE: _l("Erase the person's data (Art. 17 GDPR)"),
    NoticeAction.RESTRICTION: _l("Restrict the processing of the person's data (Art. 18 GDPR)"),
    NoticeAction.RESTRICTION_LIFTED: _l("The restriction of processing is lifted (Art. 18 GDPR)"),
}


# --- the person's case page -------------------------------------------------------------------


@dataclass(frozen=True)
class ToldRecipient:
    name: str
    action: LazyString
    status: NoticeStatus
    sent_at: datetime | None
    confirmed_at: datetime | None
    reason: str | None  # why the recipient was not told (the privacy officer's words)


@panel("recipients")
def recipients_panel(db: Session, case: SubjectRequest) -> list[ToldRecipient] | None:
    """Which recipients of the person's data were told, and whether they confirmed (Art. 19)."""
    rows = notices.notices_of(db, case)
    if not rows:
        return None
    return [
        ToldRecipient(
            name=n.recipient.name,
            action=ACTION_LABELS[n.action],
            status=n.status,
            sent_at=n.sent_at,
            confirmed_at=n.confirmed_at,
            reason=n.not_notified_reason if n.status is NoticeStatus.NOT_NOTIFIED else None,
        )
        for n in rows
    ]


# --- the recipient's confirmation -------------------------------------------------------------


def _page(template: str, status: int = 200, **context: object) -> Response:
    return make_response(render_template(template, **context), status)


def _not_found() -> Response:
    return _page("recipient/not_found.html", 404)


def _wants_json() -> bool:
    if request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _facts(notice: RecipientNotice) -> dict[str, object]:
    """What the page shows: the firm, the action, the reference; never the person's address."""
    return {
        "notice": notice,
        "recipient_name": notice.recipient.name,
        "action": RECIPIENT_ACTION_LABELS[notice.action],
        "reference": notice.reference,
    }


@bp.get("/notices/<token>")
@limiter.limit("60/minute")
def notice_confirm_page(token: str) -> Response:
    """A page with a confirm button; opening it changes nothing."""
    notice = notices.notice_for_token(get_session(), token)
    if notice is None:
        return _not_found()
    return _page("recipient/confirm.html", **_facts(notice))


@bp.post("/notices/<token>")
@csrf.exempt  # checked below for every POST but a recipient system's JSON one (module docstring)
@limiter.limit("60/minute")
def notice_confirm(token: str) -> Response | BaseResponse:
    if not request.is_json and current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect()  # a form POST: the page's CSRF token, as everywhere (400 page if missing)
    db = get_session()
    notice = notices.notice_for_token(db, token)
    if notice is None:
        if _wants_json():
            return make_response(jsonify(error="unknown or altered link"), 404)
        return _not_found()
    moment = now()
    changed = notices.confirm_by_recipient(db, notice, now=moment)
    outbox.commit(db, moment)
    if _wants_json():
        return jsonify(id=notice.key, status="confirmed", already_confirmed=not changed)
    return redirect(url_for("portal.notice_confirmed", already=None if changed else 1), code=303)


@bp.get("/notices/done")
def notice_confirmed() -> Response:
    """After the POST: a page without the token in its address."""
    return _page("recipient/done.html", already=request.args.get("already") == "1")
