"""The editors' content check: each rule on a bad and a good example, the command, the shipped content."""
from pathlib import Path

from core.extensions import db
from learning import content
from learning import content_check as check
from learning.content_check import LessonItem, QuestionItem, TopicItem

CONTENT = Path(__file__).resolve().parent.parent / "content"
SOURCES = "\n\n## Nguồn\n\n- Hướng dẫn số 47-HD/BTGTU ngày 12/12/2021 của Ban Tuyên giáo Tỉnh ủy."


def question(slug="q1", choices=None, *, text="Câu hỏi thử?", kind="single", explanation="Theo Hướng dẫn, mục I."):
    choices = choices or [("Bộ Chính trị", True), ("Ban Bí thư Trung ương", False), ("Quốc hội", False),
                          ("Chính phủ", False)]
    return QuestionItem(slug, kind, text, explanation, choices)


def lesson(slug="bai-1", body="## Mở đầu\n\nNội dung." + SOURCES, compares_with=()):
    return LessonItem(slug, "Bài thử", "Tóm tắt.", body, compares_with)


def topic(slug="lai-chau", questions=(), lessons=(), federation="LDLD-LC", texts=("Chủ đề thử",)):
    return TopicItem(slug, federation, list(texts), list(lessons), list(questions))


def rules(*topics) -> list[tuple[str, str, str]]:
    return [(flag.topic, flag.item, flag.rule) for flag in check.check(list(topics))]


def test_a_right_answer_much_longer_than_every_distractor_is_flagged():
    long_right = question(choices=[("Bộ Chính trị khóa XIII ban hành để tiếp tục thực hiện", True),
                                   ("Ban Bí thư", False), ("Quốc hội khóa XV", False), ("Chính phủ", False)])
    assert ("lai-chau", "q1", "long_answer") in rules(topic(questions=[long_right]))
    # 30 % longer than the longest distractor is still fair; more than that is not.
    fair = question(choices=[("a" * 13, True), ("b" * 10, False), ("c" * 4, False)])
    unfair = question(choices=[("a" * 14, True), ("b" * 10, False), ("c" * 4, False)])
    assert "long_answer" not in {r for *_, r in rules(topic(questions=[fair]))}
    assert "long_answer" in {r for *_, r in rules(topic(questions=[unfair]))}


def test_a_right_answer_that_alone_has_a_number_is_flagged():
    alone = question(choices=[("Trong Quý I/2022", True), ("Khi có điều kiện", False), ("Cuối năm", False)])
    shared = question(choices=[("Trong Quý I/2022", True), ("Trong Quý II/2022", False), ("Cuối năm", False)])
    assert ("lai-chau", "q1", "only_number") in rules(topic(questions=[alone]))
    assert "only_number" not in {r for *_, r in rules(topic(questions=[shared]))}


def test_near_duplicates_are_flagged_across_topics_on_both_sides():
    asked = "Chuyên đề toàn khóa nhiệm kỳ Đại hội XIII có tên là gì?"
    first = topic("mot", [question("q1", text=asked)])
    second = topic("hai", [question("q9", text="chuyen de toan khoa nhiem ky dai hoi XIII co ten la gi")])
    other = topic("ba", [question("q5", text="Hướng dẫn yêu cầu hoàn thành học tập trong thời hạn nào?")])
    found = rules(first, second, other)
    assert ("mot", "q1", "near_duplicate") in found and ("hai", "q9", "near_duplicate") in found
    assert not any(t == "ba" and r == "near_duplicate" for t, _, r in found)


