"""One person, one identifier: every spelling of a phone, card or code is the same one, for
registration, lookups, imports and the login limit alike."""
from datetime import timedelta

import pytest

from app import create_app
from contests.models import Contest, Participant
from core.clock import utcnow
from core.extensions import db
from core.text import citizen_id_digits, identifier, normalise_phone
from learning import study_sessions
from learning.models import Topic
from tests.factories import PASSWORD
from tests.test_units_import import write_xlsx
from units import importing
from units import tree as unit_tree
from units.models import Member

PHONE = "0981234567"
SPELLINGS = ["0981234567", "098１234567", "０９８１２３４５６７", "٠٩٨١٢٣٤٥٦٧", "۰۹۸۱۲۳۴۵۶۷", "+84981234567",
             "+84 981 234 567", "84981234567", "0981 234 567", "0981.234.567", "0981-234-567", "0981–234–567",
             "(098) 1234 567", "0981\u200b234567", "981234567"]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_spelling_of_a_phone_has_one_canonical_form(spelling):
    assert normalise_phone(spelling) == PHONE


@pytest.mark.parametrize("text", ["0981 234 5678", "0212345678", "09812345", "+1 981 234 567", "098l234567",
                                  "0981²34567x", "", None])
def test_what_is_not_a_mobile_number_is_refused(text):
    assert normalise_phone(text) is None


def test_cards_codes_and_citizen_ids_are_ascii_upper_case_without_spaces():
    assert identifier(" lc 0001 ") == identifier("ＬＣ０００１") == identifier("lc٠٠٠١") == "LC0001"
    assert citizen_id_digits("0١2-345 ６78901") == "012345678901"


GUEST = {"full_name": "Trần Thị Hoa", "birth_year": "1995", "unit_code": "", "workplace": "Công ty May Lai Châu",
         "citizen_id": "", "password": "hoa-du-thi-2022", "confirm": "hoa-du-thi-2022"}


@pytest.fixture
def contest(world):
    bank = Topic(slug="ngan-hang", title="Ngân hàng", kind="contest", year=2022, published=False)
    db.session.add(Contest(slug="thi", title="Cuộc thi", organiser_unit=world.province,
                           audience_unit=world.province, bank=bank, published=True,
                           created_at=utcnow() - timedelta(days=1)))
    db.session.commit()


def test_one_registration_per_phone_whatever_its_spelling(contest, app):
    first = app.test_client().post("/contests/thi/register", data={**GUEST, "phone": "0981 234 567"})
    assert first.status_code == 302
    for spelling in ["098１234567", "٠٩٨١٢٣٤٥٦٧", "+84981234567", "0981.234.567"]:
        again = app.test_client().post("/contests/thi/register", data={**GUEST, "phone": spelling})
        assert again.status_code == 200, spelling
    assert list(db.session.scalars(db.select(Participant.phone))) == [PHONE]


def test_the_same_citizen_id_in_another_script_is_the_same_person(contest, app):
    for phone, citizen_id in (("0981234567", "012345678901"), ("0981234568", "٠١٢٣٤٥٦٧٨٩٠١")):
        app.test_client().post("/contests/thi/register", data={**GUEST, "phone": phone, "citizen_id": citizen_id})
    hashes = set(db.session.scalars(db.select(Participant.citizen_id_hash)))
    assert len(hashes) == 1 and set(db.session.scalars(db.select(Participant.citizen_id_last4))) == {"8901"}


@pytest.mark.parametrize("spelling", ["0978 123 456", "0978.123.456", "+84978123456", "０９７８１２３４５６"])
def test_a_contestant_logs_in_with_any_spelling_registration_accepts(contest, app, spelling):
    app.test_client().post("/contests/thi/register", data={**GUEST, "phone": "0978 123 456"})
    response = app.test_client().post("/accounts/login", data={"identifier": spelling,
                                                                "password": GUEST["password"]})
    assert response.status_code == 302


