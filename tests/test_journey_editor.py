"""In Chromium, on a 1366-px office laptop: the editor of the propaganda department adds questions to the
bank (published in one step, or kept as a draft that says so) and writes a lesson in Vietnamese."""
import unicodedata

from playwright.sync_api import expect

from core.extensions import db
from learning import editing
from learning.models import Question
from tests.factories import log_in_browser, make_user
from tests.test_learning_editor import make_topic

VIETNAMESE = "Nghị quyết, Đảng, ưởng, ẫn, Ỷ"  # stacked marks: a tone over a circumflex or a horn


def _fill_question(page, text: str, choices: list[str]) -> None:
    page.get_by_label("Câu hỏi", exact=True).fill(text)
    for letter, choice in zip("ABCD", choices, strict=False):
        page.get_by_label(f"Đáp án {letter}", exact=True).fill(choice)
    page.get_by_label("Đúng (đáp án A)").check()


def test_the_editor_adds_a_question_and_publishes_it_in_one_step(app, live_url, page, tmp_path):
    page.set_viewport_size({"width": 1366, "height": 768})
    topic = make_topic()
    for n in range(3, 61):  # a bank longer than one page: the new question lands on page 2
        editing.create_question(topic, editing.QuestionData(type="true_false", text=f"Câu số {n}",
                                                            choices=[("Đúng", True), ("Sai", False)]), published=True)
    db.session.commit()
    make_user("bientap", "editor")
    log_in_browser(page, live_url, "bientap")
    page.goto(live_url + f"/editor/topics/{topic.slug}/questions")
    page.get_by_role("link", name="Thêm câu hỏi").click()

    _fill_question(page, "Đại hội XIII của Đảng họp năm nào?", ["2021", "2016", "2011"])
    page.get_by_role("button", name="Lưu và xuất bản").click()
    page.get_by_text("Đã thêm và xuất bản câu hỏi q61.").wait_for()
    added = page.locator("#q-q61")
    assert "page=2" in page.url
    expect(added).to_be_in_viewport()
    assert added.evaluate("e => e.matches(':target')")  # scrolled to and marked
    assert "Bản nháp" not in added.inner_text()
    page.screenshot(path=str(tmp_path / "bank-published-1366.png"))

    page.get_by_role("link", name="Thêm câu hỏi").click()
    _fill_question(page, "Chủ đề năm 2022 là gì?", ["Đoàn kết", "Kỷ cương"])
    page.get_by_role("button", name="Lưu bản nháp").click()
    page.get_by_text("Đã thêm câu hỏi q62 (bản nháp").wait_for()
    draft = page.locator("#q-q62")
    expect(draft).to_be_in_viewport()
    assert draft.get_by_text("Bản nháp", exact=True).is_visible()
    db.session.expire_all()
    states = dict(db.session.execute(db.select(Question.slug, Question.published)
                                     .where(Question.slug.in_(["q61", "q62"]))).all())
    assert states == {"q61": True, "q62": False}
    page.screenshot(path=str(tmp_path / "bank-draft-1366.png"))


def _platform_fonts(page, selector: str) -> list[dict]:
    """The fonts Chromium really drew a textarea's text with, and how many glyphs each."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1, "pierce": True})["root"]
    target = cdp.send("DOM.querySelector", {"nodeId": root["nodeId"], "selector": selector})["nodeId"]

    def find(node):
        if node["nodeId"] == target:
            return node
        for child in node.get("children", []) + node.get("shadowRoots", []):
            if found := find(child):
                return found

    def text_nodes(node):
        if node["nodeType"] == 3 and node.get("nodeValue", "").strip():
            yield node
        for child in node.get("children", []) + node.get("shadowRoots", []):
            yield from text_nodes(child)

    fonts = []
    for node in text_nodes(find(root)):
        fonts += cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})["fonts"]
    return fonts


def test_the_lesson_source_draws_vietnamese_tone_marks_in_place(app, live_url, browser, tmp_path):
    topic = make_topic()
    make_user("bientap", "editor")
    context = browser.new_context(viewport={"width": 1366, "height": 768}, device_scale_factor=2, locale="vi-VN")
    page = context.new_page()
    try:
        log_in_browser(page, live_url, "bientap")
        page.goto(live_url + f"/editor/topics/{topic.slug}/lessons/bai-1")
        source = page.get_by_label("Nội dung (Markdown)")
        source.fill(VIETNAMESE)
        # Each letter one glyph of one font: a font that lacks "ẫ" draws "a", "^" and "~" apart.
        fonts = _platform_fonts(page, "#body_md")
        assert len(fonts) == 1, fonts
        assert fonts[0]["glyphCount"] == len(unicodedata.normalize("NFC", VIETNAMESE)), fonts
        body_font = page.evaluate("getComputedStyle(document.body).fontFamily")
        assert source.evaluate("e => getComputedStyle(e).fontFamily") == body_font
        source.screenshot(path=str(tmp_path / "markdown-200.png"))  # 200 %: device scale factor 2
    finally:
        context.close()
