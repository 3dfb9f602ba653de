"""Password hashes: Argon2id; the scrypt and PBKDF2 hashes of before are still checked, and replaced
by an Argon2id one at the person's next login.

A method is written ``argon2id:<memory KiB>:<passes>:<lanes>`` (``PASSWORD_HASH_METHOD``). The
app's, 19 MiB and two passes, is the first choice of OWASP's Password Storage Cheat Sheet; a check
costs about 20 ms of CPU where werkzeug's scrypt (n = 2^15, under OWASP's scrypt minimum) cost 95
(bench/password_hashes.py), and a contest's opening minute checks one for every login.
"""
import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from werkzeug.security import check_password_hash

_ARGON2 = "$argon2"
# Verifying reads the memory, passes and lanes from the hash itself: one made under older settings still checks.
_VERIFIER = PasswordHasher()


@functools.cache
def _hasher(method: str) -> PasswordHasher:
    kind, memory_kib, passes, lanes = method.split(":")
    if kind != "argon2id":
        raise ValueError(f"PASSWORD_HASH_METHOD must be argon2id:<memory KiB>:<passes>:<lanes>, not {method!r}")
    return PasswordHasher(time_cost=int(passes), memory_cost=int(memory_kib), parallelism=int(lanes))


def make(password: str, method: str) -> str:
    return _hasher(method).hash(password)


def matches(stored: str, password: str) -> bool:
    if stored.startswith(_ARGON2):
        try:
            return _VERIFIER.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False
    try:
        return check_password_hash(stored, password)  # werkzeug's "scrypt:…" and "pbkdf2:…"; False for others
    except ValueError:  # werkzeug's own format with impossible settings
        return False


def outdated(stored: str, method: str) -> bool:
    """Whether a hash that just matched should be made again under ``method``."""
    return not stored.startswith(_ARGON2) or _hasher(method).check_needs_rehash(stored)
