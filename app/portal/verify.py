"""Landing page and mailbox verification: ask for a link, confirm it (POST) or type the code."""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Response,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response as BaseResponse

from app.clock import now
from app.core.tokens import TokenInvalidError
from app.db import get_session
from app.extensions import limiter
from app.i18n import LANGUAGES, current_language
from app.mail import outbox
from app.portal import bp
from app.portal.forms import ActionForm, CodeForm, StartForm
from app.portal.identity import current_email, sign_in, sign_out
from app.redirects import safe_next
from app.services import verification
from app.services.verification import (
    TokenExpiredError,
    TokenUsedError,
    TooManyAttemptsError,
    VerificationPolicy,
    WrongCodeError,
)

_PENDING = "pending_token"


def policy() -> VerificationPolicy:
    cfg = current_app.config
    return VerificationPolicy(
        secret_key=cfg["SECRET_KEY"],
        ttl=timedelta(minutes=cfg["TOKEN_MINUTES"]),
        max_code_attempts=cfg["TOKEN_MAX_CODE_ATTEMPTS"],
        tokens_per_hour=cfg["TOKENS_PER_ADDRESS_PER_HOUR"],
    )


def wrong_code_message(error: WrongCodeError) -> str:
    """What a person who typed a wrong code reads: how many tries are left."""
    return ngettext(
        "The code is not right. You have %(num)d more try.",
        "The code is not right. You have %(num)d more tries.",
        error.attempts_left,
    )


@bp.get("/")
def index() -> str:
    return render_template("portal/index.html", form=StartForm())


@bp.post("/start")
@limiter.limit("10/minute;50/hour", methods=["POST"])
def start() -> str | BaseResponse:
    form = StartForm()
    if not form.validate_on_submit():
        return render_template("portal/index.html", form=form), 400
    db = get_session()
    moment = now()
    token_id = verification.send_token(
        db, policy(), email=form.email.data, language=current_language(), now=moment
    )
    outbox.commit(db, moment)
    if token_id is not None:  # past the hourly limit, the code already mailed stays usable
        session[_PENDING] = token_id
    return redirect(url_for("portal.check_email"), code=303)


@bp.get("/check-email")
def check_email() -> str:
    return render_template(
        "portal/check_email.html", form=CodeForm(), minutes=current_app.config["TOKEN_MINUTES"]
    )


@bp.post("/check-email")
@limiter.limit("20/minute", methods=["POST"])
def enter_code() -> tuple[str, int] | BaseResponse:
    form = CodeForm()
    minutes = current_app.config["TOKEN_MINUTES"]
    if not form.validate_on_submit():
        return render_template("portal/check_email.html", form=form, minutes=minutes), 400
    db = get_session()
    moment = now()
    try:
        email = verification.confirm_code(
            db, policy(), session.get(_PENDING), form.code.data, moment
        )
    except WrongCodeError as exc:
        db.commit()
        form.code.errors = [wrong_code_message(exc)]
        return render_template("portal/check_email.html", form=form, minutes=minutes), 400
    except TooManyAttemptsError:
        db.commit()
        session.pop(_PENDING, None)
        return _token_problem("attempts")
    except (TokenExpiredError, TokenUsedError) as exc:
        return _token_problem(_reason(exc))
    sign_in(email)
    outbox.commit(db, moment)
    return redirect(url_for("portal.overview"), code=303)


@bp.get("/verify/<token>")
def confirm_link_page(token: str) -> tuple[str, int] | Response:
    """Show a button only: opening the link (as mail scanners do) uses nothing up (D7)."""
    try:
        verification.check_link(get_session(), policy(), token, now())
    except _LINK_ERRORS as exc:
        return _token_problem(_reason(exc))
    response = make_response(render_template("portal/confirm.html", form=ActionForm()))
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.post("/verify/<token>")
@limiter.limit("20/minute", methods=["POST"])
def confirm_link(token: str) -> tuple[str, int] | BaseResponse:
    form = ActionForm()
    if not form.validate_on_submit():
        return _token_problem("invalid")
    db = get_session()
    moment = now()
    try:
        email = verification.confirm_link(db, policy(), token, moment)
    except _LINK_ERRORS as exc:
        return _token_problem(_reason(exc))
    sign_in(email)
    outbox.commit(db, moment)
    return redirect(url_for("portal.overview"), code=303)


_LINK_ERRORS = (TokenInvalidError, TokenExpiredError, TokenUsedError)


def _reason(error: Exception) -> str:
    if isinstance(error, TokenExpiredError):
        return "expired"
    if isinstance(error, TokenUsedError):
        return "used"
    return "invalid"


def _token_problem(reason: str) -> tuple[str, int]:
    response = render_template("portal/token_problem.html", reason=reason, form=StartForm())
    return response, 400 if reason in ("invalid", "attempts") else 410


@bp.post("/sign-out")
def sign_out_view() -> BaseResponse:
    form = ActionForm()
    if form.validate_on_submit() and current_email() is not None:
        sign_out()
        get_session().commit()
        flash(_("You are signed out."), "success")
    response = redirect(url_for("portal.index"), code=303)
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@bp.get("/language/<code>")
def set_language(code: str) -> BaseResponse:
    if code in LANGUAGES:
        session["lang"] = code
    target = safe_next(request.args.get("next")) or url_for("portal.index")
    return redirect(target, code=303)
