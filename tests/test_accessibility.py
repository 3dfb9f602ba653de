"""Accessibility in Chromium. axe-core finds no serious or critical WCAG 2.1 A/AA violation on the
main pages of every role, and those pages stay usable at 200% zoom; the quiz can be taken with the
keyboard alone.

axe-core comes from the npm registry, pinned by package-lock.json; `make test` installs it."""
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from accounts.models import User
from certificates.models import Certificate
from contests import demo as contests_demo
from core.clock import utcnow
from core.extensions import db
from lamtheo.models import Review
from lamtheo.story_models import Story
from learning import topics as learning_topics
from learning.models import Question
from quizzes import services as quizzes
from quizzes.models import Quiz
from reports import submission_demo
from reports.models import ReportSubmission
from tests.factories import log_in_browser, study_everything
from units import demo as units_demo
from units import members as unit_members

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
DESKTOP = {"width": 1280, "height": 800}
ZOOMED = {"width": 640, "height": 400}
CONTENT = ROOT / "content"


@pytest.fixture(scope="module")
def axe_script():
    if not AXE.exists():
        pytest.fail(f"{AXE.relative_to(ROOT)} is missing: `make test` installs it (npm ci, from package-lock.json)")
    return str(AXE)


def add_a_member_who_studied() -> dict:
    """On the demo instance (the ``demo`` fixture): its member `doanvien` has passed the 2022 topic
    (a result, a certificate) and has an attempt open on the full-term topic, Lai Châu's too."""
    user = db.session.scalars(db.select(User).where(User.username == "doanvien")).one()
    member = unit_members.member_for_user(user)

    passed_topic = learning_topics.get_topic("chuyen-de-2022")
    study_everything(member, passed_topic)
    started = utcnow() - timedelta(minutes=5)
    passed = quizzes.start_attempt(quizzes.final_quiz(passed_topic), user, member, now=started)
    for entry in passed.paper:
        quizzes.save_answer(passed, entry["id"], entry["correct"], now=started + timedelta(minutes=2))
    quizzes.submit(passed)

    open_topic = learning_topics.get_topic("chuyen-de-toan-khoa-xiii")
    study_everything(member, open_topic)
    in_progress = quizzes.start_attempt(quizzes.final_quiz(open_topic), user, member)
    first = in_progress.paper[0]
    quizzes.save_answer(in_progress, first["id"], first["correct"][:1])
    db.session.commit()
    certificate = db.session.scalars(db.select(Certificate).where(Certificate.member_id == member.id)).one()
    lesson = learning_topics.published_lessons(passed_topic)[0]
    submission = db.session.scalars(db.select(ReportSubmission.id)).first()
    review = db.session.scalars(db.select(Review.id)).first()
    approved = db.session.scalars(db.select(Story.id).where(Story.status == "approved")).first()
    waiting = db.session.scalars(db.select(Story.id).where(Story.status == "pending")).first()
    return {"passed": passed.id, "submission": submission, "review": review, "open": in_progress.id,
            "certificate": certificate.code, "lesson": f"/learn/{passed_topic.slug}/{lesson.slug}",
            "story": approved, "waiting_story": waiting}


def pages_by_role(seeded: dict) -> dict[str | None, list[str]]:
    contest = f"/contests/{contests_demo.SLUG}"
    coso, district, province = units_demo.GRASSROOTS_OF_COSO, submission_demo.DISTRICT, units_demo.PROVINCE
    return {
        None: ["/", "/accounts/login", f"/verify/{seeded['certificate']}", contest, f"{contest}/register",
               f"{contest}/leaderboard", "/guong-sang", f"/guong-sang/{seeded['story']}"],
        "doanvien": ["/", "/learn/", seeded["lesson"], "/learn/chuyen-de-2022/quiz", f"/attempts/{seeded['open']}",
                     f"/attempts/{seeded['passed']}/result", "/certificates/", "/lam-theo/"],
        "coso": [f"/units/{coso}", f"/units/{coso}/members", "/units/members/import", "/certificates/manage",
                 f"/sessions/{coso}", f"/reports/{coso}", f"/lam-theo/units/{coso}",
                 f"/lam-theo/units/{coso}/commitments?year=2022", f"/lam-theo/units/{coso}/plan",
                 "/lam-theo/guong-sang/moi"],
        "tinh": ["/", "/units/", f"/reports/{province}", "/reports/submissions", f"/lam-theo/units/{province}",
                 f"/lam-theo/reviews/{seeded['review']}", "/lam-theo/guong-sang/",
                 f"/lam-theo/guong-sang/{seeded['waiting_story']}"],
        "tamduong": [f"/reports/{district}/submit", f"/reports/submitted/{seeded['submission']}"],
        "bientap": ["/editor/", "/editor/topics/chuyen-de-2022/", "/editor/topics/chuyen-de-2022/questions"],
        "bantochuc": ["/contests/organise", f"{contest}/organise", f"{contest}/organise/rounds/2"],
        "admin": ["/admin/audit/", "/accounts/users"],
    }


