import codecs
import unicodedata

import pytest
from openpyxl import Workbook

from core.tabular import TableError, read_table

COLUMNS = {"name": ("Họ và tên",), "phone": ("Số điện thoại",)}


def _rows(path, name="x.csv"):
    titles, rows = read_table(path, name, COLUMNS, ("name",))
    return titles, [r.values for r in rows]


@pytest.mark.parametrize("encoding,bom,delimiter", [
    ("utf-8", b"", ","), ("utf-8", codecs.BOM_UTF8, ";"), ("utf-16-le", codecs.BOM_UTF16_LE, "\t"),
])
def test_csv_in_the_encodings_excel_writes(tmp_path, encoding, bom, delimiter):
    text = f"Họ và tên{delimiter}Số điện thoại\r\nLò Thị Xuân{delimiter}0912000001\r\n"
    path = tmp_path / "x.csv"
    path.write_bytes(bom + text.encode(encoding))
    titles, rows = _rows(path)
    assert titles["name"] == "Họ và tên"
    assert rows == [{"name": "Lò Thị Xuân", "phone": "0912000001"}]


def _cp1258(text: str) -> bytes:
    """Encode as legacy Vietnamese Windows does: precomposed where it can, tone marks combining."""
    out = b""
    for char in text:
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            base, *marks = unicodedata.normalize("NFD", char)
            # Keep the vowel's own mark (horn, circumflex, breve) on the base where cp1258 has it.
            for split in range(len(marks), -1, -1):
                head = unicodedata.normalize("NFC", base + "".join(marks[:split]))
                try:
                    out += head.encode("cp1258") + "".join(marks[split:]).encode("cp1258")
                    break
                except UnicodeEncodeError:
                    continue
    return out


def test_windows_1258_is_refused_with_advice(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(_cp1258("Họ và tên\nLò Thị Xuân Hường\n"))
    with pytest.raises(TableError, match="CSV UTF-8"):
        _rows(path)


def test_headers_match_without_diacritics_in_any_order_below_a_title(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["DANH SÁCH ĐOÀN VIÊN"])
    sheet.append(["so dien thoai", "HO VA TEN"])
    sheet.append([912000001, "Giàng A Páo"])
    sheet.append([None, None])
    path = tmp_path / "x.xlsx"
    workbook.save(path)
    _, rows = _rows(path, "x.xlsx")
    assert rows == [{"phone": "912000001", "name": "Giàng A Páo"}]


def test_missing_required_column_is_named(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("Tên,Số điện thoại\nA,0912000001\n", encoding="utf-8")
    with pytest.raises(TableError, match="Họ và tên"):
        _rows(path)


def test_a_file_that_is_not_a_spreadsheet(tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"%PDF-1.4 not a workbook")
    with pytest.raises(TableError, match="xlsx"):
        _rows(path, "x.xlsx")
    with pytest.raises(TableError, match=".xlsx hoặc .csv"):
        _rows(path, "x.pdf")


def test_the_content_decides_not_the_name(tmp_path):
    from openpyxl import Workbook
    workbook = Workbook()
    workbook.active.append(["Họ và tên", "Số điện thoại"])
    workbook.active.append(["Lò Thị Xuân", "0912000001"])
    renamed = tmp_path / "danh-sach.csv"  # an .xlsx saved under the wrong name still reads
    workbook.save(renamed)
    assert [row["name"] for row in _rows(renamed, "danh-sach.csv")[1]] == ["Lò Thị Xuân"]
    old_excel = tmp_path / "cu.xls"
    old_excel.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    with pytest.raises(TableError, match="Excel 97–2003"):
        _rows(old_excel, "cu.xlsx")
    archive = tmp_path / "anh.xlsx"
    import zipfile
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("anh.jpg", b"jpeg")
    with pytest.raises(TableError, match="không phải bảng tính Excel"):
        _rows(archive, "anh.xlsx")
