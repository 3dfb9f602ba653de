"""Every endpoint of the URL map, with who may use it, called as every kind of person.

A route missing from TABLE fails `test_every_route_has_an_entry`. For each route, people
outside its "allowed" set must be turned away: anonymous visitors to the login page (the API:
401), everyone else with 403 or 404 (404 where even the existence of the thing is private).
People inside the set must get through: anything below 500 but 401/403/404/405. POSTs are sent
empty (CSRF is off in tests), so they reach the view's own checks; nobody anywhere gets a 500.
"""
from datetime import date, timedelta
from types import SimpleNamespace

import pytest

from accounts.models import ApiToken, Role
from certificates import services as certificates
from contests import boards, registration
from contests import services as contests
from contests.models import Contest, Division, Prize
from core.clock import local_today, utcnow
from core.extensions import db
from lamtheo import commitments as lamtheo_commitments
from lamtheo import plans as lamtheo_plans
from lamtheo import review as lamtheo_review
from lamtheo import stories
from lamtheo.story_models import KIND_MODEL
from learning import studying
from learning import topics as learning_topics
from learning.models import Question, StudySession
from quizzes import services as quizzes
from quizzes.models import Quiz
from reports import services as reports
from reports import submissions
from tests.conftest import SYNCED, WORLD, FolderSnapshot, synced_content
from tests.factories import study_everything
from units.models import Headcount

PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
                    "0000000d49444154789c6300010000050001a5f645400000000049454e44ae426082")

# Who is who: "officer" oversees district A, where the sample unit, member and certificate are;
# "other_officer" oversees district B beside it.
ROLES = {"anonymous": None, "member": "member", "editor": "editor", "organiser": "organiser",
         "other_officer": "officer_b", "officer": "officer_a", "admin": "admin"}
EVERYONE = set(ROLES)
LOGGED_IN = EVERYONE - {"anonymous"}
STAFF = {"officer", "other_officer", "admin"}  # any officer, on their own subtree
SCOPED = {"officer", "admin"}  # the sample unit's officer (and above)
ADMIN = {"admin"}
EDITORS = {"editor", "admin"}
ORGANISERS = {"organiser", "admin"}
HOLDER = {"member", "officer", "admin"}  # the member's own things, and the officers over them
NOBODY_BY_SESSION = set()  # the JSON API: a bearer token, never a session

