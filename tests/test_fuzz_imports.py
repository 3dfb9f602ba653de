"""Every import parser fed garbage: random cells (control characters, formulas, huge Vietnamese
names, numbers, dates), random bytes in several encodings, broken workbooks. Each run ends in a
Vietnamese message (a TableError or row errors) or a clean import; never an exception, and never
a partial write: after a refused file the tables hold exactly what they held before."""
import codecs
import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from core import tabular
from core.extensions import db
from core.tabular import TableError
from learning import question_io, study_sessions
from learning import topics as learning_topics
from learning.models import Question, StudySession
from units import importing
from units.models import Member, Unit

FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

NASTY = st.sampled_from(["=1+1", "+84912", "-3", "@SUM(A1)", "=HYPERLINK(\"http://x\")", "\x00", "\x07\x1b[31m",
                         "Nguyễn Thị Ánh Tuyết " * 40, "Lò Văn Páo", "0912 345 678", "LC0001", "GA", "P", "31/02/2026",
                         "19/05/2026", "Trực tiếp", "a\nb\r\nc", "\u202etrái", "𝕏😀", "", " ", "1e309", "NaN", "-0",
                         "²", "٣", "１２"])  # digits to str.isdigit(); only the last two are digits to int()
CELL = st.one_of(NASTY, st.text(max_size=60), st.integers(-10**12, 10**12), st.floats(allow_nan=True),
                 st.none(), st.booleans())

HEADERS = {
    "members": ["Họ và tên", "Mã đơn vị", "Số thẻ đoàn viên", "Số điện thoại", "Năm sinh", "Giới tính"],
    "units": ["Mã đơn vị", "Tên đơn vị", "Loại", "Mã đơn vị cấp trên"],
    "questions": ["Câu hỏi", "Loại", "Đáp án A", "Đáp án B", "Đáp án C", "Đáp án đúng", "Bài học"],
    "sessions": ["Mã đơn vị", "Ngày", "Chủ đề", "Hình thức", "Số lượt tham dự", "Ghi chú"],
}


