from hypothesis import given
from hypothesis import strategies as st

from core.clock import format_date, format_datetime, parse_vn_date
from core.text import clean_name, fold, number_vn


def test_fold_strips_vietnamese_diacritics():
    assert fold("Tam Đường") == "tam duong"
    assert fold("  HỌC TẬP   và làm theo Bác ") == "hoc tap va lam theo bac"
    assert fold("Ỉn Pọm Sểnh") == "in pom senh"


def test_fold_handles_decomposed_input():
    # Text pasted from old Windows-1258 tools arrives decomposed (NFD).
    assert fold("Tam \u0110u\u031bo\u031b\u0300ng") == "tam duong"


@given(st.text())
def test_fold_is_idempotent_and_ascii_for_vietnamese(text):
    once = fold(text)
    assert fold(once) == once


def test_clean_name_normalises_and_collapses_spaces():
    assert clean_name("  Lò   Thị\tXuân ") == "Lò Thị Xuân"


def test_dates_are_shown_in_vietnam_time():
    from datetime import datetime
    utc = datetime(2022, 3, 31, 18, 30)  # 01:30 on 1 April in Vietnam
    assert format_date(utc) == "01/04/2022"
    assert format_datetime(utc) == "01:30 01/04/2022"
    assert parse_vn_date("5/3/2022").isoformat() == "2022-03-05"


def test_numbers_are_grouped_by_thousands_with_dots():
    assert [number_vn(n) for n in (0, 999, 1000, 1_250_000, 10**9)] == [
        "0", "999", "1.000", "1.250.000", "1.000.000.000"]
