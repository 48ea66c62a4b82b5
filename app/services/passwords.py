"""Staff passwords: argon2id hashes and the policy (security.md A5, A6).

The policy follows NIST 800-63B and ASVS 5.0 V6.2: a minimum length, long passphrases allowed, no
composition rules, and a check against common and breached passwords shipped with the app (there
is no network to ask an online service), and against the account's own e-mail address and name.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 12
MAX_LENGTH = 256  # long passphrases are welcome; the bound only stops absurd inputs
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")

# argon2-cffi's defaults are RFC 9106's second recommended option (argon2id, 64 MiB, t=3).
hasher = PasswordHasher()

_EDGES = re.compile(r"^[\W\d_]+|[\W\d_]+$")
_REPEATED = re.compile(r"(.+?)\1+", re.DOTALL)


class PasswordProblem(StrEnum):
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    COMMON = "common"
    PERSONAL = "personal"


# Plain English, for the command line (forms have translated texts of their own).
PROBLEM_TEXTS: dict[PasswordProblem, str] = {
    PasswordProblem.TOO_SHORT: f"The password must have at least {MIN_LENGTH} characters.",
    PasswordProblem.TOO_LONG: f"The password may have at most {MAX_LENGTH} characters.",
    PasswordProblem.COMMON: "This password is too common or easy to guess. Choose another one, "
    "for example a few unrelated words.",
    PasswordProblem.PERSONAL: "The password may not be the e-mail address or the name.",
}


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


@cache
def common_passwords() -> frozenset[str]:
    """The shipped deny list, case-folded."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(_fold(line.strip()) for line in lines if line.strip() and line[0] != "#")


def is_common(password: str) -> bool:
    """On the list, on it but for digits or punctuation around it, or one short part repeated."""
    folded = _fold(password)
    deny = common_passwords()
    if folded in deny or folded.strip() in deny:
        return True
    core = _EDGES.sub("", folded)
    if core in deny or (len(core) < 4 and len(folded) < 20):
        return True
    return _REPEATED.fullmatch(folded) is not None


def password_problem(password: str, *, email: str = "", name: str = "") -> PasswordProblem | None:
    """What is wrong with ``password`` for the account with ``email`` and ``name``, if anything."""
    if len(password) < MIN_LENGTH:
        return PasswordProblem.TOO_SHORT
    if len(password) > MAX_LENGTH:
        return PasswordProblem.TOO_LONG
    folded = _fold(password).strip()
    personal = {_fold(email).strip(), _fold(email).split("@")[0].strip(), _fold(name).strip()}
    personal |= {value.replace(" ", "") for value in personal}
    personal.discard("")
    if folded in personal or folded.replace(" ", "") in personal:
        return PasswordProblem.PERSONAL
    if is_common(password):
        return PasswordProblem.COMMON
    return None


def hash_password(password: str) -> str:
    return hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches; a damaged or foreign hash never matches."""
    try:
        return hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """The hash was made with other parameters than the current ones (or is no argon2 hash)."""
    try:
        return hasher.check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True


@cache
def _dummy_hash() -> str:
    return hasher.hash("no account has this password; it only spends the time of a real check")


def spend_verification_time(password: str) -> None:
    """Check ``password`` against a dummy hash: an unknown account takes as long as a known one."""
    verify_password(_dummy_hash(), password)
