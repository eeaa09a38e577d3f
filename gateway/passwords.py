"""People's passwords: argon2id hashes (slow and salted), the rules a new password must meet, and
one-time passwords an admin hands over.

A hash takes tens of milliseconds of CPU by design: callers run `hash_password` and `verify` in a
worker thread (`anyio.to_thread`), never on the event loop, and never inside a write transaction.
"""

import secrets
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from shared.contracts import people as people_contract

# argon2-cffi's defaults are RFC 9106's second recommendation: argon2id, t=3, m=64 MiB, p=4.
_hasher = PasswordHasher()
# Longer is refused (422), so nobody makes the gateway hash a megabyte.
MIN_LENGTH, MAX_LENGTH = people_contract.PASSWORD_MIN_LENGTH, people_contract.PASSWORD_MAX_LENGTH
# One-time passwords: no 0/O, 1/l/I to misread when read out over the phone.
_OTP_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
# Compared with the password lower-cased (gateway/common_passwords.txt, one a line).
COMMON = frozenset(
    line.strip().lower() for line in (Path(__file__).parent / "common_passwords.txt").read_text().splitlines()
    if line.strip() and not line.startswith("#")
)


class PasswordRefused(ValueError):
    """A new password breaks a rule: `reason` is one of the codes below."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


MESSAGES = {
    "too_short": f"at least {MIN_LENGTH} characters",
    "too_long": f"at most {MAX_LENGTH} characters",
    "same_as_login": "must not be the login name",
    "common": "is a commonly used password: choose another",
}


def check(password: str, login: str) -> None:
    """Raises PasswordRefused when `password` may not be chosen by the person with `login`."""
    if len(password) < MIN_LENGTH:
        raise PasswordRefused("too_short")
    if len(password) > MAX_LENGTH:
        raise PasswordRefused("too_long")
    lowered = password.lower()
    if login and login.lower() in (lowered, lowered[::-1]):
        raise PasswordRefused("same_as_login")
    if lowered in COMMON or len(set(lowered)) <= 2:
        raise PasswordRefused("common")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


# Verified against when the login does not exist, so that an unknown login takes as long as a known one.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def verify(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def one_time() -> str:
    """A password to read out or hand over once: 12 letters and digits in three groups."""
    raw = "".join(secrets.choice(_OTP_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"
