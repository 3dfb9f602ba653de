"""Question statistics for editors: facility, discrimination, choice counts, attempts, the .xlsx.

Five people take a four-question quiz whose answers are chosen by hand, so every figure
below is worked out on paper (the arithmetic is in the comments):

    person  Q1 (true/false)  Q2 (single)  Q3 (single)  Q4 (multiple)  total
    P1      1                0            1            1              3
    P2      1                0            1            1              3
    P3      1                0            1            0              2
    P4      1                0            0            0 (no answer)  1   (time ran out)
    P5      1                1            0            0              2   (submitted after 30 s)

Q1: everybody right. Q2: right only for P5, one of the two weakest on the rest of the paper.
P4 then takes a second attempt and gets everything right, which only "all attempts" counts.
"""
import io
import math
import random
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook
from sqlalchemy import event

from core.extensions import db
from core.tabular import XLSX_MIMETYPE
from learning.models import Choice, Question, Topic
from quizzes import services, statistics
from quizzes.models import Answer, Quiz
from tests.factories import make_member, make_user

T0 = datetime(2026, 5, 19, 1, 0, 0)  # 08:00 in Vietnam
FORMULA_TEXT = "=HYPERLINK(\"http://x\";\"Bấm vào đây\") có phải là một câu đúng?"


def _question(topic, slug, type_, text, choices, position):
    question = Question(topic=topic, slug=slug, type=type_, text=text, position=position)
    question.choices = [Choice(position=i, text=label, is_correct=right) for i, (label, right) in enumerate(choices)]
    db.session.add(question)
    return question


def take(quiz, person, start, picks, *, submit_at=timedelta(minutes=5)):
    """One attempt: save the picked choices (by text) 10 s in, submit at ``start + submit_at``."""
    attempt = services.start_attempt(quiz, person.user, person.member, now=start, rng=random.Random(start.minute))
    for question, labels in picks.items():
        ids = [c.id for c in question.choices if c.text in labels]
        services.save_answer(attempt, question.id, ids, now=start + timedelta(seconds=10))
    services.submit(attempt, now=start + submit_at)
    db.session.commit()
    return attempt


@pytest.fixture
def data(world):
    topic = Topic(slug="thong-ke-thu", title="Chuyên đề thử cho thống kê", kind="annual", year=2026, published=True)
    db.session.add(topic)
    q1 = _question(topic, "q1", "true_false", FORMULA_TEXT, [("Đúng", True), ("Sai", False)], 1)
    q2 = _question(topic, "q2", "single", "Chuyên đề năm 2022 phải học xong trong thời gian nào?",
                   [("Quý I", True), ("Quý II", False), ("Cả năm", False)], 2)
    q3 = _question(topic, "q3", "single", "Báo cáo kết quả gửi lên theo kỳ nào?",
                   [("6 tháng và năm", True), ("Hằng tháng", False), ("Không cần báo cáo", False)], 3)
    q4 = _question(topic, "q4", "multiple", "Những hình thức nào được tính là học tập chuyên đề?",
                   [("Hội nghị học tập", True), ("Tự đọc, không báo cáo", False), ("Sinh hoạt chuyên đề", True)], 4)
    quiz = Quiz(topic=topic, title="Kiểm tra thống kê", question_count=4, time_limit_seconds=600, pass_percent=50,
                max_attempts=None, min_duration_seconds=60)
    db.session.add(quiz)
    db.session.commit()

    people = []
    for n, unit in enumerate([world.grassroots_a, world.grassroots_b, world.grassroots_a, world.grassroots_b,
                              world.grassroots_a], start=1):
        member = make_member(unit, f"Người thử {n}")
        member.user = make_user(f"p{n}", full_name=f"Người thử {n}")
        db.session.commit()
        people.append(SimpleNamespace(member=member, user=member.user))
    p1, p2, p3, p4, p5 = people
    right_all = {q1: ["Đúng"], q2: ["Quý I"], q3: ["6 tháng và năm"], q4: ["Hội nghị học tập", "Sinh hoạt chuyên đề"]}
    attempts = [
        take(quiz, p1, T0, {q1: ["Đúng"], q2: ["Quý II"], q3: ["6 tháng và năm"],
                            q4: ["Hội nghị học tập", "Sinh hoạt chuyên đề"]}),
        take(quiz, p2, T0 + timedelta(minutes=1), {q1: ["Đúng"], q2: ["Quý II"], q3: ["6 tháng và năm"],
                                                   q4: ["Hội nghị học tập", "Sinh hoạt chuyên đề"]}),
        take(quiz, p3, T0 + timedelta(minutes=2), {q1: ["Đúng"], q2: ["Cả năm"], q3: ["6 tháng và năm"],
                                                   q4: ["Hội nghị học tập"]}),
        # time runs out: closed at its deadline, answers saved before it still count
        take(quiz, p4, T0 + timedelta(minutes=3), {q1: ["Đúng"], q2: ["Quý II"], q3: ["Hằng tháng"]},
             submit_at=timedelta(seconds=610)),
        take(quiz, p5, T0 + timedelta(minutes=4), {q1: ["Đúng"], q2: ["Quý I"], q3: ["Không cần báo cáo"],
                                                   q4: ["Tự đọc, không báo cáo"]}, submit_at=timedelta(seconds=30)),
    ]
    second = take(quiz, p4, T0 + timedelta(hours=1), right_all)
    # someone still answering is not counted anywhere
    extra = make_member(world.grassroots_b, "Người đang làm")
    extra.user = make_user("p6", full_name="Người đang làm")
    db.session.commit()
    services.start_attempt(quiz, extra.user, extra, now=T0 + timedelta(hours=2))
    db.session.commit()
    return SimpleNamespace(quiz=quiz, topic=topic, q1=q1, q2=q2, q3=q3, q4=q4, people=people, attempts=attempts,
                           second=second, world=world)


