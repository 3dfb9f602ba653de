"""Two registrations with one phone at the same moment (a double tap on a slow phone): the
second gets the "phone taken" message, not an error page."""
from datetime import timedelta

from accounts import services as accounts
from contests import registration
from contests.models import Contest, Participant
from core.clock import utcnow
from core.extensions import db
from learning.models import Topic
from tests.factories import make_unit

GUEST = {"full_name": "Trần Thị Hoa", "birth_year": "1995", "phone": "0987 654 321", "unit_code": "",
         "workplace": "Công ty May Lai Châu", "citizen_id": "", "password": "hoa-du-thi-2022",
         "confirm": "hoa-du-thi-2022"}


def test_a_phone_registered_a_moment_ago_is_refused_politely(app, client, monkeypatch):
    province = make_unit("LDLD-LC", kind="province", name="Liên đoàn Lao động tỉnh Lai Châu")
    bank = Topic(slug="ngan-hang", title="Ngân hàng", kind="contest", year=2022, published=False)
    db.session.add(Contest(slug="thi", title="Cuộc thi", organiser_unit=province, audience_unit=province,
                           bank=bank, published=True, created_at=utcnow() - timedelta(days=1)))
    db.session.commit()
    # Another request made the account for this phone after this one's checks had passed.
    accounts.create_user("0987654321", "Trần Thị Hoa", "hoa-du-thi-2022")
    db.session.commit()
    monkeypatch.setattr(accounts, "find_user", lambda identifier: None)
    page = client.post("/contests/thi/register", data=GUEST)
    assert page.status_code == 200
    assert registration.PHONE_TAKEN in page.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Participant.id))) == 0