def test_one_topics_check_is_the_whole_checks_flags_of_that_topic_from_its_own_pairs(monkeypatch):
    """The bank page checks one topic at each view: its flags are the whole check's, without comparing the
    others' pairs, and pairs already compared for the same texts are not compared again."""
    asked = "Chuyên đề toàn khóa nhiệm kỳ Đại hội XIII có tên là gì?"
    topics = [
        topic("mot", [question("q1", text=asked), question("q2", text="Hướng dẫn số mấy của Ban Tuyên giáo?")]),
        topic("hai", [question("q9", text="chuyen de toan khoa nhiem ky dai hoi XIII co ten la gi"),
                      question("q8", text="Huong dan so may cua Ban Tuyen giao tinh?")]),
        topic("ba", [question("q5", text="Hướng dẫn số mấy của Ban Tuyên giáo tỉnh?"),
                     question("q6", text="Tỉnh Lào Cai ban hành Kế hoạch nào?", explanation="")]),
    ]
    check._near_duplicate_pairs.cache_clear()
    compared = []
    quick_ratio = check.difflib.SequenceMatcher.quick_ratio
    monkeypatch.setattr(check.difflib.SequenceMatcher, "quick_ratio",
                        lambda matcher: compared.append((matcher.a, matcher.b)) or quick_ratio(matcher))
    whole = check.check(topics)
    assert {f.topic for f in whole} == {"mot", "hai", "ba"}
    every_pair = set(compared)
    for item in topics:
        compared.clear()
        assert check.check(topics, only=item.slug) == [flag for flag in whole if flag.topic == item.slug]
        own = {check._comparable(q.text) for q in item.questions}
        assert compared and all(own & set(pair) for pair in compared)  # no pair of two other topics
        assert any(not own & set(pair) for pair in every_pair)  # which the whole check compares
    compared.clear()
    assert check.check(topics) == whole and not compared  # the same texts: the pairs found are kept
    topics[2].questions[0] = question("q5", text="Chuyên đề toàn khóa nhiệm kỳ Đại hội XIII tên là gì?")
    assert ("ba", "q5", "near_duplicate") in rules(*topics) and compared  # a text changed: compared again


def test_a_question_naming_another_federation_is_flagged_and_never_allowed():
    foreign = question(text="Tỉnh Lào Cai ban hành Kế hoạch nào?",
                       choices=[("Kế hoạch số 260/KH-LĐLĐ", True), ("Kế hoạch số 288/KH-LĐLĐ", False)])
    own = question(choices=[("Kế hoạch số 288/KH-LĐLĐ", True), ("Hướng dẫn số 47-HD/BTGTU", False)])
    flags = check.check([topic(questions=[foreign])])
    assert [f.rule for f in flags if f.rule == "other_federation"] == ["other_federation"]
    assert "“Lào Cai”, văn bản 260/KH-LĐLĐ" in next(str(f) for f in flags if f.rule == "other_federation")
    assert "other_federation" not in {r for *_, r in rules(topic(questions=[own]))}
    # The other way round: a Lào Cai topic that asks about Lai Châu's plan.
    assert ("lao-cai", "q1", "other_federation") in rules(topic("lao-cai", [own], federation="LDLD-LAOCAI"))


def test_a_lesson_may_compare_with_another_federation_only_when_it_says_so():
    body = "## So sánh\n\nTỉnh Lào Cai có Kế hoạch số 260/KH-LĐLĐ ngày 07/9/2021." + SOURCES
    assert ("lai-chau", "bai-1", "other_federation") in rules(topic(lessons=[lesson(body=body)]))
    assert rules(topic(lessons=[lesson(body=body, compares_with=("LDLD-LAOCAI",))])) == []
    assert ("lai-chau", "bai-1", "compares_with") in rules(topic(lessons=[lesson(compares_with=("LDLD-XX",))]))


def test_the_topic_fields_are_checked_for_another_federation():
    texts = ("Chuyên đề", "Hướng dẫn số 67/HD-LĐLĐ ngày 27/8/2021 của LĐLĐ tỉnh Lào Cai")
    assert ("lai-chau", "topic.yml", "other_federation") in rules(topic(texts=texts))
    assert rules(topic(texts=("Chuyên đề", "Hướng dẫn số 47-HD/BTGTU ngày 12/12/2021"))) == []