def by_id(stats, question):
    return next(q for q in stats.questions if q.id == question.id)


def choice(stats_question, text):
    return next(c for c in stats_question.choices if c.text == text)


# -- services ----------------------------------------------------------------------------

def test_the_engine_graded_the_hand_made_attempts_as_planned(data):
    assert [a.score for a in data.attempts] == [3, 3, 2, 1, 2]
    assert [a.status for a in data.attempts] == ["submitted"] * 3 + ["expired", "submitted"]
    assert [a.flagged_short for a in data.attempts] == [False] * 4 + [True]
    assert data.second.number == 2 and data.second.score == 4


def test_facility_and_discrimination_by_hand(data):
    stats = statistics.quiz_statistics(data.quiz)
    assert [q.id for q in stats.questions] == sorted([data.q1.id, data.q2.id, data.q3.id, data.q4.id])
    assert all(q.attempts == 5 for q in stats.questions)

    q1 = by_id(stats, data.q1)  # 5 of 5 right: no variance, no discrimination
    assert q1.right == 5 and q1.facility == 100.0 and q1.discrimination is None
    assert q1.flags == [statistics.TOO_EASY] and q1.flag_labels == ["Quá dễ"]
    assert q1.text == FORMULA_TEXT

    # Q2: x = (0,0,0,0,1), rest = (3,3,2,1,1); means 0.2 and 2.0
    # Σdx·dy = -0.2·1 - 0.2·1 + 0 - 0.2·(-1) + 0.8·(-1) = -1.0; Σdx² = 0.8; Σdy² = 4
    q2 = by_id(stats, data.q2)
    assert q2.facility == pytest.approx(20.0)
    assert q2.discrimination == pytest.approx(100 * -1.0 / math.sqrt(0.8 * 4))  # -55.9 %
    assert q2.flags == [statistics.NEGATIVE] and q2.flag_labels == ["Phân loại ngược"]  # 20 % is not "too hard"

    # Q3: x = (1,1,1,0,0), rest = (2,2,1,1,2); means 0.6 and 1.6
    # Σdx·dy = 0.16 + 0.16 - 0.24 + 0.36 - 0.24 = 0.2; Σdx² = 1.2; Σdy² = 1.2
    q3 = by_id(stats, data.q3)
    assert q3.facility == pytest.approx(60.0)
    assert q3.discrimination == pytest.approx(100 * 0.2 / 1.2)  # 16.7 %
    assert q3.flags == [statistics.WEAK] and q3.flag_labels == ["Phân loại yếu"]

    # Q4: x = (1,1,0,0,0), rest = (2,2,2,1,2); means 0.4 and 1.8
    # Σdx·dy = 0.12 + 0.12 - 0.08 + 0.32 - 0.08 = 0.4; Σdx² = 1.2; Σdy² = 0.8
    q4 = by_id(stats, data.q4)
    assert q4.facility == pytest.approx(40.0)
    assert q4.discrimination == pytest.approx(100 * 0.4 / math.sqrt(1.2 * 0.8))  # 40.8 %
    assert q4.flags == []


