"""The application's clock. Services take ``now`` as an argument; views and commands ask here.

Tests replace ``app.extensions["clock"]`` to move time (token expiry, deadlines) without sleeping.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def system_now() -> datetime:
    return datetime.now(UTC)


def now() -> datetime:
    clock: Callable[[], datetime] = current_app.extensions.get("clock", system_now)
    return clock()


def stockholm_date(moment: datetime) -> date:
    """The calendar date in Sweden of a moment: the day the law counts from (legal.md §2.1)."""
    return moment.astimezone(STOCKHOLM).date()


def today() -> date:
    """Today's date in Stockholm, by the application's clock."""
    return stockholm_date(now())
