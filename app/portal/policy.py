"""The public privacy policy, rendered from the register: the version in force, a notice of the
coming change, and every earlier version as it was published. No sign-in needed.
"""

from __future__ import annotations

from flask import abort, render_template

from app.clock import today
from app.db import get_session
from app.i18n import current_language
from app.portal import bp
from app.services import policy


@bp.get("/policy")
def policy_page() -> str:
    db = get_session()
    day = today()
    version = policy.in_force(db, day)
    content = version.snapshot if version is not None else policy.snapshot(db)
    return render_template(
        "portal/policy.html",
        document=policy.document(content, current_language()),
        version=version,
        status="current" if version is not None else None,
        coming=policy.coming(db, day),
        history=policy.history(db, day),
        replaced_on=None,
    )


@bp.get("/policy/versions/<int:number>")
def policy_version(number: int) -> str:
    db = get_session()
    day = today()
    entries = {entry.version.number: entry for entry in policy.history(db, day)}
    entry = entries.get(number)
    if entry is None:
        abort(404)
    return render_template(
        "portal/policy.html",
        document=policy.document(entry.version.snapshot, current_language()),
        version=entry.version,
        status=entry.status,
        coming=[],
        history=list(entries.values()),
        replaced_on=entry.replaced_on,
    )