def test_choice_frequencies_and_the_right_choices(data):
    stats = statistics.quiz_statistics(data.quiz)
    q2 = by_id(stats, data.q2)
    assert [(c.text, c.count, c.percent, c.correct) for c in q2.choices] == [
        ("Quý I", 1, 20.0, True), ("Quý II", 3, 60.0, False), ("Cả năm", 1, 20.0, False)]
    assert [c.letter for c in q2.choices] == ["A", "B", "C"] and q2.unanswered == 0
    q4 = by_id(stats, data.q4)
    assert choice(q4, "Hội nghị học tập").count == 3 and choice(q4, "Hội nghị học tập").correct
    assert choice(q4, "Sinh hoạt chuyên đề").count == 2 and choice(q4, "Sinh hoạt chuyên đề").percent == 40.0
    assert choice(q4, "Tự đọc, không báo cáo").count == 1 and not choice(q4, "Tự đọc, không báo cáo").correct
    assert q4.unanswered == 1 and q4.correct_letters == "A, C"
    assert by_id(stats, data.q1).correct_letters == "A"


def test_first_attempts_only_by_default_and_all_attempts_on_request(data):
    first = statistics.quiz_statistics(data.quiz)
    assert [(row.full_name, row.number) for row in first.attempts] == [
        ("Người thử 1", 1), ("Người thử 2", 1), ("Người thử 3", 1), ("Người thử 4", 1), ("Người thử 5", 1)]
    assert first.attempt_count == 5 and first.people == 5 and first.passed_count == 4 and first.short_count == 1
    assert first.mean_percent == pytest.approx((75 + 75 + 50 + 25 + 50) / 5)

    every = statistics.quiz_statistics(data.quiz, all_attempts=True)
    assert every.attempt_count == 6 and every.people == 5
    assert [(row.full_name, row.number) for row in every.attempts][-1] == ("Người thử 4", 2)
    q2 = by_id(every, data.q2)
    # x = (0,0,0,0,1,1), rest = (3,3,2,1,1,3): Σxy - n·x̄·ȳ = 4 - 13/3 = -1/3,
    # Σx² - n·x̄² = 2 - 2/3 = 4/3, Σy² - n·ȳ² = 33 - 169/6 = 29/6
    assert q2.attempts == 6 and q2.facility == pytest.approx(100 * 2 / 6)
    assert q2.discrimination == pytest.approx(100 * (-1 / 3) / math.sqrt(4 / 3 * 29 / 6))  # -13.1 %
    assert by_id(every, data.q1).facility == 100.0


def test_attempt_rows_carry_the_result_as_recorded(data):
    stats = statistics.quiz_statistics(data.quiz)
    p4 = stats.attempts[3]
    assert p4.unit_name == data.world.grassroots_b.name and p4.status_name == "Hết giờ, tự nộp"
    assert (p4.score, p4.max_score, p4.percent, p4.passed) == (1, 4, 25.0, False)
    assert p4.finished_at == data.attempts[3].deadline and p4.duration_seconds == 600
    p5 = stats.attempts[4]
    assert p5.flagged_short and p5.duration_seconds == 30 and statistics.duration_text(30) == "0:30"
    assert statistics.duration_text(4530) == "75:30" and statistics.duration_text(None) == ""