# endpoint: (method, url made from the samples, who may use it)
TABLE = {
    "core.home": ("GET", "/", EVERYONE),
    "core.healthz": ("GET", "/healthz", EVERYONE),
    "static": ("GET", "/static/css/app.css", EVERYONE),
    "accounts.login": ("GET", "/accounts/login", EVERYONE),
    "accounts.logout": ("POST", "/accounts/logout", LOGGED_IN),
    "accounts.change_password": ("GET", "/accounts/password", LOGGED_IN),
    "accounts.users": ("GET", "/accounts/users", ADMIN),
    "accounts.create_user": ("POST", "/accounts/users", ADMIN),
    "accounts.user_detail": ("GET", "/accounts/users/{s.member_user_id}", ADMIN),
    "accounts.reset_password": ("POST", "/accounts/users/{s.member_user_id}/reset", ADMIN),
    "accounts.revoke_role": ("POST", "/accounts/users/{s.officer_user_id}/roles/{s.role_id}/revoke", ADMIN),
    "api_tokens.index": ("GET", "/accounts/api-tokens/", STAFF),
    "api_tokens.create": ("POST", "/accounts/api-tokens/", STAFF),
    "api_tokens.revoke": ("POST", "/accounts/api-tokens/{s.token_id}/revoke", {"officer"}),
    "api.completion": ("GET", "/api/v1/units/GA/completion?topic={s.topic}", NOBODY_BY_SESSION),
    "audit.index": ("GET", "/admin/audit/", ADMIN),

    "units.index": ("GET", "/units/", STAFF),
    "units.create": ("POST", "/units/", ADMIN),  # the tree itself is the administrators'
    "units.detail": ("GET", "/units/GA", SCOPED),
    "units.members": ("GET", "/units/GA/members", SCOPED),
    "units.rename": ("POST", "/units/GA/rename", ADMIN),
    "units.move": ("POST", "/units/GA/move", ADMIN),
    "units.merge": ("POST", "/units/GA/merge", ADMIN),
    "units.dissolve": ("POST", "/units/GA/dissolve", ADMIN),
    "units.activate": ("POST", "/units/GA/activate", SCOPED),
    "units.kinds": ("GET", "/units/kinds", ADMIN),
    "units.new_member": ("GET", "/units/GA/members/new", SCOPED),
    "units.edit_member": ("GET", "/units/members/{s.member_id}", SCOPED),
    "units.move_member": ("POST", "/units/members/{s.member_id}/move", SCOPED),
    "units.member_status": ("POST", "/units/members/{s.member_id}/status", SCOPED),
    "units.reset_member_password": ("POST", "/units/members/{s.member_id}/reset-password", SCOPED),
    "units.import_members": ("GET", "/units/members/import", STAFF),
    "units.import_units": ("GET", "/units/import", ADMIN),
    "units.import_template": ("GET", "/units/import/members-template.xlsx", STAFF),
    "headcounts.unit_headcounts": ("GET", "/units/GA/headcounts", SCOPED),
    "headcounts.delete": ("POST", "/units/GA/headcounts/{s.headcount_id}/delete", SCOPED),

    "learning.my_learning": ("GET", "/learn/", LOGGED_IN),
    # Lessons are for reading by anyone logged in whose tree the topic is set for (here the whole province).
    "learning.topic": ("GET", "/learn/{s.topic}/", LOGGED_IN),
    "learning.lesson": ("GET", "/learn/{s.topic}/{s.lesson}", LOGGED_IN),
    "learning.lesson_print": ("GET", "/learn/{s.topic}/{s.lesson}/print", LOGGED_IN),
    "learning.save_place": ("POST", "/learn/{s.topic}/{s.lesson}/place", {"member"}),  # others have no place
    "learning.mark_studied": ("POST", "/learn/{s.topic}/{s.lesson}/studied", LOGGED_IN),
    "learning.search": ("GET", "/search?q=bac", LOGGED_IN),
    "offline.service_worker": ("GET", "/sw.js", EVERYONE),
    "offline.web_manifest": ("GET", "/manifest.webmanifest", EVERYONE),
    "offline.fallback": ("GET", "/offline", EVERYONE),
    "offline.topic_manifest": ("GET", "/offline/topics/{s.topic}.json", LOGGED_IN),
    "offline.download": ("POST", "/offline/topics/{s.topic}", LOGGED_IN),
    "offline.marks": ("GET", "/offline/marks", LOGGED_IN),
    "offline.marks_state": ("GET", "/offline/marks.json", LOGGED_IN),
    "offline.send_marks": ("POST", "/offline/marks", {"member"}),  # marks are a member's own
    "study_sessions.index": ("GET", "/sessions/", STAFF),
    "study_sessions.unit_sessions": ("GET", "/sessions/GA", SCOPED),
    "study_sessions.new": ("GET", "/sessions/GA/new", SCOPED),
    "study_sessions.edit": ("GET", "/sessions/{s.session_id}/edit", SCOPED),
    "study_sessions.delete": ("POST", "/sessions/{s.session_id}/delete", SCOPED),
    "study_sessions.import_sessions": ("GET", "/sessions/import", STAFF),
    "study_sessions.import_template": ("GET", "/sessions/import-template.xlsx", STAFF),

    "editor.topics": ("GET", "/editor/", EDITORS),
    "editor.new_topic": ("GET", "/editor/new-topic", EDITORS),
    "editor.topic": ("GET", "/editor/topics/{s.topic}/", EDITORS),
    "editor.edit_topic": ("GET", "/editor/topics/{s.topic}/edit", EDITORS),
    "editor.publish_topic": ("POST", "/editor/topics/{s.topic}/unpublish", EDITORS),
    "editor.assign": ("POST", "/editor/topics/{s.topic}/assign", EDITORS),
    "editor.unassign": ("POST", "/editor/topics/{s.topic}/unassign/{s.province_id}", EDITORS),
    "editor.clone": ("GET", "/editor/topics/{s.topic}/clone", EDITORS),
    "editor.new_lesson": ("GET", "/editor/topics/{s.topic}/new-lesson", EDITORS),
    "editor.edit_lesson": ("GET", "/editor/topics/{s.topic}/lessons/{s.lesson}", EDITORS),
    "editor.move_lesson": ("POST", "/editor/topics/{s.topic}/lessons/{s.lesson}/move/down", EDITORS),
    "editor.publish_lesson": ("POST", "/editor/topics/{s.topic}/lessons/{s.lesson}/publish", EDITORS),
    "editor.questions": ("GET", "/editor/topics/{s.topic}/questions", EDITORS),
    "editor.new_question": ("GET", "/editor/topics/{s.topic}/new-question", EDITORS),
    "editor.edit_question": ("GET", "/editor/topics/{s.topic}/questions/{s.question}", EDITORS),
    "editor.publish_question": ("POST", "/editor/topics/{s.topic}/questions/{s.question}/publish", EDITORS),
    "editor.import_questions": ("GET", "/editor/topics/{s.topic}/import-questions", EDITORS),
    "editor.export_questions": ("GET", "/editor/topics/{s.topic}/questions.xlsx", EDITORS),
    "editor.question_template": ("GET", "/editor/question-template.xlsx", EDITORS),
    "quizzes.settings": ("GET", "/editor/topics/{s.topic}/quiz", EDITORS),
    "quiz_stats.report": ("GET", "/editor/quizzes/{s.quiz_id}/statistics", EDITORS),
    "quiz_stats.export": ("GET", "/editor/quizzes/{s.quiz_id}/statistics.xlsx", EDITORS),

    "quizzes.landing": ("GET", "/learn/{s.topic}/quiz", LOGGED_IN),  # non-members are told it is for members
    "quizzes.start": ("POST", "/learn/{s.topic}/quiz/start", LOGGED_IN),
    "quizzes.attempt": ("GET", "/attempts/{s.attempt_id}", {"member"}),
    "quizzes.state": ("GET", "/attempts/{s.attempt_id}/state", {"member"}),
    "quizzes.answer": ("POST", "/attempts/{s.attempt_id}/answer", {"member"}),
    "quizzes.submit": ("POST", "/attempts/{s.attempt_id}/submit", {"member"}),
    "quizzes.result": ("GET", "/attempts/{s.attempt_id}/result", {"member"}),

    "certificates.mine": ("GET", "/certificates/", LOGGED_IN),
    "certificates.download": ("GET", "/certificates/{s.certificate}.pdf", HOLDER),
    "certificates.manage": ("GET", "/certificates/manage", STAFF),
    "certificates.export_zip": ("GET", "/certificates/manage/export.zip?unit=GA", SCOPED),
    "certificates.issue_offline": ("POST", "/certificates/issue", STAFF),
    "certificates.revoke": ("POST", "/certificates/{s.certificate}/revoke", ADMIN),
    "certificates.issuers": ("GET", "/certificates/issuers", ADMIN),
    "certificates.signature": ("GET", "/certificates/issuers/{s.issuer_id}/signature", ADMIN),
    "certificates.verify_form": ("GET", "/verify", EVERYONE),
    "certificates.verify": ("GET", "/verify/{s.certificate}", EVERYONE),

    "contests.landing": ("GET", "/contests/{s.contest}", EVERYONE),
    "contests.register": ("GET", "/contests/{s.contest}/register", EVERYONE),
    "contests.join": ("POST", "/contests/{s.contest}/join", LOGGED_IN),
    "contests.start": ("POST", "/contests/{s.contest}/rounds/1/start", LOGGED_IN),
    "contests.submit": ("POST", "/contests/attempts/{s.contest_attempt_id}/submit", {"member"}),
    "contests.save_prediction": ("POST", "/contests/attempts/{s.contest_attempt_id}/prediction", {"member"}),
    "contests.mine": ("GET", "/contests/", LOGGED_IN),
    "contests.leaderboard": ("GET", "/contests/{s.contest}/leaderboard", EVERYONE),
    "contests.collective": ("GET", "/contests/{s.contest}/units", EVERYONE),
    "contest_admin.contests": ("GET", "/contests/organise", ORGANISERS),
    "contest_admin.new_contest": ("GET", "/contests/organise/new", ORGANISERS),
    "contest_admin.edit_contest": ("GET", "/contests/{s.contest}/organise/edit", ORGANISERS),
    "contest_admin.organise": ("GET", "/contests/{s.contest}/organise", ORGANISERS),
    "contest_admin.organise_action": ("POST", "/contests/{s.contest}/organise/freeze", ORGANISERS),
    "contest_admin.add_division": ("POST", "/contests/{s.contest}/organise/divisions", ORGANISERS),
    "contest_admin.remove_division": ("POST", "/contests/{s.contest}/organise/divisions/{s.division_id}/delete",
                                      ORGANISERS),
    "contest_admin.edit_round": ("GET", "/contests/{s.contest}/organise/rounds/1", ORGANISERS),
    "contest_admin.round_results": ("GET", "/contests/{s.contest}/rounds/1/results.xlsx", ORGANISERS),
    "contest_admin.prize_plan": ("GET", "/contests/{s.contest}/organise/prizes?round=1", ORGANISERS),
    "contest_admin.cancel_prizes": ("POST", "/contests/{s.contest}/organise/prizes/cancel", ORGANISERS),
    "contest_admin.prize_certificate": ("GET", "/contests/{s.contest}/prizes/{s.prize_id}.pdf",
                                        {"member", "organiser", "admin"}),

    "reports.index": ("GET", "/reports/", STAFF),
    "reports.report": ("GET", "/reports/GA?topic={s.topic}", SCOPED),
    "reports.print_view": ("GET", "/reports/GA/print?topic={s.topic}", SCOPED),
    "reports.export_xlsx": ("GET", "/reports/GA/export.xlsx?topic={s.topic}", SCOPED),
    "reports.export_csv": ("GET", "/reports/GA/export.csv?topic={s.topic}", SCOPED),
    "reports.members_csv": ("GET", "/reports/GA/members.csv?topic={s.topic}", SCOPED),
    "reports.members_xlsx": ("GET", "/reports/GA/members.xlsx?topic={s.topic}", SCOPED),
    "report_submissions.index": ("GET", "/reports/submissions", STAFF),
    "report_submissions.unit_submissions": ("GET", "/reports/GA/submissions", SCOPED),
    "report_submissions.compose": ("GET", "/reports/GA/submit?topic={s.topic}", SCOPED),
    "report_submissions.view": ("GET", "/reports/submitted/{s.submission_id}", SCOPED),

    # Làm theo: a member's own commitments; everything of a unit for its officers.
    "lamtheo.index": ("GET", "/lam-theo/", LOGGED_IN),
    "lamtheo.add_commitment": ("POST", "/lam-theo/commitments", {"member"}),
    "lamtheo.delete_commitment": ("POST", "/lam-theo/commitments/{s.commitment_id}/delete", {"member"}),
    "lamtheo.assess": ("POST", "/lam-theo/commitments/{s.commitment_id}/assess", {"member"}),
    "lamtheo.unit": ("GET", "/lam-theo/units/GA", SCOPED),
    "lamtheo.plan": ("GET", "/lam-theo/units/GA/plan", SCOPED),
    "lamtheo.plan_file": ("GET", "/lam-theo/units/GA/plan/file?year={s.plan_year}", SCOPED),
    "lamtheo.unit_commitments": ("GET", "/lam-theo/units/GA/commitments", SCOPED),
    "lamtheo.add_suggestion": ("POST", "/lam-theo/units/GA/suggestions", SCOPED),
    "lamtheo.open_review": ("POST", "/lam-theo/units/GA/reviews", SCOPED),
    "lamtheo.review_page": ("GET", "/lam-theo/reviews/{s.review_id}", SCOPED),
    "lamtheo.commend": ("POST", "/lam-theo/reviews/{s.review_id}/commend", SCOPED),
    "stories.index": ("GET", "/lam-theo/guong-sang/", STAFF),
    "stories.new": ("GET", "/lam-theo/guong-sang/moi", STAFF),
    "stories.detail": ("GET", "/lam-theo/guong-sang/{s.story_id}", SCOPED),
    "stories.endorse": ("POST", "/lam-theo/guong-sang/{s.story_id}/dong-y", SCOPED),
    "stories.return_story": ("POST", "/lam-theo/guong-sang/{s.story_id}/tra-lai", SCOPED),
    "stories.withdraw": ("POST", "/lam-theo/guong-sang/{s.public_story_id}/go-bai", SCOPED),
    "stories.resubmit": ("GET", "/lam-theo/guong-sang/{s.story_id}/sua", SCOPED),
    "stories.officer_photo": ("GET", "/lam-theo/guong-sang/anh/{s.story_photo_id}", SCOPED),
    # The public page shows approved stories only: the photo of one still waiting is not found by anyone.
    "stories.public_index": ("GET", "/guong-sang", EVERYONE),
    "stories.public_story": ("GET", "/guong-sang/{s.public_story_id}", EVERYONE),
    "stories.public_photo": ("GET", "/guong-sang/anh/{s.public_photo_id}.jpg", EVERYONE),
    "stories.feed": ("GET", "/guong-sang/feed.xml", EVERYONE),
}
# Deleting twice: the first person allowed deletes, the next finds nothing (404 is then right).
ONE_SHOT = {"headcounts.delete", "study_sessions.delete", "contest_admin.remove_division", "api_tokens.revoke",
            "lamtheo.delete_commitment"}


