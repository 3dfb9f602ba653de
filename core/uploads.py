"""One way to import an uploaded spreadsheet: checked, kept in a temporary file only while it is read,
and committed only when the import found no error and was not a trial run."""
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol, TypeVar

from flask import current_app, flash
from werkzeug.datastructures import FileStorage

from core.errors import Refusal
from core.extensions import db
from core.tabular import TableError

SPREADSHEET_SUFFIXES = (".xlsx", ".csv")
_CHUNK = 1024 * 1024


class _Result(Protocol):
    ok: bool


R = TypeVar("R", bound=_Result)


def _size(size: int) -> str:
    return f"{size // (1024 * 1024)} MB" if size >= 1024 * 1024 else f"{size // 1024} KB"


@contextmanager
def saved_upload(upload: FileStorage, *, max_bytes: int | None = None) -> Iterator[Path]:
    """The upload as a temporary file, removed on leaving whatever happens. ``TableError`` for a name that is
    not .xlsx or .csv, or for more than ``max_bytes`` (default: the app's upload limit) once on disk."""
    suffix = Path(upload.filename or "").suffix.lower()
    if suffix not in SPREADSHEET_SUFFIXES:
        raise TableError("Chỉ nhận tệp .xlsx hoặc .csv.")
    limit = max_bytes or current_app.config["MAX_CONTENT_LENGTH"]
    with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
        written = 0
        while chunk := upload.stream.read(_CHUNK):
            written += len(chunk)
            if limit and written > limit:
                raise TableError(f"Tệp quá lớn (tối đa {_size(limit)}): hãy chia thành nhiều tệp.")
            handle.write(chunk)
        handle.flush()
        yield Path(handle.name)


def import_upload(upload: FileStorage, run: Callable[[Path, str], R], *, dry_run: bool,
                  max_bytes: int | None = None) -> R | None:
    """Hand the upload to ``run(path, name as sent)``. A refusal (the file, or a rule of the import) rolls
    back and is flashed: None. Otherwise the import's result, its rows committed only when ``result.ok`` and
    not ``dry_run`` (an all-or-nothing import writes nothing otherwise)."""
    try:
        with saved_upload(upload, max_bytes=max_bytes) as path:
            result = run(path, upload.filename or "")
    except Refusal as refusal:
        db.session.rollback()
        flash(refusal.message, "danger")
        return None
    if result.ok and not dry_run:
        db.session.commit()
    else:
        db.session.rollback()
    return result

