"""Benchmark: what one password check costs, the app's scrypt beside Argon2id at OWASP's minimums.

    .venv/bin/pip install -r bench/requirements.txt
    .venv/bin/python bench/password_hashes.py [--rounds 20]

A login or a registration in a contest's opening minute checks or makes one hash; in
`contest_opening.py`'s mix 15 % of contestants do, and the hash is most of what they cost
(bench/README.md, "answers sent together"). Prints the median CPU milliseconds of a check for
werkzeug's scrypt as the app configures it (``PASSWORD_HASH_METHOD``) and for Argon2id at the
settings OWASP's Password Storage Cheat Sheet gives as equivalent minimums. Nothing in the app
changes: this is the figure a decision on the hash would start from.
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

from argon2 import PasswordHasher
from werkzeug.security import check_password_hash, generate_password_hash

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config import Config  # noqa: E402

PASSWORD = "hoctap2022"
# OWASP Password Storage Cheat Sheet: m=47104 (46 MiB), t=1; m=19456 (19 MiB), t=2; m=12288 (12 MiB), t=3.
ARGON2ID = [(47104, 1), (19456, 2), (12288, 3)]


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
    stored = generate_password_hash(PASSWORD, method=Config.PASSWORD_HASH_METHOD)
    checks = {f"{stored.split('$')[0]} (the app)": lambda: check_password_hash(stored, PASSWORD)}
    for memory_kib, time_cost in ARGON2ID:
        hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)
        argon = hasher.hash(PASSWORD)
        checks[f"argon2id m={memory_kib // 1024} MiB t={time_cost} p=1"] = (
            lambda hasher=hasher, argon=argon: hasher.verify(argon, PASSWORD))
    print(f"{'hash':44} CPU ms a check (median of {rounds})")
    for label, check in checks.items():
        print(f"{label:44} {cpu_ms(check, rounds):6.1f}")

if __name__ == "__main__":
    main()
