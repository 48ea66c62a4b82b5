"""The staff side: the queue, case pages and decisions, intake, the audit trail, accounts."""

from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")

from app.staff import (  # noqa: E402,F401  (registers the views)
    accounts,
    audit_log,
    cases,
    dashboard,
    erasure,
    intake,
    notices,
    objection,
    packages,
    queue,
    rectification,
    register,
    restriction,
    retention,
)
