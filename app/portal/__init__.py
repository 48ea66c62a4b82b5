"""The data subject's side: verify a mailbox, file requests, follow the cases."""

from flask import Blueprint

bp = Blueprint("portal", __name__)

from app.portal import cases, downloads, notices, policy, requests, verify  # noqa: E402,F401