def _workbook(rows) -> bytes:
    book = Workbook()
    for row in rows:
        # A workbook cannot hold control characters at all; the CSV examples carry them.
        book.active.append([ILLEGAL_CHARACTERS_RE.sub("", c)[:32000] if isinstance(c, str) else c for c in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _csv(rows, encoding: str) -> bytes:
    text = "\n".join(",".join("" if c is None else str(c).replace(",", " ") for c in row) for row in rows)
    bom = {"utf-8-sig": b"", "utf-16": b"", "cp1258": b"", "latin-1": b""}[encoding]
    return bom + text.encode(encoding, errors="replace")


FILES = st.one_of(
    st.tuples(st.just("xlsx"), st.lists(st.lists(CELL, max_size=8), max_size=12)),
    st.tuples(st.sampled_from(["utf-8-sig", "utf-16", "cp1258", "latin-1"]),
              st.lists(st.lists(CELL, max_size=8), max_size=12)),
    st.tuples(st.just("bytes"), st.binary(max_size=3000)),
)


def _write(tmp_path, kind: str, spec, with_header: bool) -> tuple[Path, str]:
    form, rows = spec
    if form != "bytes" and with_header:
        rows = [HEADERS[kind], *rows]
    if form == "xlsx":
        data, name = _workbook(rows), "tep.xlsx"
    elif form == "bytes":
        data, name = (codecs.BOM_UTF8 + rows if rows[:1] == b"\xff" else rows), "tep.csv"
    else:
        data, name = _csv(rows, form), "tep.csv"
    path = tmp_path / name
    path.write_bytes(data)
    return path, name


def _counts():
    return tuple(db.session.scalar(db.select(db.func.count()).select_from(model))
                 for model in (Member, Unit, Question, StudySession))


def _assert_refused_unwritten(kind, world, topic, path, message):
    """The importer refuses the whole file with ``message`` and nothing is written."""
    before = _counts()
    with pytest.raises(TableError, match=message):
        IMPORTERS[kind](world, topic, path, path.name)
    db.session.rollback()
    assert _counts() == before


def _run(call):
    """The import either refuses the file, refuses some rows (and writes nothing), or imports cleanly."""
    before = _counts()
    try:
        result = call()
    except TableError as error:
        assert str(error).strip()
        db.session.rollback()
        assert _counts() == before
        return
    if result.ok:
        db.session.rollback()  # a clean import: keep the next example's starting point the same
    else:
        assert all(issue.message for issue in result.errors)
        db.session.rollback()
        assert _counts() == before


@pytest.fixture
def topic(synced, world):
    db.session.commit()
    return learning_topics.get_topic("chuyen-de-2022")


@FUZZ
@given(spec=FILES, with_header=st.booleans())
def test_member_imports_survive_garbage(world, tmp_path, spec, with_header):
    path, name = _write(tmp_path, "members", spec, with_header)
    _run(lambda: importing.import_members(path, name, world.admin))


@FUZZ
@given(spec=FILES, with_header=st.booleans())
def test_unit_imports_survive_garbage(world, tmp_path, spec, with_header):
    path, name = _write(tmp_path, "units", spec, with_header)
    _run(lambda: importing.import_units(path, name, world.admin))


@FUZZ
@given(spec=FILES, with_header=st.booleans())
def test_question_imports_survive_garbage(topic, world, tmp_path, spec, with_header):
    path, name = _write(tmp_path, "questions", spec, with_header)
    _run(lambda: question_io.import_questions(topic, path, name, world.editor))


@FUZZ
@given(spec=FILES, with_header=st.booleans())
def test_session_imports_survive_garbage(topic, world, tmp_path, spec, with_header):
    path, name = _write(tmp_path, "sessions", spec, with_header)
    _run(lambda: study_sessions.import_sessions(path, name, world.officer_a))


# -- forms --------------------------------------------------------------------------------

FIELD = st.one_of(NASTY, st.text(max_size=300), st.integers(-10**6, 10**6).map(str))


@FUZZ
@given(data=st.fixed_dictionaries({
    name: FIELD for name in ("full_name", "card_number", "phone", "birth_year", "gender", "email", "position")}))
def test_the_member_form_takes_any_garbage(world, login, data):
    officer = login("officer_a")
    before = _counts()
    response = officer.post("/units/GA/members/new", data=data)
    assert response.status_code in (200, 302)
    if response.status_code == 200:  # refused: a message, and no member half-made
        assert "invalid-feedback" in response.get_data(as_text=True) or "alert" in response.get_data(as_text=True)
        assert _counts() == before
    db.session.rollback()


@FUZZ
@given(data=st.fixed_dictionaries({name: FIELD for name in ("identifier", "password")}))
def test_the_login_form_takes_any_garbage(world, client, data):
    assert client.post("/accounts/login", data=data).status_code in (200, 302)


# -- decompression bombs and oversized files ------------------------------------------------

def _bomb(kind: str, part: str, expanded_mb: int) -> bytes:
    """A valid workbook with the importer's headers, one part of which expands to ``expanded_mb``:
    a few hundred kilobytes on the wire, like the 600 KB file that took 820 MB."""
    source = zipfile.ZipFile(io.BytesIO(_workbook([HEADERS[kind], ["x"] * len(HEADERS[kind])])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in source.infolist():
            if info.filename != part:
                bomb.writestr(info, source.read(info))
        with bomb.open(part, "w") as stream:
            stream.write(b"<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">")
            chunk = b"<si><t>" + b"A" * 1000 + b"</t></si>"
            for _ in range(expanded_mb * 1024 * 1024 // len(chunk)):
                stream.write(chunk)
            stream.write(b"</sst>")
    return buffer.getvalue()


@pytest.fixture
def no_openpyxl(monkeypatch):
    """The refusal must come from looking at the archive, before openpyxl reads any of it."""
    import openpyxl

    def opened(*args, **kwargs):
        raise AssertionError("load_workbook was called on a refused archive")
    monkeypatch.setattr(openpyxl, "load_workbook", opened)
    monkeypatch.setattr(openpyxl.reader.excel, "load_workbook", opened)


IMPORTERS = {
    "members": lambda world, topic, path, name: importing.import_members(path, name, world.admin),
    "units": lambda world, topic, path, name: importing.import_units(path, name, world.admin),
    "questions": lambda world, topic, path, name: question_io.import_questions(topic, path, name, world.editor),
    "sessions": lambda world, topic, path, name: study_sessions.import_sessions(path, name, world.officer_a),
}


@pytest.mark.parametrize("kind", IMPORTERS)
@pytest.mark.parametrize("part,expanded_mb", [("xl/sharedStrings.xml", 60), ("xl/worksheets/sheet1.xml", 30)])
def test_a_zip_bomb_is_refused_unopened(kind, part, expanded_mb, topic, world, tmp_path, no_openpyxl):
    data = _bomb(kind, part, expanded_mb)
    assert len(data) < 1024 * 1024
    path = tmp_path / "bom.xlsx"
    path.write_bytes(data)
    _assert_refused_unwritten(kind, world, topic, path, "giải nén")


@pytest.mark.parametrize("kind", IMPORTERS)
def test_rows_beyond_the_cap_are_refused_by_name(kind, topic, world, tmp_path, monkeypatch):
    monkeypatch.setattr(tabular, "MAX_ROWS", 3)
    monkeypatch.setattr(question_io, "MAX_ROWS", 3)  # questions have their own, lower cap
    rows = [HEADERS[kind]] + [[f"Dòng {n}"] * len(HEADERS[kind]) for n in range(4)]
    path = tmp_path / "nhieu.csv"
    path.write_bytes(_csv(rows, "utf-8-sig"))
    _assert_refused_unwritten(kind, world, topic, path, "quá 3 dòng")


def test_a_csv_beyond_the_size_cap_is_refused_unread(world, tmp_path, monkeypatch):
    monkeypatch.setattr(tabular, "MAX_CSV_BYTES", 100)
    path = tmp_path / "lon.csv"
    path.write_bytes(_csv([HEADERS["members"]] + [["Lò Thị Xuân", "GA"]] * 20, "utf-8-sig"))
    with pytest.raises(TableError, match="quá lớn"):
        importing.import_members(path, path.name, world.admin)


def test_the_command_line_refuses_a_bomb_before_counting_its_rows(world, runner, tmp_path, no_openpyxl):
    path = tmp_path / "bom.xlsx"
    path.write_bytes(_bomb("members", "xl/sharedStrings.xml", 60))
    result = runner.invoke(args=["members", "import", str(path)])
    assert result.exit_code == 1 and "giải nén" in result.output


@pytest.mark.parametrize("kind", IMPORTERS)
def test_a_workbook_of_countless_parts_is_refused_before_its_directory_is_read(kind, topic, world, tmp_path,
                                                                               monkeypatch):
    """20,000 empty parts: a 2 MB upload whose zip directory alone costs seconds and 100 MB to read."""
    source = zipfile.ZipFile(io.BytesIO(_workbook([HEADERS[kind], ["x"] * len(HEADERS[kind])])))
    path = tmp_path / "nhieu-phan.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        for info in source.infolist():
            archive.writestr(info, source.read(info))
        for n in range(20_000):
            archive.writestr(f"xl/media/{n}", b"")

    def read(*args, **kwargs):
        raise AssertionError("the zip directory was read")
    monkeypatch.setattr(zipfile, "ZipFile", read)
    _assert_refused_unwritten(kind, world, topic, path, "quá nhiều phần")


@pytest.mark.parametrize("kind", IMPORTERS)
@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_rows_filled_only_outside_the_read_columns_count_towards_the_cap(kind, suffix, topic, world, tmp_path,
                                                                         monkeypatch):
    """Such rows are read (and cost) as much as any: a file of millions of them is not a file of none."""
    monkeypatch.setattr(tabular, "MAX_ROWS", 3)
    monkeypatch.setattr(question_io, "MAX_ROWS", 3)
    rows = [HEADERS[kind] + ["Ghi chú"]] + [[""] * len(HEADERS[kind]) + [f"Dòng {n}"] for n in range(4)]
    path = tmp_path / f"cot-la{suffix}"
    path.write_bytes(_workbook(rows) if suffix == ".xlsx" else _csv(rows, "utf-8-sig"))
    _assert_refused_unwritten(kind, world, topic, path, "quá 3 dòng")