def _axe_page(browser, live_url, username=None):
    # axe goes in as an inline script, which the app's CSP (script-src 'self') refuses:
    # the contexts of this test alone bypass the CSP.
    context = browser.new_context(bypass_csp=True, viewport=DESKTOP, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    page = context.new_page()
    page.set_default_timeout(15000)
    if username:
        log_in_browser(page, live_url, username, units_demo.DEMO_PASSWORD)
    return page


def run_axe(page, axe_script, run_only: dict) -> dict:
    """axe's violations on the page, and the rules it checked and found passing."""
    if not page.evaluate("'axe' in window"):
        page.add_script_tag(path=axe_script)
    return page.evaluate("""async (runOnly) => {
        const results = await axe.run(document, {runOnly});
        return {passes: results.passes.map(rule => rule.id),
                violations: results.violations.map(v => ({
                    id: v.id, impact: v.impact, help: v.help,
                    targets: v.nodes.slice(0, 4).map(node => node.target.join(' '))}))};
    }""", run_only)


# At 200% zoom a 1280×800 screen lays the page out in 640×400 CSS pixels. What must hold there:
# no sideways scrolling of the page, the main heading shown, and every primary button that was
# shown at 100% still shown and inside the screen; a wide table scrolls in its own box instead,
# which the keyboard must reach (axe's rule for it runs again at that size).
WCAG_21_AA = {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}
AT_ZOOM = {"type": "rule", "values": ["scrollable-region-focusable"]}
PRIMARY = "main .btn-primary, main .btn-success, main [type=submit]"
ZOOMED_PROBLEMS = """(shownAt100) => {
    const width = window.innerWidth, problems = [];
    if (document.documentElement.scrollWidth > width + 1) {
        problems.push(`the page scrolls sideways: ${document.documentElement.scrollWidth} px wide`);
    }
    const heading = document.querySelector('main h1');
    if (!heading || !heading.checkVisibility()) { problems.push('no main heading in sight'); }
    const buttons = [...document.querySelectorAll('%s')];
    shownAt100.forEach(index => {
        const button = buttons[index], box = button.getBoundingClientRect();
        const label = `button "${button.textContent.trim() || button.value}"`;
        if (!button.checkVisibility()) { problems.push(`${label} hidden`); }
        else if (!button.closest('.table-responsive') && (box.left < 0 || box.right > width + 1)) {
            problems.push(`${label} outside the screen (${Math.round(box.left)}–${Math.round(box.right)} px)`);
        }
    });
    return problems;
}""".replace("%s", PRIMARY)
SHOWN_AT_100 = """() => [...document.querySelectorAll('%s')].flatMap((button, index) =>
    button.checkVisibility() ? [index] : [])""".replace("%s", PRIMARY)


def _readable(found: dict) -> str:
    """One paragraph per rule: what it asks, then each element with the pages it is on."""
    lines = []
    for (rule, impact, help_), places in found.items():
        lines.append(f"[{impact}] {rule}: {help_}")
        for target, pages in places.items():
            more = f" and {len(pages) - 3} more" if len(pages) > 3 else ""
            lines.append(f"    {target}  on {', '.join(pages[:3])}{more}")
    return "\n".join(lines)


@pytest.mark.layout
def test_the_main_pages_of_every_role_pass_axe_and_stay_usable_at_200_percent_zoom(demo, live_url, browser,
                                                                                  axe_script):
    seeded = add_a_member_who_studied()
    violations, zoomed, checked = {}, [], set()
    for username, paths in pages_by_role(seeded).items():
        page = _axe_page(browser, live_url, username)
        for path in paths:
            where = f"{path} ({username or 'anyone'})"
            response = page.goto(live_url + path)
            assert response.ok, f"{where}: HTTP {response.status}"
            results = run_axe(page, axe_script, WCAG_21_AA)
            shown = page.evaluate(SHOWN_AT_100)
            page.set_viewport_size(ZOOMED)
            page.evaluate("() => new Promise(requestAnimationFrame)")  # resize handlers run before a frame
            zoomed += [f"{where}: {problem}" for problem in page.evaluate(ZOOMED_PROBLEMS, shown)]
            at_zoom = run_axe(page, axe_script, AT_ZOOM)
            page.set_viewport_size(DESKTOP)
            checked.update(results["passes"])
            for v in results["violations"] + at_zoom["violations"]:
                if v["impact"] in BLOCKING:
                    places = violations.setdefault((v["id"], v["impact"], v["help"]), {})
                    for target in v["targets"]:
                        places.setdefault(target, []).append(where)
        page.context.close()
    assert not violations, "axe-core finds serious or critical violations:\n" + _readable(violations)
    assert not zoomed, "At 200% zoom (640×400 CSS px):\n" + "\n".join(zoomed)
    # every field has a label: axe's rules for it ran, and passed
    assert {"label", "select-name", "button-name", "link-name"} <= checked


def _tab_to(page, selector: str, presses: int = 80) -> None:
    """Press Tab until the focus is on an element matching ``selector``; the focus must show."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("selector => document.activeElement.matches(selector)", selector):
            assert page.evaluate("""() => { const style = getComputedStyle(document.activeElement);
                return style.outlineStyle !== 'none' || style.boxShadow !== 'none'; }"""), \
                f"the focus on {selector} does not show"
            return
    raise AssertionError(f"{presses} presses of Tab never reach {selector}")


def test_a_member_takes_the_quiz_with_the_keyboard_alone(synced, app, world, live_url, page):
    topic = learning_topics.get_topic("chuyen-de-2022")
    learning_topics.assign_topic(topic, world.province)  # its federation, LDLD-LC, is not in this small world
    multiple = db.session.scalars(db.select(Question.slug).where(Question.topic_id == topic.id,
                                                                 Question.type == "multiple")).first()
    db.session.execute(update(Question).where(Question.topic_id == topic.id,
                                              Question.slug.not_in(["q001", "q002", multiple]))
                       .values(published=False))  # two one-answer questions and one with several
    study_everything(world.member_a, topic)
    quiz = Quiz(topic=topic, title="Kiểm tra", question_count=3, time_limit_seconds=600, pass_percent=100,
                max_attempts=None, min_duration_seconds=0, one_per_page=False)
    db.session.add(quiz)
    db.session.commit()

    log_in_browser(page, live_url, "member")
    page.goto(live_url + f"/learn/{topic.slug}/quiz")
    _tab_to(page, "form button[type=submit].btn-success")  # "Bắt đầu làm bài"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/attempts/\d+$"))

    questions = page.evaluate("""() => [...document.querySelectorAll('fieldset[data-question]')].map(f => ({
        id: f.dataset.question, choices: [...f.querySelectorAll('input')].filter(i => i.type !== 'hidden')
                                          .map(i => ({id: i.id, type: i.type}))}))""")
    attempt = next(a for a in quizzes.attempts_of(quiz, world.member_user) if a.is_open)
    paper = {quizzes.question_key(attempt, entry["id"]): {quizzes.choice_key(attempt, c) for c in entry["correct"]}
             for entry in attempt.paper}
    assert sorted(c["type"] for q in questions for c in q["choices"][:1]) == ["checkbox", "radio", "radio"]
    for question in questions:
        correct, choices = paper[question["id"]], question["choices"]
        _tab_to(page, f"#{choices[0]['id']}")
        if choices[0]["type"] == "radio":  # the arrow keys move the choice along the group
            index = next(i for i, c in enumerate(choices) if c["id"] in correct)
            for _ in range(index):
                page.keyboard.press("ArrowDown")
            page.keyboard.press("Space")  # picks the one in focus (the arrows picked any other)
        else:  # each box is a stop of Tab, ticked with Space
            for i, choice in enumerate(choices):
                if i:
                    page.keyboard.press("Tab")
                assert page.evaluate("() => document.activeElement.id") == choice["id"]
                if choice["id"] in correct:
                    page.keyboard.press("Space")
        picked = page.evaluate("id => [...document.querySelectorAll(`[data-question='${id}'] input:checked`)]"
                               ".map(i => i.id)", question["id"])
        assert set(picked) == correct
    page.get_by_text("Đã lưu tất cả câu trả lời").wait_for()

    _tab_to(page, "[data-submit] button[type=submit]")  # "Nộp bài"
    page.once("dialog", lambda dialog: dialog.accept())  # "Nộp bài?": Enter on the browser's prompt
    page.keyboard.press("Enter")
    page.get_by_test_id("score").wait_for()
    assert page.get_by_test_id("score").inner_text() == "3/3 câu đúng"
