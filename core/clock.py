"""The server is the only clock. Times are stored as naive UTC and shown in Vietnam time."""
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def to_local(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC).astimezone(LOCAL_TZ)


def local_today(now: datetime | None = None) -> date:
    return to_local(now or utcnow()).date()


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value)
    return value.strftime("%d/%m/%Y")


def format_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return to_local(value).strftime("%H:%M %d/%m/%Y")


EARLIEST_YEAR, LATEST_YEAR = 1900, 2200  # outside, a date typed here is a slip or a crafted value


def parse_vn_date(text: str) -> date:
    """Parse dd/mm/yyyy (also d/m/yyyy, with - or .); raises ValueError, also for a year outside
    EARLIEST_YEAR..LATEST_YEAR (01/01/0001 would overflow as soon as it met a time zone)."""
    cleaned = text.strip().replace("-", "/").replace(".", "/")
    parsed = datetime.strptime(cleaned, "%d/%m/%Y").date()
    if not EARLIEST_YEAR <= parsed.year <= LATEST_YEAR:
        raise ValueError(f"year {parsed.year} out of range")
    return parsed
