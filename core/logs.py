"""Logging: one line per event, ``event key=value ...``, to standard error.

``configure`` (called by ``create_app``) sets the level from ``LOG_LEVEL`` (default INFO) and,
when nothing else has set up logging (gunicorn leaves the root logger alone; pytest does not),
a handler whose format comes from ``LOG_FORMAT``. Modules log with ``event(logger, name, ...)``:
values with spaces or quotes are quoted, so each line splits into key=value pairs again.
What never goes into a line: passwords, tokens, and identifiers people type (their hash instead).
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import inspect
import logging
import sys
import time
from collections.abc import Callable
from typing import Any

import click
from flask import current_app, has_app_context

DEFAULT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
_HANDLER_NAME = "hoctap"

logger = logging.getLogger(__name__)


def configure(app) -> None:
    level = str(app.config.get("LOG_LEVEL") or "INFO").strip().upper()
    root = logging.getLogger()
    root.setLevel(logging.getLevelNamesMapping().get(level, logging.INFO))
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.set_name(_HANDLER_NAME)
        handler.setFormatter(logging.Formatter(app.config.get("LOG_FORMAT") or DEFAULT_FORMAT))
        root.addHandler(handler)
    log_commands(app.cli)


def _value(value: Any) -> str:
    text = str(value)
    if not text or any(c.isspace() or c in "\"'=\\" for c in text):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") + '"'
    return text


def line(name: str, /, **context: Any) -> str:
    """``name k=v k=v``, leaving out keys whose value is None."""
    return " ".join([name] + [f"{key}={_value(value)}" for key, value in context.items() if value is not None])


def event(log: logging.Logger, name: str, /, *, level: int = logging.INFO, exc_info=None, **context: Any) -> None:
    log.log(level, line(name, **context), exc_info=exc_info)


def identifier_hash(text: str) -> str:
    """A short keyed hash of what a person typed: equal inputs match across lines, the input stays unknown
    (a phone number alone would be guessed from a plain hash)."""
    key = current_app.config["SECRET_KEY"].encode() if has_app_context() else b""
    return hmac.new(key, text.strip().lower().encode(), hashlib.sha256).hexdigest()[:12]


# -- imports -----------------------------------------------------------------------------

def logged_import(kind: str) -> Callable:
    """One line per import: who, into which unit or topic, the file, rows, and how it ended."""
    def decorate(function: Callable) -> Callable:
        signature = inspect.signature(function)

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            arguments = signature.bind(*args, **kwargs).arguments
            actor, target = arguments.get("actor"), arguments.get("unit") or arguments.get("topic")
            context: dict[str, Any] = {"kind": kind, "actor": getattr(actor, "id", None),
                       "target": getattr(target, "code", None) or getattr(target, "slug", None),
                       "file": arguments.get("filename"), "dry_run": bool(arguments.get("dry_run"))}
            try:
                result = function(*args, **kwargs)
            except Exception as error:
                event(logger, "import", level=logging.WARNING, **context,
                      outcome="unreadable" if type(error).__name__ == "TableError" else "failed",
                      error=type(error).__name__)
                raise
            outcome = ("refused" if not result.ok else "checked" if context["dry_run"] else "imported")
            event(logger, "import", **context, outcome=outcome, rows=result.rows, errors=result.error_count,
                  added=getattr(result, "added", None), updated=getattr(result, "updated", None))
            return result
        return wrapper
    return decorate


# -- CLI ---------------------------------------------------------------------------------

def log_commands(group: click.Group, prefix: str = "") -> None:
    """Every `flask` command of ours leaves a line when it ends: its name, outcome and duration.
    Commands are module-level objects shared by every app, so each is wrapped once."""
    for name, command in group.commands.items():
        path = f"{prefix} {name}".strip()
        if isinstance(command, click.Group):
            log_commands(command, path)
        elif command.callback is not None and not getattr(command.callback, "_logged", False):
            command.callback = _logged_command(command.callback, path)


def _logged_command(callback: Callable, path: str) -> Callable:
    @functools.wraps(callback)
    def wrapper(*args, **kwargs):
        started = time.monotonic()
        outcome = "failed"
        try:
            result = callback(*args, **kwargs)
            outcome = "ok"
            return result
        except click.exceptions.Exit as stop:
            outcome = "ok" if stop.exit_code == 0 else "failed"
            raise
        except (click.ClickException, click.Abort, SystemExit):
            outcome = "refused"
            raise
        finally:
            event(logger, "command", level=logging.INFO if outcome == "ok" else logging.WARNING,
                  name=path, outcome=outcome, seconds=round(time.monotonic() - started, 2))
    wrapper._logged = True  # type: ignore[attr-defined]
    return wrapper
