"""Security headers on every response (security.md §8) and no caching of personal data (I2)."""

from __future__ import annotations

from flask import Flask, Response, request

CSP = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)


# URLs that carry a secret token: a mailed sign-in link, a recipient's confirmation link.
TOKEN_PATHS = ("/verify/", "/notices/")


def set_security_headers(response: Response) -> Response:
    h = response.headers
    h.setdefault("Content-Security-Policy", CSP)
    h.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("X-Frame-Options", "DENY")
    if request.path.startswith(TOKEN_PATHS):
        # Every page under a token's URL, including the "used / expired / not valid" pages (D8).
        h["Referrer-Policy"] = "no-referrer"
    h.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    h.setdefault(
        "Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"
    )
    h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    h.setdefault("Cross-Origin-Resource-Policy", "same-origin")
    if not request.path.startswith("/static/"):
        h["Cache-Control"] = "no-store"
    h["Vary"] = "Cookie"
    return response


def init_app(app: Flask) -> None:
    app.after_request(set_security_headers)
