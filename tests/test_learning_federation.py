"""Each province studies its own: a topic is set for its federation's tree only, and the other
province's members and officers neither see it nor reach it."""
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest

from core.extensions import db
from core.permissions import OFFICER
from learning import content, editing, study_sessions
from learning import search as learning_search
from learning import topics as learning_topics
from learning.models import TopicAssignment
from quizzes.models import Quiz
from reports import services as reports
from tests.conftest import synced_content
from tests.factories import make_member, make_unit, make_user

CONTENT = Path(__file__).resolve().parent.parent / "content"
LAI_CHAU, LAO_CAI = "LDLD-LC", "LDLD-LAOCAI"
LAI_CHAU_TOPICS = {"chuyen-de-2022", "chuyen-de-toan-khoa-xiii"}
LAO_CAI_TOPIC = "ket-luan-01-kl-tw"


def assigned(slug: str) -> set[str]:
    topic = learning_topics.get_topic(slug)
    return {row.unit.code for row in db.session.scalars(db.select(TopicAssignment).filter_by(topic_id=topic.id))}


def _province(code: str, name: str, prefix: str):
    province = make_unit(code, kind="province", name=name)
    district = make_unit(f"{prefix}-D", province, kind="district", name=f"Liên đoàn Lao động huyện {prefix}")
    union = make_unit(f"{prefix}-CS", district, name=f"Công đoàn cơ sở {prefix}")
    member = make_member(union, phone=f"09{len(prefix)}0000{len(code)}")
    member.user = make_user(f"dv-{prefix.lower()}")
    officer = make_user(f"tinh-{prefix.lower()}", OFFICER, province)
    db.session.commit()
    return SimpleNamespace(province=province, district=district, union=union, member=member, officer=officer)


@pytest.fixture
def provinces(app):
    lai_chau = _province(LAI_CHAU, "Liên đoàn Lao động tỉnh Lai Châu", "LC")
    lao_cai = _province(LAO_CAI, "Liên đoàn Lao động tỉnh Lào Cai", "LCA")
    synced_content()
    for topic in (LAO_CAI_TOPIC, *LAI_CHAU_TOPICS):
        db.session.add(Quiz(topic=learning_topics.get_topic(topic), title="Bài kiểm tra", question_count=5,
                            time_limit_seconds=600, pass_percent=60, max_attempts=None, min_duration_seconds=0))
    db.session.commit()
    return SimpleNamespace(lai_chau=lai_chau, lao_cai=lao_cai)


def test_sync_sets_each_topic_for_its_federation_only(provinces):
    assert assigned(LAO_CAI_TOPIC) == {LAO_CAI}
    for slug in LAI_CHAU_TOPICS:
        assert assigned(slug) == {LAI_CHAU}
    assert learning_topics.get_topic(LAO_CAI_TOPIC).federation_code == LAO_CAI


def test_a_topic_waits_for_its_federation_unit_and_is_set_when_it_appears(app):
    report = content.sync(CONTENT)
    db.session.commit()
    assert f"{LAO_CAI_TOPIC}: chưa có đơn vị {LAO_CAI}: chủ đề sẽ được giao khi đơn vị này được tạo" in report.lines
    assert assigned(LAO_CAI_TOPIC) == set()
    make_unit(LAO_CAI, kind="province", name="Liên đoàn Lao động tỉnh Lào Cai")
    assert assigned(LAO_CAI_TOPIC) == {LAO_CAI} and assigned("chuyen-de-2022") == set()


def test_sync_takes_a_topic_out_of_another_federation_tree(provinces):
    # as the old demo did
    learning_topics.assign_topic(learning_topics.get_topic(LAO_CAI_TOPIC), provinces.lai_chau.province)
    db.session.commit()
    report = content.sync(CONTENT)
    db.session.commit()
    assert assigned(LAO_CAI_TOPIC) == {LAO_CAI}
    assert f"{LAO_CAI_TOPIC}: bỏ giao cho {LAI_CHAU} (ngoài cây {LAO_CAI})" in report.lines


