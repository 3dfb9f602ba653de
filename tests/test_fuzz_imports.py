"""Every import parser fed garbage: random cells (control characters, formulas, huge Vietnamese
names, numbers, dates), random bytes in several encodings, broken workbooks. Each run ends in a
Vietnamese message (a TableError or row errors) or a clean import; never an exception, and never
a partial write: after a refused file the tables hold exactly what they held before."""
import codecs
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from core.extensions import db
from core.tabular import TableError
from learning import content, question_io, sessions
from learning import services as learning
from learning.models import Question, StudySession
from units import importing
from units.models import Member, Unit

CONTENT = Path(__file__).resolve().parent.parent / "content"
FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

NASTY = st.sampled_from(["=1+1", "+84912", "-3", "@SUM(A1)", "=HYPERLINK(\"http://x\")", "\x00", "\x07\x1b[31m",
                         "Nguyễn Thị Ánh Tuyết " * 40, "Lò Văn Páo", "0912 345 678", "LC0001", "GA", "P", "31/02/2026",
                         "19/05/2026", "Trực tiếp", "a\nb\r\nc", "\u202etrái", "𝕏😀", "", " ", "1e309", "NaN", "-0"])
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
def topic(world):
    content.sync(CONTENT)
    db.session.commit()
    return learning.get_topic("chuyen-de-2022")


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
    _run(lambda: sessions.import_sessions(path, name, world.officer_a))


# -- forms --------------------------------------------------------------------------------

FIELD = st.one_of(NASTY, st.text(max_size=300), st.integers(-10**6, 10**6).map(str))


@FUZZ
@given(data=st.fixed_dictionaries({name: FIELD for name in
                                    ("full_name", "card_number", "phone", "birth_year", "gender", "email", "position")}))
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