def test_a_missing_explanation_is_flagged():
    assert ("lai-chau", "q1", "no_explanation") in rules(topic(questions=[question(explanation="  ")]))
    assert rules(topic(questions=[question()])) == []


def test_a_lesson_must_end_with_its_sources():
    assert ("lai-chau", "bai-1", "no_sources") in rules(topic(lessons=[lesson(body="## Mở đầu\n\nNội dung.")]))
    not_last = "## Mở đầu\n\nNội dung." + SOURCES + "\n\n## Ghi nhớ\n\n- Một ý."
    assert ("lai-chau", "bai-1", "no_sources") in rules(topic(lessons=[lesson(body=not_last)]))
    assert rules(topic(lessons=[lesson()])) == []


def test_blind_strategies_over_35_percent_are_flagged_per_topic():
    longest_wins = [question(f"q{n}", [("Câu trả lời dài nhất ở đây", True), ("Ngắn hơn chút", False),
                                      ("Ngắn", False), ("Cụt", False)]) for n in range(4)]
    # Longest right in one question of four, ties counted as a share: 25 %, at chance.
    at_chance = longest_wins[:1] + [question(f"q{n}", [("Đúng ở đây", True), ("Sai nhưng dài hơn", False),
                                                       ("Sai", False), ("Sai nữa", False)]) for n in range(4, 7)]
    assert ("lai-chau", "", "blind_longest") in rules(topic(questions=longest_wins))
    assert "blind_longest" not in {r for *_, r in rules(topic(questions=at_chance))}
    dated = [question(f"q{n}", [("Ngày 12/12/2021", True), ("Ngày 15/5/2016", False), ("Sau Tết", False),
                                ("Tháng Chạp", False)]) for n in range(3)]
    undated = [question(f"q{n}", [("Ngày 12/12/2021", True), ("Ngày 15/5/2016", False), ("Ngày 18/5/2021", False),
                                  ("Ngày 23/11/2021", False)]) for n in range(3)]
    assert ("lai-chau", "", "blind_date") in rules(topic(questions=dated))
    assert "blind_date" not in {r for *_, r in rules(topic(questions=undated))}
    assert check.blind_scores(undated)[1:] == (0.25, 3)


def test_document_numbers_not_on_the_list_or_with_another_date_are_flagged():
    invented = question(choices=[("Kế hoạch số 288/KH-LĐLĐ", True), ("Kế hoạch số 206/KH-LĐLĐ của tỉnh", False),
                                 ("Kế hoạch năm", False), ("Kế hoạch quý", False)])
    misdated = question(choices=[("Chỉ thị số 05-CT/TW ngày 15/5/2017", True), ("Chỉ thị 03-CT/TW", False)])
    spelt_otherwise = question(choices=[("Chỉ thị số 05-CT/TW, ngày 15/05/2016", True),
                                        ("Kết luận số 1-KL/TW", False), ("Kế hoạch số 288/KH-LĐLD", False),
                                        ("Hướng dẫn 06-CT/TW ngày 07/11/2006", False)])
    flags = check.check([topic(questions=[invented])])
    assert [(f.rule, f.item) for f in flags] == [("unknown_document", "q1")]
    assert "206/KH-LĐLĐ" in str(flags[0])
    assert ("lai-chau", "q1", "document_date") in rules(topic(questions=[misdated]))
    assert not {r for *_, r in rules(topic(questions=[spelt_otherwise]))} & {"unknown_document", "document_date"}