@pytest.mark.parametrize("spelling", ["0912.000.001", "+84 912 000 001", "０９１２０００００１", "lc 0001", "ＬＣ0001"])
def test_a_member_logs_in_with_any_spelling_of_their_phone_or_card(world, client, spelling):
    response = client.post("/accounts/login", data={"identifier": spelling, "password": PASSWORD})
    assert response.status_code == 302


def test_a_failed_login_speaks_to_members_and_contestants_alike(world, client):
    page = client.post("/accounts/login", data={"identifier": "0978123456", "password": "sai-mat-khau"}
                       ).get_data(as_text=True)
    assert "cán bộ công đoàn cơ sở" not in page
    assert "Người dự thi" in page and "ban tổ chức" in page


def test_the_login_limit_counts_per_account_whatever_the_spelling(world, app):
    limited = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True,
                          "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    client = limited.test_client()
    # Five addresses, five spellings of one member's phone or card: one account's budget.
    for n, spelling in enumerate(["0912.000.001", "+84912000001", "LC 0001", "member", "０９１２０００００１"]):
        client.post("/accounts/login", data={"identifier": spelling, "password": "sai"},
                    environ_base={"REMOTE_ADDR": f"10.0.0.{n}"})
    blocked = client.post("/accounts/login", data={"identifier": "84 912 000 001", "password": PASSWORD},
                          environ_base={"REMOTE_ADDR": "10.0.0.99"})
    assert blocked.status_code == 429
    unknown = [client.post("/accounts/login", data={"identifier": spelling, "password": "sai"},
                           environ_base={"REMOTE_ADDR": f"10.0.1.{n}"}).status_code
               for n, spelling in enumerate(["0977.000.001", "+84977000001", "0977 000 001", "84977000001",
                                             "0977-000-001", "٠٩٧٧٠٠٠٠٠١"])]
    assert unknown == [200] * 5 + [429]  # a number with no account yet has one budget too
    with limited.app_context():
        db.engine.dispose()


def test_a_member_import_matches_an_existing_phone_written_in_other_digits(world, tmp_path):
    path = write_xlsx(tmp_path / "ds.xlsx", [["Lò Thị Xuân", "ＧＡ", None, "091２000001", None, "Nữ"],
                                             ["Người Mới", "GA", "lc٠٠٠٩", "٠٩١٢٠٠٠٠٠٩", None, None]])
    result = importing.import_members(path, "ds.xlsx", world.admin, keep_outcomes=True)
    db.session.commit()
    assert result.ok and (result.added, result.updated + result.unchanged) == (1, 1)
    assert db.session.scalar(db.select(db.func.count(Member.id)).where(Member.full_name == "Lò Thị Xuân")) == 1
    new = db.session.scalars(db.select(Member).filter_by(full_name="Người Mới")).one()
    assert (new.phone, new.card_number) == ("0912000009", "LC0009")


def test_the_member_form_stores_the_canonical_phone_and_refuses_a_duplicate(world, login):
    officer = login("officer_a")
    page = officer.post("/units/GA/members/new", data={"full_name": "Lò Văn Hai", "phone": "٠٩١٢٠٠٠٠٠١"},
                        follow_redirects=True).get_data(as_text=True)
    assert "Số điện thoại" in page and db.session.scalar(db.select(db.func.count(Member.id))) == 2
    officer.post("/units/GA/members/new", data={"full_name": "Lò Văn Hai", "phone": "+84 912 000 077",
                                                "card_number": "ｌｃ 77"})
    hai = db.session.scalars(db.select(Member).filter_by(full_name="Lò Văn Hai")).one()
    assert (hai.phone, hai.card_number) == ("0912000077", "LC77")


def test_session_attendees_and_unit_codes_are_found_in_any_spelling(world):
    members, errors = study_sessions.resolve_members("٠٩١٢٠٠٠٠٠١，ｌｃ0001；0912 000 001", world.grassroots_a)
    assert errors == [] and [m.id for m in members] == [world.member_a.id]
    assert unit_tree.get_unit(" ｇａ ") == world.grassroots_a