def test_members_of_the_other_province_neither_see_nor_reach_its_topic(provinces, login):
    client = login("dv-lc")
    page = client.get("/learn/").get_data(as_text=True)
    assert "/learn/chuyen-de-2022/" in page and f"/learn/{LAO_CAI_TOPIC}/" not in page
    lesson = learning_topics.published_lessons(learning_topics.get_topic(LAO_CAI_TOPIC))[0].slug
    for url in (f"/learn/{LAO_CAI_TOPIC}/", f"/learn/{LAO_CAI_TOPIC}/{lesson}",
                f"/learn/{LAO_CAI_TOPIC}/{lesson}/print", f"/learn/{LAO_CAI_TOPIC}/quiz"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/learn/{LAO_CAI_TOPIC}/quiz/start").status_code == 404
    assert client.post(f"/learn/{LAO_CAI_TOPIC}/{lesson}/studied").status_code == 404
    assert login("dv-lca").get(f"/learn/{LAO_CAI_TOPIC}/{lesson}").status_code == 200


def test_search_finds_only_the_topics_of_ones_own_tree(provinces):
    lai_chau = provinces.lai_chau
    everything = learning_search.search("Kết luận 01", limit=200)
    assert {hit.topic.slug for hit in everything} >= {LAO_CAI_TOPIC, "chuyen-de-2022"}
    own = learning_search.search("Kết luận 01", limit=200,
                                 scope=learning_topics.topic_scope(lai_chau.member.user, lai_chau.member))
    assert own and {hit.topic.slug for hit in own} <= LAI_CHAU_TOPICS


def test_officers_report_only_on_their_tree_topics(provinces, login):
    lao_cai = provinces.lao_cai
    assert [t.slug for t in reports.report_topics(lao_cai.province)] == [LAO_CAI_TOPIC]
    assert {t.slug for t in reports.report_topics(provinces.lai_chau.union)} == LAI_CHAU_TOPICS
    client = login("tinh-lca")
    page = client.get(f"/reports/{LAO_CAI}").get_data(as_text=True)
    assert "chuyen-de-2022" not in page and LAO_CAI_TOPIC in page
    assert client.get(f"/reports/{LAO_CAI}?topic=chuyen-de-2022").status_code == 404
    assert client.get(f"/reports/{LAO_CAI}/submissions?topic=chuyen-de-2022").status_code == 404


def test_a_session_is_recorded_only_for_a_topic_of_the_unit_tree(provinces):
    lai_chau = provinces.lai_chau
    data = study_sessions.SessionData(unit=lai_chau.union, topic=learning_topics.get_topic(LAO_CAI_TOPIC),
                                      held_on=date(2022, 3, 1), form="in_person", attendances=10)
    assert (study_sessions.problems(data, lai_chau.officer)["topic"]
            == f"Chuyên đề này không được giao cho {lai_chau.union.name}.")
    data.topic = learning_topics.get_topic("chuyen-de-2022")
    assert "topic" not in study_sessions.problems(data, lai_chau.officer)
    topics = study_sessions.session_topics(learning_topics.topics_of_tree(provinces.lao_cai.union))
    assert [t.slug for t in topics] == [LAO_CAI_TOPIC]


def test_an_editor_cannot_set_a_topic_for_another_federation(provinces):
    with pytest.raises(editing.EditError, match="Liên đoàn Lao động tỉnh Lào Cai"):
        editing.assign_unit(learning_topics.get_topic(LAO_CAI_TOPIC), provinces.lai_chau.district)
    editing.assign_unit(learning_topics.get_topic(LAO_CAI_TOPIC), provinces.lao_cai.district)
    assert assigned(LAO_CAI_TOPIC) == {LAO_CAI, "LCA-D"}


def test_an_officer_issues_offline_certificates_for_the_topics_of_their_tree_only(provinces, login):
    page = login("tinh-lc").get("/certificates/manage").get_data(as_text=True)
    topic = learning_topics.get_topic(LAO_CAI_TOPIC)
    assert f'value="{learning_topics.get_topic("chuyen-de-2022").id}"' in page and f'value="{topic.id}"' not in page