def _make_samples() -> SimpleNamespace:
    world = WORLD.restore()
    synced_content()
    topic = learning_topics.get_topic("chuyen-de-2022")
    learning_topics.assign_topic(topic, world.province)
    lesson = learning_topics.published_lessons(topic)[0]
    question = db.session.scalars(db.select(Question).where(Question.topic_id == topic.id)).first()
    quiz = Quiz(topic=topic, title="Bài kiểm tra", question_count=5, time_limit_seconds=600, pass_percent=60,
                max_attempts=None, min_duration_seconds=0)
    db.session.add(quiz)
    study_everything(world.member_a, topic)
    for studied in learning_topics.published_lessons(topic):
        studying.mark_studied(world.member_a, studied)
    attempt = quizzes.start_attempt(quiz, world.member_user, world.member_a)
    issuer = certificates.save_issuer(world.province, actor=world.admin, body_lines="Liên đoàn Lao động tỉnh Thử",
                                      place="Lai Châu", signer_title="TM. BAN THƯỜNG VỤ", signer_name="Đồng Thị Nghĩa",
                                      serial_suffix="GCN-LĐLĐ")
    certificate = certificates.issue_offline(world.member_a, topic, world.admin, "Học trực tiếp tại cơ sở")

    bank = learning_topics.get_topic("ket-luan-01-kl-tw")
    contest = Contest(slug="thi-thu", title="Cuộc thi thử", organiser_unit=world.province,
                      audience_unit=world.province, bank=bank, published=True)
    db.session.add(contest)
    division = Division(contest=contest, name="Bảng A", position=1)
    db.session.add(division)
    contest_round = contests.add_round(contest, 1, utcnow() - timedelta(hours=1), utcnow() + timedelta(days=2),
                                       question_count=3)
    participant = registration.join_as_member(contest, world.member_user, world.member_a)
    contest_attempt = contests.start(contest_round, participant)
    prize = Prize(contest=contest, round_number=1, division=division, participant=participant, rank="first",
                  place=1, certificate=certificates.issue_prize(
                      issuer, holder_name="Lò Thị Xuân", birth_year=1990, unit_name="GA", prize_text="Giải Nhất",
                      issued_on=date(2026, 5, 19), member=world.member_a))
    db.session.add(prize)

    session = StudySession(unit=world.grassroots_a, topic=topic, held_on=date(2026, 3, 2), form="in_person",
                           attendances=25)
    headcount = Headcount(unit=world.grassroots_a, period_start=date(2026, 1, 1), period_end=date(2026, 12, 31),
                          headcount=30)
    token = ApiToken(user=world.officer_a, name="Phần mềm tổng hợp", token_hash="0" * 64, prefix="aaaa")
    db.session.add_all([session, headcount, token])
    period = reports.Period.custom(date(2026, 1, 1), date(2026, 6, 30))
    submission = submissions.submit(world.grassroots_a, topic, period,
                                    submissions.Narrative("Đã tổ chức học tập cho toàn bộ đoàn viên."), world.officer_a)
    issuer.signature_image, issuer.signature_mimetype = PNG, "image/png"
    year = local_today().year
    commitment = lamtheo_commitments.add(world.member_a, year, "Đi làm đúng giờ")
    lamtheo_plans.save_plan(world.grassroots_a, year, False, lamtheo_plans.PlanData("Giờ giấc", "Chấm công"),
                            world.officer_a, upload=("ke-hoach.pdf", b"%PDF-1.4 ke hoach"))
    lamtheo_review_row = lamtheo_review.open_review(world.grassroots_a, year, "so_ket", world.officer_a)
    story = stories.nominate(world.officer_a, kind=KIND_MODEL, unit=world.grassroots_a, title="Mô hình chờ xét",
                             summary="Tóm tắt", body="Câu chuyện", photos=[PNG])
    public_story = stories.nominate(world.admin, kind=KIND_MODEL, unit=world.grassroots_a, title="Mô hình đã duyệt",
                                    summary="Tóm tắt", body="Câu chuyện", photos=[PNG])
    stories.endorse(public_story, world.admin, public_story.version)
    db.session.commit()
    role = db.session.scalars(db.select(Role).where(Role.user_id == world.officer_b.id)).first()
    return SimpleNamespace(
        topic=topic.slug, lesson=lesson.slug, question=question.slug, quiz_id=quiz.id, attempt_id=attempt.id,
        certificate=certificate.code, issuer_id=issuer.id, contest=contest.slug, division_id=division.id,
        contest_attempt_id=contest_attempt.id, prize_id=prize.id, session_id=session.id, headcount_id=headcount.id,
        submission_id=submission.id, token_id=token.id, member_id=world.member_a.id,
        member_user_id=world.member_user.id, officer_user_id=world.officer_b.id, role_id=role.id,
        province_id=world.province.id, commitment_id=commitment.id, plan_year=year, review_id=lamtheo_review_row.id,
        story_id=story.id, story_photo_id=story.photos[0].id,
        public_story_id=public_story.id, public_photo_id=public_story.photos[0].id)


