"""The report's two charts as inline SVG, drawn on the server: no script, nothing from another host.

Horizontal positions are percentages of the chart's width and text sizes are pixels,
so the charts fill a phone or an A4 page without shrinking their labels. Only SVG
presentation attributes are used (the CSP forbids inline styles); black, greys and
the union blue stay readable when printed in black and white.
"""
from calendar import monthrange
from datetime import date, timedelta

from markupsafe import Markup, escape

from core.templating import percent_vn
from core.text import number_vn

BAR_COLOUR, TRACK_COLOUR, INK, GREY = "#0b4f8a", "#e9ecef", "#212529", "#495057"
LABEL_CHARS = 40  # what a 360-px phone shows at 13 px
WEEKLY_UP_TO_DAYS = 92  # longer periods are drawn month by month
MONTHLY_UP_TO_DAYS = 3 * 366  # longer still, year by year
MOST_POINTS = 60  # a period of centuries, which anyone may type, keeps one year in every few


def _short(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[:LABEL_CHARS - 1].rstrip() + "…"


def _svg(height: int, title: str, body: list[str], css_class: str) -> Markup:
    return Markup(f'<svg class="chart {css_class}" width="100%" height="{height}" role="img" '
                  f'xmlns="http://www.w3.org/2000/svg" font-family="system-ui, Arial, sans-serif">'
                  f'<title>{escape(title)}</title>{"".join(body)}</svg>')


def completion_bars(rows: list[tuple[str, float | None, bool]]) -> Markup:
    """One bar per unit: (name, completion %, behind the due date); the track is 100 %."""
    row_height = 42
    body = []
    for index, (name, rate, behind) in enumerate(rows):
        top = index * row_height
        value = percent_vn(rate) + (" · chậm tiến độ" if behind else "")
        body.append(f'<g><title>{escape(name)}: {escape(value)}</title>'
                    f'<text x="0" y="{top + 14}" font-size="13" fill="{INK}">{escape(_short(name))}</text>'
                    f'<rect x="0" y="{top + 20}" width="100%" height="16" fill="{TRACK_COLOUR}"/>')
        if rate is not None:
            width = min(rate, 100.0)
            body.append(f'<rect x="0" y="{top + 20}" width="{width:.2f}%" height="16" fill="{BAR_COLOUR}"/>')
            inside = width > 60  # the value goes inside the bar's end, in white, when it would overflow
            body.append(f'<text x="{width:.2f}%" dx="{-4 if inside else 4}" y="{top + 33}" font-size="12" '
                        f'font-weight="{"bold" if behind else "normal"}" text-anchor="{"end" if inside else "start"}" '
                        f'fill="{"#fff" if inside else INK}">{escape(value)}</text>')
        else:
            body.append(f'<text x="4" y="{top + 33}" font-size="12" fill="{GREY}">chưa có số đoàn viên</text>')
        body.append("</g>")
    return _svg(max(row_height * len(rows), 1), "Tỷ lệ hoàn thành của các đơn vị trực thuộc", body, "chart-bars")


def _bucket_ends(start: date, end: date) -> list[date]:
    """The last day of each week (from the period start), month or year of the period, ending at its end."""
    ends = []
    if (end - start).days < WEEKLY_UP_TO_DAYS:
        day = start + timedelta(days=6)
        while day < end:
            ends.append(day)
            day += timedelta(days=7)
    elif (end - start).days < MONTHLY_UP_TO_DAYS:
        day = start.replace(day=monthrange(start.year, start.month)[1])
        while day < end:
            ends.append(day)
            following = day + timedelta(days=1)
            day = following.replace(day=monthrange(following.year, following.month)[1])
    else:
        step = -(-(end.year - start.year) // MOST_POINTS)
        ends = [date(year, 12, 31) for year in range(start.year, end.year, step)]
    return ends + [end]


def _axis_label(start: date, end: date, day: date) -> str:
    days = (end - start).days
    return f"{day:%d/%m}" if days < 366 else f"{day:%m/%Y}" if days < MONTHLY_UP_TO_DAYS else f"{day:%Y}"


def cumulative(per_day: list[tuple[date, int]], start: date, end: date) -> list[tuple[date, int]]:
    """Completions so far at the end of each week, month or year of the period, starting from 0 at its start."""
    points, total, days = [(start, 0)], 0, iter(sorted(per_day))
    pending = next(days, None)
    for bucket_end in _bucket_ends(start, end):
        while pending is not None and pending[0] <= bucket_end:
            total += pending[1]
            pending = next(days, None)
        points.append((bucket_end, total))
    return points


def completion_line(per_day: list[tuple[date, int]], start: date, end: date, headcount: int) -> Markup:
    """Completions so far over the period: as % of the headcount when there is one, else as a count."""
    points = cumulative(per_day, start, end)
    as_percent = headcount > 0
    values = [100 * n / headcount if as_percent else n for _, n in points]
    top_value = max(100.0, max(values)) if as_percent else max(4, max(values))
    plot_top, plot_bottom, height = 18, 170, 200
    span = max((end - start).days, 1)

    def x(day: date) -> str:
        return f"{3 + 94 * (day - start).days / span:.2f}%"

    def y(value: float) -> float:
        return round(plot_bottom - (plot_bottom - plot_top) * value / top_value, 1)

    body = []
    for step in range(5):
        value = top_value * step / 4
        label = percent_vn(value).replace(",0%", "%") if as_percent else number_vn(round(value))
        body.append(f'<line x1="0" x2="100%" y1="{y(value)}" y2="{y(value)}" stroke="#ced4da" stroke-width="1"/>'
                    f'<text x="0" y="{y(value) - 3}" font-size="11" fill="{GREY}">{escape(label)}</text>')
    for (day_a, _), (day_b, _), value_a, value_b in zip(points, points[1:], values, values[1:], strict=False):
        body.append(f'<line x1="{x(day_a)}" y1="{y(value_a)}" x2="{x(day_b)}" y2="{y(value_b)}" '
                    f'stroke="{BAR_COLOUR}" stroke-width="2.5"/>')
    for (day, count), value in zip(points, values, strict=True):
        text = f"{day:%d/%m/%Y}: {number_vn(count)} người" + (f" ({percent_vn(value)})" if as_percent else "")
        body.append(f'<circle cx="{x(day)}" cy="{y(value)}" r="3.5" fill="{BAR_COLOUR}"><title>{escape(text)}</title>'
                    f'</circle>')
    last_count = points[-1][1]
    final = f"{number_vn(last_count)} người" + (f" · {percent_vn(values[-1])}" if as_percent else "")
    body.append(f'<text x="97%" y="{max(y(values[-1]) - 8, 12)}" font-size="12" font-weight="bold" '
                f'text-anchor="end" fill="{INK}">{escape(final)}</text>')
    last = len(points) - 1
    for index in sorted({round(step * last / 5) for step in range(6)}):  # at most six dates fit a phone
        day = points[index][0]
        anchor = "start" if index == 0 else "end" if index == last else "middle"
        body.append(f'<text x="{x(day)}" y="{height - 8}" font-size="11" text-anchor="{anchor}" fill="{GREY}">'
                    f'{_axis_label(start, end, day)}</text>')
    body.append(f'<line x1="0" x2="100%" y1="{plot_bottom}" y2="{plot_bottom}" stroke="{GREY}" stroke-width="1"/>')
    return _svg(height, "Số đoàn viên hoàn thành cộng dồn theo thời gian", body, "chart-line")
