"""core.uploads: the one way an uploaded spreadsheet is checked, kept on disk while read, and committed."""
import io
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import get_flashed_messages
from werkzeug.datastructures import FileStorage

from core import audit
from core.extensions import db
from core.models import AuditEntry
from core.tabular import TableError
from core.uploads import import_upload


@dataclass
class Result:
    ok: bool


def _upload(name: str, data: bytes = b"ma_don_vi,ten\nA,B\n") -> FileStorage:
    return FileStorage(io.BytesIO(data), filename=name)


def _entries() -> int:
    return db.session.scalar(db.select(db.func.count(AuditEntry.id)))


@pytest.fixture
def request_context(app):
    with app.test_request_context("/", method="POST"):
        yield


def _importer(seen: list, ok: bool = True, refuse: bool = False):
    def run(path: Path, name: str) -> Result:
        seen.append((path, name, path.read_bytes()))
        audit.record(None, "test_import", "file", name, "Nhập thử")
        if refuse:
            raise TableError("Tệp hỏng.")
        return Result(ok)
    return run


def test_the_file_is_read_from_a_temporary_copy_removed_afterwards_and_committed(request_context):
    seen: list = []
    result = import_upload(_upload("Danh sách.CSV"), _importer(seen), dry_run=False)
    path, name, data = seen[0]
    assert result.ok and name == "Danh sách.CSV" and data == b"ma_don_vi,ten\nA,B\n"
    assert path.suffix == ".csv" and not path.exists()
    db.session.rollback()
    assert _entries() == 1  # committed


@pytest.mark.parametrize("ok,dry_run", [(False, False), (True, True)])
def test_a_trial_run_or_an_import_with_errors_writes_nothing(request_context, ok, dry_run):
    seen: list = []
    assert import_upload(_upload("ds.xlsx"), _importer(seen, ok=ok), dry_run=dry_run).ok is ok
    db.session.commit()
    assert _entries() == 0 and not seen[0][0].exists()


def test_a_refusal_rolls_back_is_flashed_and_the_file_is_still_removed(request_context):
    seen: list = []
    assert import_upload(_upload("ds.csv"), _importer(seen, refuse=True), dry_run=False) is None
    db.session.commit()
    assert _entries() == 0 and not seen[0][0].exists()
    assert get_flashed_messages(with_categories=True) == [("danger", "Tệp hỏng.")]


@pytest.mark.parametrize("name", ["ds.xls", "ds.txt", "ds.csv.exe", "ds", ""])
def test_only_xlsx_and_csv_names_are_taken(request_context, name):
    seen: list = []
    assert import_upload(_upload(name), _importer(seen), dry_run=False) is None
    assert seen == [] and get_flashed_messages() == ["Chỉ nhận tệp .xlsx hoặc .csv."]


def test_a_file_above_the_cap_is_refused_before_it_is_read(request_context, tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    seen: list = []
    assert import_upload(_upload("ds.csv", b"x" * 2049), _importer(seen), dry_run=False, max_bytes=2048) is None
    assert seen == [] and "Tệp quá lớn (tối đa 2 KB)" in get_flashed_messages()[0]
    assert list(tmp_path.iterdir()) == []  # the partial copy is gone too
    assert import_upload(_upload("ds.csv", b"x" * 2048), _importer(seen), dry_run=False, max_bytes=2048).ok
