"""Signed, single-purpose tokens (itsdangerous): one serializer per purpose, the purpose checked.

Payloads are readable by anyone, so they carry only random nonces, never personal data; expiry and
single use live in the database row the nonce points to (security.md §0.3).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

# An unambiguous alphabet for codes people type: no 0/O, 1/I/L.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


class TokenInvalidError(Exception):
    """The token was altered, truncated, or made for another purpose."""


class SignedTokens:
    def __init__(self, secret_key: str, purpose: str) -> None:
        self.purpose = purpose
        self._serializer = URLSafeSerializer(secret_key, salt=f"portal.{purpose}")

    def dumps(self, **payload: Any) -> str:
        return self._serializer.dumps({"p": self.purpose, **payload})

    def loads(self, token: str) -> dict[str, Any]:
        """:raises TokenInvalidError: on a bad signature or another purpose's token."""
        try:
            payload = self._serializer.loads(token)
        except (BadSignature, UnicodeError, ValueError) as exc:
            raise TokenInvalidError from exc
        if not isinstance(payload, dict) or payload.get("p") != self.purpose:
            raise TokenInvalidError
        return payload


def new_nonce() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def keyed_hash(secret_key: str, value: str) -> str:
    """HMAC-SHA256: for short secrets (typed codes) that a plain hash would not protect."""
    return hmac.new(secret_key.encode(), value.encode(), hashlib.sha256).hexdigest()


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(typed: str) -> str:
    """Accept codes typed with spaces, dashes or lower case."""
    return "".join(ch for ch in typed.upper() if ch.isalnum())


def format_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"
