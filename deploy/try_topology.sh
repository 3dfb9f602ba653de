#!/usr/bin/env bash
# Bring the deploy/ topology up on this machine (nginx on 127.0.0.1:5140, two app servers with
# their threaded pools on 8140-8141 and contest pools on 8150-8151, PostgreSQL database bench_sct,
# Redis DB 3), check it, and stop everything again.
# Options are bench/topology.py's (--users, --servers, --nice, ...). Needs nginx, PostgreSQL,
# Redis and `.venv/bin/pip install -r bench/requirements.txt` (locust).
set -euo pipefail
cd "$(dirname "$0")/.."
python_pid=
cleanup() {
  # bench/topology.py stops what it started on exit, SIGTERM and SIGINT; this covers a
  # wrapper killed before it could.
  if [[ -n "$python_pid" ]] && kill -0 "$python_pid" 2>/dev/null; then
    kill -TERM "$python_pid" 2>/dev/null || true
    wait "$python_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT INT TERM
.venv/bin/python bench/topology.py "$@" &
python_pid=$!
wait "$python_pid"
