"""Redirect targets taken from the request: only paths on this site, never an open redirect."""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None."""
    if not target or not isinstance(target, str):
        return None
    parts = urlsplit(target)
    if (
        not target.startswith("/")
        or target[1:2] in ("/", "\\")
        or parts.scheme
        or parts.netloc
        or any(ch in target for ch in "\r\n\t\\")
    ):
        return None
    return target