# Built once per worker and restored for each test (the world and the synced content with it):
# building it took half a second, and ~300 tests of the suite start from it.
SAMPLES = FolderSnapshot(_make_samples, ("STORY_PHOTO_DIR", "LAMTHEO_PLAN_DIR", "CERTIFICATE_CACHE"),
                         parts=(WORLD, SYNCED))


@pytest.fixture
def samples(app):
    """One of everything, in district A, owned by the member where it can be owned: ids and slugs.
    On top of ``world`` and ``synced``, which a test may ask for too."""
    restored = SAMPLES.restore()
    boards.forget_cache()  # its boards were cached by an earlier test: rows put back by INSERT do not clear it
    return restored


def test_every_route_has_an_entry(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert sorted(endpoints - set(TABLE)) == [], "routes with no entry in the permission table"
    assert sorted(set(TABLE) - endpoints) == [], "entries for routes that no longer exist"


def _client_as(app, role: str):
    client = app.test_client()
    username = ROLES[role]
    if username is not None:
        from accounts.models import User
        user = db.session.scalars(db.select(User).filter_by(username=username)).one()
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
    return client


# The people allowed go last, the most powerful last of all: a POST that changes something
# (resetting a password, dissolving a unit) then cannot spoil the checks of the others.
ORDER = ["anonymous", "member", "editor", "organiser", "other_officer", "officer", "admin"]


@pytest.mark.parametrize("endpoint", sorted(TABLE))
def test_who_may_use_each_route(endpoint, app, samples):
    method, template, allowed = TABLE[endpoint]
    url = template.format(s=samples)
    done = False
    for role in sorted(ORDER, key=lambda r: (r in allowed, ORDER.index(r))):
        response = _client_as(app, role).open(url, method=method)
        response.get_data()  # run streamed bodies (exports) to their end, inside the check
        response.close()
        code = response.status_code
        where = f"{method} {url} as {role}: {code}"
        assert code < 500, where
        if role in allowed:
            if not (done and endpoint in ONE_SHOT):
                assert code not in (401, 403, 404, 405), where
            done = True
        elif endpoint.startswith("api."):
            assert code == 401, where
        elif role == "anonymous":
            assert code == 302 and "/accounts/login" in response.headers["Location"], where
        else:
            assert code in (403, 404), where
        db.session.rollback()
