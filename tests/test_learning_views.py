"""Member pages through the test client: my learning, topic, lesson, marking, place, print, search."""
import re
from datetime import timedelta

import pytest

from core.extensions import db
from learning import studying
from learning import topics as learning_topics
from learning.models import LessonProgress


@pytest.fixture
def topic(synced, world):
    topic = learning_topics.get_topic("chuyen-de-2022")
    learning_topics.assign_topic(topic, world.province)
    db.session.commit()
    return topic


def lesson_url(topic, lesson) -> str:
    return f"/learn/{topic.slug}/{lesson.slug}"


def test_my_learning_lists_assigned_topics_with_due_date_progress_and_next_step(topic, login):
    member = login("member")
    page = member.get("/learn/").get_data(as_text=True)
    first = learning_topics.published_lessons(topic)[0]
    assert "Việc học của tôi" in page and topic.title in page
    assert "Hạn hoàn thành: <strong>31/03/2022</strong>" in page
    assert "0/6 bài · 0%" in page
    assert f"Bắt đầu học: {first.title}" in page
    # a topic set for no unit of hers is not in her list
    assert "Chuyên đề toàn khóa" not in page


def test_staff_without_a_member_record_are_told_why_the_list_is_empty(topic, login):
    page = login("editor").get("/learn/").get_data(as_text=True)
    assert "không gắn với đoàn viên" in page


def test_the_topic_page_lists_lessons_and_their_state(topic, login, world):
    lessons = learning_topics.published_lessons(topic)
    studying.open_lesson(world.member_a, lessons[0])
    db.session.commit()
    page = login("member").get(f"/learn/{topic.slug}/").get_data(as_text=True)
    assert topic.guiding_document in page
    assert page.count("Đang đọc") == 1 and page.count("Chưa học") == len(lessons) - 1
    assert all(lesson.title in page for lesson in lessons)


def test_the_lesson_page_has_contents_reading_time_and_neighbours(topic, login):
    lessons = learning_topics.published_lessons(topic)
    page = login("member").get(lesson_url(topic, lessons[1])).get_data(as_text=True)
    assert 'aria-label="Mục lục bài học"' in page
    assert f"Khoảng {studying.reading_minutes(lessons[1])} phút đọc" in page
    assert f'rel="prev" href="{lesson_url(topic, lessons[0])}"' in page
    assert f'rel="next" href="{lesson_url(topic, lessons[2])}"' in page
    assert "Tôi đã học xong bài này" in page
    assert f"{lesson_url(topic, lessons[1])}/print" in page


def test_marking_too_soon_is_refused_then_accepted_later(topic, login, world):
    member = login("member")
    lessons = learning_topics.published_lessons(topic)
    member.get(lesson_url(topic, lessons[0]))
    response = member.post(lesson_url(topic, lessons[0]) + "/studied", follow_redirects=True)
    assert "Bạn mở bài này chưa lâu" in response.get_data(as_text=True)
    row = db.session.scalars(db.select(LessonProgress)).one()
    assert row.studied_at is None
    row.opened_at -= timedelta(seconds=studying.required_read_seconds(lessons[0]))
    db.session.commit()
    response = member.post(lesson_url(topic, lessons[0]) + "/studied")
    assert response.headers["Location"].endswith(lesson_url(topic, lessons[1]))
    page = member.get("/learn/").get_data(as_text=True)
    assert "1/6 bài · 17%" in page and f"Học tiếp: {lessons[1].title}" in page


def test_the_refusal_and_the_time_left_are_next_to_the_button(topic, login):
    """On a phone the page reloads at the button (#mark): the refusal must be there, not 4,000 px above."""
    member = login("member")
    lesson = learning_topics.published_lessons(topic)[0]
    member.get(lesson_url(topic, lesson))
    response = member.post(lesson_url(topic, lesson) + "/studied")
    assert response.headers["Location"].endswith(lesson_url(topic, lesson) + "#mark")
    page = member.get(response.headers["Location"]).get_data(as_text=True)
    mark = page[page.index('<section id="mark"'):page.index("</section>", page.index('<section id="mark"'))]
    assert "Bạn mở bài này chưa lâu" in mark and page.count("Bạn mở bài này chưa lâu") == 1
    seconds = int(re.search(r'data-mark-seconds="(\d+)"', mark).group(1))
    assert 0 < seconds <= studying.required_read_seconds(lesson)
    assert f"còn {studying.wait_text(seconds)}" in mark
    # The sentence above the button gives the same exact time, not a rounded-up "2 phút".
    assert f"ít nhất {studying.wait_text(studying.required_read_seconds(lesson))}." in " ".join(mark.split())


