"""Benchmark: what one password check costs, the app's Argon2id beside the scrypt it replaced.

    .venv/bin/python bench/password_hashes.py [--rounds 20]

A login or a registration in a contest's opening minute checks or makes one hash; in
`contest_opening.py`'s mix 15 % of contestants do, and the hash is most of what they cost
(bench/README.md, "the password hash"). Prints the median CPU milliseconds of a check for the
app's ``PASSWORD_HASH_METHOD``, for werkzeug's scrypt as the app hashed before (still checked,
and replaced at each person's next login: accounts/passwords.py) and for Argon2id at the other
settings OWASP's Password Storage Cheat Sheet gives as equivalent minimums.
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from accounts import passwords  # noqa: E402
from config import Config  # noqa: E402

PASSWORD = "hoctap2022"
SCRYPT_BEFORE = "scrypt:32768:8:1"  # werkzeug's default, the app's until 06/12/2026
# OWASP Password Storage Cheat Sheet: m=47104 (46 MiB), t=1; m=19456 (19 MiB), t=2; m=12288 (12 MiB), t=3.
ARGON2ID = ["argon2id:47104:1:1", "argon2id:19456:2:1", "argon2id:12288:3:1"]


def cpu_ms(check, rounds: int) -> float:
    check()  # first call outside the timing (allocations, imports)
    samples = []
    for _ in range(rounds):
        started = time.process_time()
        assert check()
        samples.append((time.process_time() - started) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    rounds = parser.parse_args().rounds
    scrypt = generate_password_hash(PASSWORD, method=SCRYPT_BEFORE)
    checks = {f"{SCRYPT_BEFORE} (before)": lambda: check_password_hash(scrypt, PASSWORD)}
    for method in ARGON2ID:
        stored = passwords.make(PASSWORD, method)
        label = f"{method}{' (the app)' if method == Config.PASSWORD_HASH_METHOD else ''}"
        checks[label] = lambda stored=stored: passwords.matches(stored, PASSWORD)
    print(f"{'hash':44} CPU ms a check (median of {rounds})")
    for label, check in checks.items():
        print(f"{label:44} {cpu_ms(check, rounds):6.1f}")


if __name__ == "__main__":
    main()