def test_an_answer_saved_after_the_grace_is_not_counted(data):
    late = data.attempts[3]  # P4 left Q4 unanswered; a row that slipped in after the bell changes nothing
    db.session.add(Answer(attempt_id=late.id, question_id=data.q4.id,
                          choice_ids=[c.id for c in data.q4.choices if c.is_correct],
                          saved_at=late.deadline + timedelta(seconds=services.GRACE_SECONDS + 1)))
    db.session.commit()
    q4 = by_id(statistics.quiz_statistics(data.quiz), data.q4)
    assert q4.facility == pytest.approx(40.0) and q4.unanswered == 1
    assert choice(q4, "Hội nghị học tập").count == 3


def test_a_quiz_nobody_finished_has_empty_statistics(data):
    quiz = Quiz(topic=data.topic, title="Chưa ai làm", question_count=2)
    db.session.add(quiz)
    db.session.commit()
    stats = statistics.quiz_statistics(quiz)
    assert stats.questions == [] and stats.attempts == [] and stats.mean_percent is None


def test_a_single_attempt_has_no_discrimination(data):
    quiz = Quiz(topic=data.topic, title="Một lượt", question_count=4, pass_percent=50, max_attempts=None)
    db.session.add(quiz)
    db.session.commit()
    take(quiz, data.people[0], T0 + timedelta(days=1), {data.q1: ["Đúng"], data.q2: ["Quý II"]})
    stats = statistics.quiz_statistics(quiz)
    assert [q.discrimination for q in stats.questions] == [None] * 4
    assert by_id(stats, data.q2).flags == [statistics.TOO_HARD]


@pytest.mark.parametrize("all_attempts", [False, True])
def test_a_fixed_number_of_queries_whatever_the_number_of_attempts(data, all_attempts):
    statements = []
    db.session.refresh(data.quiz)  # loaded before counting

    def count(*args):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        statistics.quiz_statistics(data.quiz, all_attempts=all_attempts)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) <= 3  # attempts, answers, the questions' slugs


@pytest.mark.parametrize("facility, discrimination, flags", [
    (90.0, 20.0, []),
    (90.1, None, [statistics.TOO_EASY]),
    (19.9, -0.1, [statistics.TOO_HARD, statistics.NEGATIVE]),
    (20.0, 0.0, [statistics.WEAK]),
    (50.0, 19.9, [statistics.WEAK]),
])
def test_flag_thresholds(facility, discrimination, flags):
    assert statistics.flags_for(facility, discrimination) == flags


def test_pearson_is_undefined_without_spread():
    assert statistics.pearson([1, 1, 1], [0, 1, 2]) is None
    assert statistics.pearson([0, 1, 0], [2, 2, 2]) is None
    assert statistics.pearson([1], [1]) is None
    assert statistics.pearson([0, 1, 1], [0, 2, 2]) == pytest.approx(1.0)
    assert statistics.pearson([0, 1], [1, 0]) == pytest.approx(-1.0)


# -- views -------------------------------------------------------------------------------

def url(data, suffix=""):
    return f"/editor/quizzes/{data.quiz.id}/statistics{suffix}"


@pytest.mark.parametrize("username", ["editor", "admin"])
def test_editors_and_admins_see_the_report(data, login, username):
    response = login(username).get(url(data))
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Thống kê câu hỏi" in body and data.quiz.title in body
    for label in ("Quá dễ", "Phân loại ngược", "Phân loại yếu", "Quá nhanh", "(hết giờ)"):
        assert label in body
    assert "Chuyên đề năm 2022 phải học xong trong thời gian nào?" in body
    assert "HYPERLINK(&#34;http://x&#34;" in body  # escaped, shown as text
    assert "—" in body and "-55,9%" in body and "16,7%" in body and "40,8%" in body
    assert "19/05/2026 08:00" in body and "19/05/2026 08:13" in body  # P4: started 08:03, closed at 08:13
    assert "10:00" in body and "0:30" in body and "1/4" in body and "25,0%" in body
    assert data.world.grassroots_b.name in body
    assert "Người thử 5" in body and "Người đang làm" not in body
    assert 'class="table-responsive' in body and "style=" not in body
    assert f"/editor/quizzes/{data.quiz.id}/statistics.xlsx" in body


