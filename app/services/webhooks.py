"""Signed JSON webhooks: the signature a recipient checks, and one bounded outbound POST.

The signature is HMAC-SHA256 over ``<timestamp>.<body>`` with the secret shared with the
recipient, sent as ``X-Portal-Signature: sha256=<hex>`` next to ``X-Portal-Timestamp`` (Unix
seconds); docs/webhooks.md shows a receiver checking it.

An outbound request is a place where a server can be turned against others (SSRF) or held up by
a slow peer, so a POST here: goes to http(s) URLs only, never follows a redirect (a 3xx is a
failure), waits at most ``timeout`` seconds for each network step, and reads at most
``MAX_RESPONSE_BYTES`` of the answer. Errors are short and hold neither the URL nor the body.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import socket
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

SIGNATURE_PREFIX = "sha256="
MAX_RESPONSE_BYTES = 64 * 1024
USER_AGENT = "Rattighetsportalen-Webhook/1"


class WebhookError(Exception):
    """The POST did not get a 2xx answer; ``message`` is short and free of personal data."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class WebhookResponse:
    status: int
    body: bytes  # at most MAX_RESPONSE_BYTES

    def json(self) -> Any | None:
        """The answer as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256 over "<timestamp>.<body>">`` with the shared secret."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver does: recompute the signature and compare in constant time."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def encode(payload: dict[str, Any]) -> bytes:
    """The body exactly as signed and sent: compact UTF-8 JSON with sorted keys."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def signed_headers(secret: str, timestamp: str, body: bytes, key: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "User-Agent": USER_AGENT,
        "Idempotency-Key": key,
        "X-Portal-Timestamp": timestamp,
        "X-Portal-Signature": sign(secret, timestamp, body),
    }


def check_url(url: str) -> None:
    """:raises WebhookError: unless the URL is http(s) with a host."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise WebhookError("the webhook address is not a valid URL") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookError("the webhook address must be an http or https URL")


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """A 3xx is answered as an error: a redirect could point anywhere, the internal network too."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _opener() -> urllib.request.OpenerDirector:
    """Only the HTTP(S) handlers: no file:, ftp: or data: handler exists to be reached at all."""
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(),  # the proxy of the environment, as other clients use
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(),
        _RefuseRedirects(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


def post_json(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> WebhookResponse:
    """POST ``body`` and return a 2xx answer.

    :raises WebhookError: on a non-2xx status (a redirect included), a timeout, a refused or
        dropped connection, a TLS failure, or a URL that is not http(s).
    """
    check_url(url)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310  (http(s) checked above)
    try:
        with _opener().open(request, timeout=timeout) as response:
            data = response.read(MAX_RESPONSE_BYTES + 1)
            return WebhookResponse(status=response.status, body=data[:MAX_RESPONSE_BYTES])
    except urllib.error.HTTPError as exc:
        exc.close()
        if 300 <= exc.code < 400:
            raise WebhookError(f"redirect refused (HTTP {exc.code})") from None
        raise WebhookError(f"HTTP {exc.code}") from None
    except urllib.error.URLError as exc:
        raise WebhookError(_network_error(exc.reason)) from None
    except (OSError, http.client.HTTPException) as exc:
        raise WebhookError(_network_error(exc)) from None


def _network_error(reason: object) -> str:
    if isinstance(reason, TimeoutError):
        return "timed out"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, socket.gaierror):
        return "host not found"
    if isinstance(reason, ssl.SSLError):
        return "TLS error"
    if isinstance(reason, ConnectionResetError):  # RemoteDisconnected among them
        return "connection closed without an answer"
    return f"connection failed ({type(reason).__name__})"
