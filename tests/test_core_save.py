"""core.views.save: one commit per request, a refusal rolled back (or kept) and shown once."""
import pytest
from flask import get_flashed_messages

from core import audit
from core.errors import Refusal
from core.extensions import db
from core.models import AuditEntry
from core.views import save


class Kept(Refusal):
    keeps_changes = True


def _entries() -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(db.select(AuditEntry.action).order_by(AuditEntry.id)))


def _change(action: str, refusal: Refusal | None = None):
    def change():
        entry = audit.record(None, action, "test", 1, "Thử")
        db.session.flush()
        if refusal is not None:
            raise refusal
        return entry
    return change


@pytest.fixture
def request_context(app):
    with app.test_request_context("/", method="POST"):
        yield


def test_a_saved_change_is_committed_and_its_message_made_after_the_commit(request_context):
    saved = save(_change("saved"), lambda entry: f"Đã lưu mục {entry.id}.")
    assert saved and saved.refusal is None and saved.message is None
    assert get_flashed_messages(with_categories=True) == [("success", f"Đã lưu mục {saved.value.id}.")]
    assert _entries() == ["saved"]


def test_a_refusal_is_rolled_back_and_flashed_or_handed_back(request_context):
    refused = save(_change("refused", Refusal("Không được.")), "Đã lưu.", refused="warning")
    assert not refused and refused.message == "Không được." and refused.value is None
    shown_by_the_form = save(_change("refused", Refusal("Sai ngày.")), "Đã lưu.", refused=None)
    assert shown_by_the_form.message == "Sai ngày."
    assert get_flashed_messages(with_categories=True) == [("warning", "Không được.")]  # once, the first only
    assert _entries() == []


def test_what_a_refusal_keeps_is_committed(request_context):
    assert not save(_change("audited", Kept("Ngoài phạm vi.")))
    assert not save(_change("closed", Refusal("Hết lượt.")), keep_changes=True)
    assert _entries() == ["audited", "closed"]


def test_anything_but_a_refusal_is_not_caught(request_context):
    with pytest.raises(ZeroDivisionError):
        save(lambda: 1 / 0, "Đã lưu.")
    assert get_flashed_messages() == []