def test_wait_text_reads_as_a_person_says_it():
    assert [studying.wait_text(s) for s in (45, 60, 90, 120, 125)] == [
        "45 giây", "1 phút", "1 phút 30 giây", "2 phút", "2 phút 5 giây"]


def test_marking_a_lesson_never_opened_is_refused(topic, login):
    lesson = learning_topics.published_lessons(topic)[2]
    response = login("member").post(lesson_url(topic, lesson) + "/studied", follow_redirects=True)
    assert "Hãy mở và đọc bài học trước" in response.get_data(as_text=True)


def test_the_page_remembers_where_the_member_stopped(topic, login):
    member = login("member")
    lesson = learning_topics.published_lessons(topic)[1]
    anchor = "y-thu-hai-dua-viec-lam-theo-bac-vao-sinh-hoat-cong-doan"
    assert member.post(lesson_url(topic, lesson) + "/place", data={"anchor": anchor, "percent": "45"}).json \
        == {"saved": True}
    page = member.get(lesson_url(topic, lesson)).get_data(as_text=True)
    assert f'<a href="#{anchor}">Đọc tiếp từ chỗ bạn dừng lần trước</a>' in page
    bad = member.post(lesson_url(topic, lesson) + "/place", data={"anchor": "\"><script>", "percent": "1"})
    assert bad.status_code == 400 and bad.json["saved"] is False


def test_the_print_view_is_a_bare_page(topic, login):
    lesson = learning_topics.published_lessons(topic)[0]
    page = login("member").get(lesson_url(topic, lesson) + "/print").get_data(as_text=True)
    assert lesson.title in page and "print.css" in page and "navbar" not in page


def test_unpublished_content_is_hidden_from_members_and_shown_to_editors(topic, login):
    lesson = learning_topics.published_lessons(topic)[0]
    lesson.published = False
    db.session.commit()
    assert login("member").get(lesson_url(topic, lesson)).status_code == 404
    page = login("editor").get(lesson_url(topic, lesson)).get_data(as_text=True)
    assert "chưa xuất bản" in page
    topic.published = False
    db.session.commit()
    assert login("member").get(f"/learn/{topic.slug}/").status_code == 404
    assert login("member").get("/learn/unknown/").status_code == 404


def test_learning_pages_need_a_login(topic, client):
    lesson = learning_topics.published_lessons(topic)[0]
    for url in ("/learn/", f"/learn/{topic.slug}/", lesson_url(topic, lesson), "/search?q=bac"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login" in response.headers["Location"]
    assert client.post(lesson_url(topic, lesson) + "/studied").status_code == 302


def test_search_page_and_the_box_on_every_page(topic, login):
    member = login("member")
    assert 'role="search"' in member.get("/").get_data(as_text=True)
    page = member.get("/search?q=hoc+tap+va+lam+theo+bac").get_data(as_text=True)
    assert "<mark>học tập và làm theo Bác</mark>" in page.replace("<mark>Học tập và làm theo Bác</mark>",
                                                                  "<mark>học tập và làm theo Bác</mark>")
    empty = member.get("/search?q=%3Cscript%3Ezzz").get_data(as_text=True)
    assert "Không tìm thấy kết quả nào cho “&lt;script&gt;zzz”" in empty


def test_search_results_name_each_topic_so_two_of_one_year_differ(topic, world, login):
    """Two annual topics of 2022 were both "Chuyên đề năm 2022" under their results."""
    other = learning_topics.get_topic("ket-luan-01-kl-tw")
    assert (other.kind, other.year) == (topic.kind, topic.year)
    other.federation_code = None  # Lào Cai's in the shipped content: here a second topic of the member's province
    learning_topics.assign_topic(other, world.province)
    db.session.commit()
    page = login("member").get("/search?q=neu+guong").get_data(as_text=True)
    labels = [label.strip()
              for label in re.findall(r'<span class="small text-secondary">(?:Bài học · )?([^<·]+)', page)]
    assert any(label.startswith(topic.title[:40]) for label in labels)
    assert any(label.startswith(other.title[:40]) for label in labels)
    assert f"{topic.kind_name} {topic.year}" not in labels