def test_all_attempts_filter_on_the_page(data, login):
    editor = login("editor")
    first = editor.get(url(data)).get_data(as_text=True)
    every = editor.get(url(data, "?all=1")).get_data(as_text=True)
    assert "Lượt làm bài (5)" in first and "Lượt làm bài (6)" in every
    assert "33,3%" in every and "20,0%" in first
    assert "statistics.xlsx?all=1" in every


def test_a_quiz_without_attempts_says_so(data, login):
    quiz = Quiz(topic=data.topic, title="Chưa ai làm", question_count=2)
    db.session.add(quiz)
    db.session.commit()
    response = login("editor").get(f"/editor/quizzes/{quiz.id}/statistics")
    assert response.status_code == 200 and "Chưa có lượt làm bài nào đã nộp" in response.get_data(as_text=True)


def _workbook(response):
    assert response.status_code == 200
    assert response.mimetype == XLSX_MIMETYPE
    assert "attachment" in response.headers["Content-Disposition"]
    return load_workbook(io.BytesIO(response.data))


@pytest.mark.parametrize("username", ["editor", "admin"])
def test_the_spreadsheet(data, login, username):
    workbook = _workbook(login(username).get(url(data, ".xlsx")))
    assert workbook.sheetnames == ["Câu hỏi", "Lượt làm bài"]
    questions = list(workbook["Câu hỏi"].iter_rows(values_only=True))
    header = questions[0]
    assert header[:10] == tuple(statistics.QUESTION_HEADERS)
    assert header[10:13] == ("Phương án A", "Số lượt chọn A", "% chọn A")
    rows = {row[0]: row for row in questions[1:]}
    assert len(rows) == 4
    q1 = rows[data.q1.id]
    assert q1[1] == "'" + FORMULA_TEXT  # neutralised: a spreadsheet shows it as text
    assert q1[2:10] == ("Đúng/Sai", 5, 5, 100, "—", "Quá dễ", "A", 0)
    assert q1[10:16] == ("Đúng", 5, 100, "Sai", 0, 0)
    q2 = rows[data.q2.id]
    assert q2[5:9] == (20, -55.9, "Phân loại ngược", "A")
    assert q2[10:19] == ("Quý I", 1, 20, "Quý II", 3, 60, "Cả năm", 1, 20)
    for row in workbook["Câu hỏi"].iter_rows(min_row=2):
        assert all(cell.data_type != "f" for cell in row)

    attempts = list(workbook["Lượt làm bài"].iter_rows(values_only=True))
    assert attempts[0] == tuple(statistics.ATTEMPT_HEADERS)
    assert len(attempts) == 6
    assert attempts[4] == ("Người thử 4", data.world.grassroots_b.name, 1, "Hết giờ, tự nộp",
                           datetime(2026, 5, 19, 8, 3), datetime(2026, 5, 19, 8, 13), "10:00", 1, 4, 25, "Chưa đạt",
                           None)
    assert attempts[5][-2:] == ("Đạt", "Quá nhanh")


def test_the_spreadsheet_of_all_attempts(data, login):
    response = login("editor").get(url(data, ".xlsx?all=1"))
    assert "moi-luot" in response.headers["Content-Disposition"]
    attempts = list(_workbook(response)["Lượt làm bài"].iter_rows(values_only=True))
    assert len(attempts) == 7 and attempts[-1][:3] == ("Người thử 4", data.world.grassroots_b.name, 2)


@pytest.mark.parametrize("suffix", ["", ".xlsx"])
@pytest.mark.parametrize("username", ["member", "officer_a", "tinh", "organiser"])
def test_others_are_refused(data, login, username, suffix):
    assert login(username).get(url(data, suffix)).status_code == 403


@pytest.mark.parametrize("suffix", ["", ".xlsx"])
def test_anonymous_visitors_go_to_login(data, client, suffix):
    response = client.get(url(data, suffix))
    assert response.status_code in (302, 303)
    assert "/accounts/login" in response.headers["Location"]


@pytest.mark.parametrize("suffix", ["", ".xlsx"])
def test_an_unknown_quiz_is_404(data, login, suffix):
    assert login("editor").get(f"/editor/quizzes/999999/statistics{suffix}").status_code == 404

