"""Report periods: the one chooser of the first six months, the last six months and the whole year.

Headcounts (units) and reports offer the same periods, named the same way; a period's ``key`` is
what a form or a URL carries for it (``2022-01-01_2022-06-30``).
"""
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from core.clock import LOCAL_TZ, format_date


@dataclass(frozen=True)
class Period:
    """Local calendar days ``start`` to ``end``, both included."""
    start: date
    end: date
    label: str

    @classmethod
    def custom(cls, start: date, end: date) -> "Period":
        return cls(start, end, f"Từ {format_date(start)} đến {format_date(end)}")

    @property
    def key(self) -> str:
        return f"{self.start.isoformat()}_{self.end.isoformat()}"

    @property
    def dates(self) -> str:
        return f"{format_date(self.start)} – {format_date(self.end)}"

    @property
    def utc_bounds(self) -> tuple[datetime, datetime]:
        """[from, to) in naive UTC, as times are stored."""
        def utc(day: date) -> datetime:
            return datetime.combine(day, time(), LOCAL_TZ).astimezone(UTC).replace(tzinfo=None)
        # A typed 0001-01-01 or 9999-12-31 has a local midnight outside what datetime holds; nothing
        # is stored that far out, so bounds within these years select the same rows.
        start, end = (min(max(day, date(1900, 1, 1)), date(2999, 12, 31)) for day in (self.start, self.end))
        return utc(start), utc(end + timedelta(days=1))


def year_periods(*years: int) -> list[Period]:
    """The report periods of each year, in the order given: first six months, last six months, whole year."""
    return [period for year in years for period in (
        Period(date(year, 1, 1), date(year, 6, 30), f"6 tháng đầu năm {year}"),
        Period(date(year, 7, 1), date(year, 12, 31), f"6 tháng cuối năm {year}"),
        Period(date(year, 1, 1), date(year, 12, 31), f"Cả năm {year}"))]


def period_label(start: date, end: date) -> str:
    """The name of the period from ``start`` to ``end``: its preset's name, else its dates."""
    preset = next((p for p in year_periods(end.year) if (p.start, p.end) == (start, end)), None)
    return preset.label if preset else Period(start, end, "").dates
