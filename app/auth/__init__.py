"""Staff sign-in: password, then TOTP (enrolled with a QR code on first sign-in), sign-out."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/staff")

from app.auth import views  # noqa: E402,F401