def _write_topic(root: Path, slug: str, *, federation="LDLD-LC", right="Bộ Chính trị", body_extra="", front=""):
    folder = root / slug
    folder.mkdir(parents=True)
    (folder / "topic.yml").write_text(
        f'title: "Chủ đề {slug}"\nfederation: {federation}\nkind: annual\nyear: 2022\nopens_on: 2022-01-01\n'
        'due_on: 2022-03-31\nguiding_document: "Hướng dẫn số 47-HD/BTGTU ngày 12/12/2021"\nsummary: "Tóm tắt."\n',
        encoding="utf-8")
    (folder / "01-bai-mot.md").write_text(
        f'---\ntitle: "Bài một"\nsummary: "Tóm tắt."\n{front}---\n\n## Mở đầu\n\nNội dung bài.'
        + body_extra + SOURCES + "\n",
        encoding="utf-8")
    (folder / "questions.yml").write_text(
        f'- slug: q001\n  lesson: bai-mot\n  type: single\n  text: "Cơ quan nào ban hành Kết luận số 01-KL/TW?"\n'
        f'  choices:\n    - text: "{right}"\n      correct: true\n    - text: "Ban Bí thư Trung ương"\n'
        '    - text: "Quốc hội"\n    - text: "Chính phủ"\n'
        '  explanation: "Theo Hướng dẫn số 47-HD/BTGTU, mục II.1.2."\n',
        encoding="utf-8")


def test_the_command_passes_clean_content(runner, tmp_path):
    _write_topic(tmp_path, "sach")
    result = runner.invoke(args=["content", "check", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Không có gì cần sửa (1 chủ đề, 1 bài học, 1 câu hỏi)." in result.output


def test_the_command_lists_each_flag_and_exits_1(runner, tmp_path):
    _write_topic(tmp_path, "co-loi", right="Bộ Chính trị khóa XIII, theo Kế hoạch số 206/KH-LĐLĐ",
                 body_extra="\n\nTỉnh Lào Cai cũng học.")
    result = runner.invoke(args=["content", "check", str(tmp_path)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert "co-loi/bai-mot: nhắc “Lào Cai” của LĐLĐ tỉnh Lào Cai, trong khi chủ đề thuộc LĐLĐ tỉnh Lai Châu." in lines
    assert any(line.startswith("co-loi/q001: đáp án đúng dài hơn hẳn") for line in lines)
    assert any(line.startswith("co-loi/q001: số văn bản “206/KH-LĐLĐ”") for line in lines)
    assert lines[-1].startswith("Có 5 điểm cần xem lại")  # also q001 as only one with a number, and blind longest


def test_the_command_reports_malformed_files(runner, tmp_path):
    _write_topic(tmp_path, "hong")
    (tmp_path / "hong" / "topic.yml").write_text("title: [\n", encoding="utf-8")
    result = runner.invoke(args=["content", "check", str(tmp_path)])
    assert result.exit_code == 1
    assert "hong/topic.yml" in result.output and "YAML không hợp lệ" in result.output


def test_the_bank_page_shows_the_same_report(world, login, tmp_path):
    _write_topic(tmp_path, "co-loi", right="Bộ Chính trị, theo Kế hoạch số 206/KH-LĐLĐ")
    _write_topic(tmp_path, "so-sanh", body_extra="\n\nTỉnh Lào Cai cũng học.", front="compares_with: LDLD-LAOCAI\n")
    content.sync(tmp_path)
    db.session.commit()
    client = login("editor")
    page = client.get("/editor/topics/co-loi/questions").get_data(as_text=True)
    assert "Kiểm tra nội dung" in page and "Có 5 điểm cần xem lại" in page
    assert "số văn bản “206/KH-LĐLĐ” không có trong danh sách văn bản đã biết" in page
    assert "gần trùng với câu so-sanh/q001" in page
    clean = client.get("/editor/topics/so-sanh/questions").get_data(as_text=True)
    assert "Có 1 điểm cần xem lại" in clean and "Lào Cai" not in clean  # the lesson compares on purpose


def test_the_shipped_content_passes_the_check():
    flags = check.check(check.from_sources(content.read(CONTENT)))
    assert [str(flag) for flag in flags] == []
