"""Benchmark: the completion report of a province of 1,000,000 members in 10,000 units, on PostgreSQL,
beside one hand-written SQL statement computing the same figures (the floor).

    psql -h 127.0.0.1 -U root -d test -c "create database bench_reports"     # once
    .venv/bin/python bench/reports_province.py [--database-url URL] [--members 1000000] [--units 10000]
                                               [--repeat 7] [--cold 3] [--skip-load] [--show-sql] [--explain]
                                               [--only load,app,http,exports] [--json out.json]

load      Empties the database and rebuilds it: `db.create_all()`, one province over four levels
          (province, ~30 districts and sector unions, ~330 communes / district sector unions /
          industrial zones, the rest grassroots unions), --members members spread unevenly (a dozen
          enterprises of 4,000-15,000 workers, many schools of 20-60), the 2022 topic (6 lessons, a
          final quiz) studied the way a real year goes (districts at their own pace, January to June,
          some finishing after the 31/03 deadline), attempts, completions, certificates, study
          sessions with attendee lists, headcount declarations, a contest with participants and
          entries, member moves and leavers, ten units merged after the deadline. The rows are
          generated into tab-separated files, then loaded with COPY (psycopg's `cursor.copy`,
          foreign-key triggers off for the load: the generator is consistent by construction),
          then `member_topics` is filled by `reports.progress.rebuild()` (what `flask reports
          rebuild-progress` does after a bulk load), then VACUUM ANALYZE, as autovacuum would have
          done on a table that has settled.
app       In-process, in an app context: `completion_report` of the province, of the largest
          district, of a school of median size with `member_statuses` for it (the drill-down),
          and of the largest enterprise with its member list. Each --repeat times (median, max),
          plus --cold fresh processes (a new connection, nothing compiled or cached on the
          Python side: the first report after a deploy). Beside each, the hand-written SQL
          (`FLOOR_LATER` + `FLOOR_REPORT`: one statement, totals and per-child
          rows; `FLOOR_MEMBERS` for a member list), timed the same way, its numbers asserted equal
          to the app's.
http      GET of the report page as an administrator (a session cookie made with the app's key),
          through the Flask test client: the province and the school.
exports   The province's .xlsx, the largest enterprise's .xlsx (report + member sheet), its
          members .csv and the whole province's members .csv (1,000,000 lines), each in a
          subprocess of its own, the response streamed to /dev/null: time and peak RSS (VmHWM).

--show-sql prints the statements the app runs for the province report, --explain their
EXPLAIN (ANALYZE, BUFFERS) and the floor's.
"""
import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgresql+psycopg://root@127.0.0.1/bench_reports"
TOPIC = "chuyen-de-2022"
LESSONS = 6
START, DUE = date(2022, 1, 1), date(2022, 3, 31)
SEED = 2022
ADMIN = "quantri"


# -- helpers -------------------------------------------------------------------------

def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def vm_hwm_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def vm_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def utc(day: date, hour: int, minute: int = 0) -> datetime:
    """A local (UTC+7) time, stored as naive UTC like the app does."""
    return datetime(day.year, day.month, day.day, hour, minute) - timedelta(hours=7)


def tsv(value) -> str:
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
    if isinstance(value, datetime):
        return value.isoformat(" ")
    return str(value)


class Tables:
    """One tab-separated file per table, written as rows are generated, loaded with COPY afterwards."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.files: dict[str, object] = {}
        self.columns: dict[str, tuple[str, ...]] = {}
        self.counts: dict[str, int] = {}

    def declare(self, table: str, columns: str) -> None:
        self.columns[table] = tuple(columns.split())
        # Open across many row() calls; close() closes them all.
        self.files[table] = open(self.workdir / f"{table}.tsv", "w", encoding="utf-8", buffering=1 << 20)  # noqa: SIM115
        self.counts[table] = 0

    def row(self, table: str, *values) -> None:
        self.files[table].write("\t".join(map(tsv, values)) + "\n")
        self.counts[table] += 1

    def line(self, table: str, text: str) -> None:
        """A row already formatted (the big tables, for speed)."""
        self.files[table].write(text)
        self.counts[table] += 1

    def close(self) -> None:
        for f in self.files.values():
            f.close()


# -- the province ---------------------------------------------------------------------

DISTRICT_NAMES = ["Tam Đường", "Phong Thổ", "Sìn Hồ", "Mường Tè", "Than Uyên", "Tân Uyên", "Nậm Nhùn",
                  "Bình Lư", "Mường Lay", "Điện Biên Đông", "Tủa Chùa", "Mường Nhé", "Nậm Pồ", "Mường Chà",
                  "Tuần Giáo", "Mường Ảng", "Bát Xát", "Bảo Thắng", "Bảo Yên", "Văn Bàn", "Bắc Hà", "Si Ma Cai",
                  "Mường Khương", "Sa Pa"]
SECTORS = [("sector", "Công đoàn ngành Giáo dục tỉnh", "GD", "Công đoàn ngành Giáo dục huyện"),
           ("sector", "Công đoàn ngành Y tế tỉnh", "YT", "Công đoàn Khối Y tế"),
           ("sector", "Công đoàn ngành Công Thương tỉnh", "CT", "Công đoàn Khối Công Thương"),
           ("civil_servants", "Công đoàn Viên chức tỉnh", "VC", "Công đoàn Khối Cơ quan")]
ZONES = ["Khu công nghiệp Đồng Văn", "Khu công nghiệp Tân Uyên"]
COMMUNES = ["Bản Giang", "Bản Hon", "Sơn Bình", "Khun Há", "Nà Tăm", "Hồ Thầu", "Giang Ma", "Tả Lèng", "Thèn Sin",
            "Sì Lở Lầu", "Pa Vệ Sủ", "Mù Cả", "Ka Lăng", "Thu Lũm", "Bum Nưa", "Nậm Hàng", "Lê Lợi", "Pú Đao"]
SCHOOLS = ["Trường Mầm non", "Trường Tiểu học", "Trường THCS", "Trường PTDTBT Tiểu học", "Trường PTDTBT THCS",
           "Trạm Y tế xã", "Ủy ban nhân dân xã", "Trường THPT", "Trường Phổ thông Dân tộc Nội trú",
           "Chi cục Thuế", "Kho bạc Nhà nước", "Phòng Giáo dục và Đào tạo", "Bệnh viện Đa khoa", "Hạt Kiểm lâm"]
FIRMS = ["Công ty TNHH Giày da", "Công ty Cổ phần May", "Công ty TNHH Điện tử", "Công ty Cổ phần Chè",
         "Công ty TNHH Linh kiện", "Công ty Cổ phần Thủy điện", "Công ty TNHH Dệt may", "Công ty Cổ phần Xi măng"]
FORMS = [("in_person", 50), ("meeting", 25), ("combined", 15), ("online", 10)]


def build_tree(rng: random.Random, unit_count: int, kinds: dict[str, int]):
    """(units, grassroots): units as dicts with id, parent, path, depth, kind code, name, code."""
    units = [dict(id=1, parent=None, path="/1/", depth=0, kind="province", code="LDLD-TINH",
                  name="Liên đoàn Lao động tỉnh Lai Châu")]
    level1 = []
    for n, name in enumerate(DISTRICT_NAMES):
        level1.append(("district", f"Liên đoàn Lao động huyện {name}", f"H{n + 1:02d}", name))
    for kind, name, code, _ in SECTORS:
        level1.append((kind, name, code, None))
    for n, name in enumerate(ZONES):
        level1.append(("industrial_zone", f"Công đoàn các {name}", f"KCN{n + 1}", name))
    # ~11 level-2 units per level-1 unit, 330 in all for 10,000 units
    level2_count = round(unit_count * 0.033)
    share = [rng.randint(6, 16) for _ in level1]
    total = sum(share)
    share = [max(2, round(s * level2_count / total)) for s in share]
    share[0] += level2_count - sum(share)
    next_id = 2
    by_level1 = []
    for (kind, name, code, place), count in zip(level1, share, strict=True):
        unit = dict(id=next_id, parent=1, path=f"/1/{next_id}/", depth=1, kind=kind, code=code, name=name)
        next_id += 1
        units.append(unit)
        by_level1.append((unit, count, place))
    level2 = []
    for parent, count, place in by_level1:
        for n in range(count):
            if parent["kind"] == "district":
                kind, name = "commune", f"Công đoàn xã {COMMUNES[n % len(COMMUNES)]}" + (
                    f" {n // len(COMMUNES) + 1}" if n >= len(COMMUNES) else "") + f" ({place})"
            elif parent["kind"] == "industrial_zone":
                kind, name = "industrial_zone", f"Công đoàn {place} phân khu {n + 1}"
            else:
                kind = "sector"
                name = next(s[3] for s in SECTORS if s[2] == parent["code"]) + f" số {n + 1}"
            unit = dict(id=next_id, parent=parent["id"], path=f"{parent['path']}{next_id}/", depth=2, kind=kind,
                        code=f"{parent['code']}-{n + 1:02d}", name=name, zone=parent["kind"] == "industrial_zone")
            next_id += 1
            units.append(unit)
            level2.append(unit)
    grassroots_count = unit_count - len(units)
    # Unevenly: some communes have a handful of schools, others sixty.
    weights = [rng.lognormvariate(0, 0.6) * (1.6 if u["zone"] else 1.0) for u in level2]
    grassroots = []
    parents = rng.choices(level2, weights, k=grassroots_count)
    parents.sort(key=lambda u: u["id"])
    counters: dict[int, int] = {}
    for parent in parents:
        n = counters[parent["id"]] = counters.get(parent["id"], 0) + 1
        if parent["zone"]:
            name = f"Công đoàn cơ sở {rng.choice(FIRMS)} {parent['code']}-{n}"
        else:
            name = f"Công đoàn cơ sở {rng.choice(SCHOOLS)} {parent['name'].split('(')[0].split(' ', 2)[-1].strip()} {n}"
        unit = dict(id=next_id, parent=parent["id"], path=f"{parent['path']}{next_id}/", depth=3, kind="grassroots",
                    code=f"{parent['code']}-{n:03d}", name=name, zone=parent["zone"])
        next_id += 1
        units.append(unit)
        grassroots.append(unit)
    return units, [unit for unit, _, _ in by_level1], grassroots


def unit_sizes(rng: random.Random, grassroots: list[dict], members: int) -> None:
    """Sets size on each grassroots unit: a dozen enterprises of thousands, many schools of 20-60."""
    zone = [u for u in grassroots if u["zone"]]
    for u in grassroots:
        if u["zone"]:
            u["size"] = min(3000, max(30, int(rng.lognormvariate(5.3, 1.0))))
        else:
            r = rng.random()
            u["size"] = (rng.randint(20, 60) if r < 0.72 else rng.randint(61, 200) if r < 0.90
                         else rng.randint(201, 600) if r < 0.97 else rng.randint(8, 19))
    for u in rng.sample(zone, min(12, len(zone))):
        u["size"] = rng.randint(4000, 15000)
    target = members - 10 * 24  # each district federation has ten members of its own
    total = sum(u["size"] for u in grassroots)
    scale = target / total
    for u in grassroots:
        u["size"] = max(5, round(u["size"] * scale))
    diff = target - sum(u["size"] for u in grassroots)
    mids = [u for u in grassroots if 60 < u["size"] < 3000]
    while diff:
        u = rng.choice(mids)
        step = 1 if diff > 0 else -1
        u["size"] += step
        diff -= step


def generate(tables: Tables, rng: random.Random, *, members: int, unit_count: int, kinds: dict[str, int],
             fixed: dict) -> dict:
    """Write every row of the province into ``tables``; returns what the run needs to know."""
    from core.text import fold
    from units.demo import PEOPLES, POSITIONS

    units, level1, grassroots = build_tree(rng, unit_count, kinds)
    unit_sizes(rng, grassroots, members)
    by_id = {u["id"]: u for u in units}

    # Ten grassroots units merged into a sibling on 15/05/2022 (after the deadline), 20 dissolved in 2021.
    merged = {}
    for u in rng.sample([g for g in grassroots if g["size"] < 200], 10):
        siblings = [g for g in grassroots if g["parent"] == u["parent"] and g["id"] != u["id"]]
        if siblings:
            merged[u["id"]] = rng.choice(siblings)["id"]
    dissolved = set(g["id"] for g in rng.sample([g for g in grassroots if g["id"] not in merged], 20))
    for g in grassroots:
        if g["id"] in dissolved:
            g["size"] = 0
    # The dissolved units' members were never loaded: the largest enterprise takes them.
    shortfall = members - 10 * 24 - sum(g["size"] for g in grassroots)
    max(grassroots, key=lambda g: g["size"])["size"] += shortfall

    tables.declare("units", "id code name name_folded kind_id parent_id path depth status status_changed_on "
                            "merged_into_id created_at")
    created = datetime(2020, 6, 1)
    for u in units:
        status, changed, into = "active", None, None
        if u["id"] in merged:
            status, changed, into = "merged", date(2022, 5, 15), merged[u["id"]]
        elif u["id"] in dissolved:
            status, changed = "dissolved", date(2021, 9, 30)
        tables.row("units", u["id"], u["code"], u["name"], fold(u["name"]), kinds[u["kind"]], u["parent"], u["path"],
                   u["depth"], status, changed, into, created)

    # -- members, in unit order (as imported), with their names
    names = []
    weights = [p[0] for p in PEOPLES]
    for _ in range(20000):
        _, families, male_middles, female_middles, males, females = rng.choices(PEOPLES, weights)[0]
        if rng.random() < 0.5:
            full = f"{rng.choice(families)} {rng.choice(male_middles)} {rng.choice(males)}"
            gender = "Nam"
        else:
            full = f"{rng.choice(families)} {rng.choice(female_middles)} {rng.choice(females)}"
            gender = "Nữ"
        names.append((full, fold(full), gender))

    def name_of(member_id: int) -> tuple[str, str, str]:
        return names[(member_id * 2654435761) % len(names)]
    member_unit = [0]  # index = member id; the unit they belonged to when loaded
    for u in level1:
        if u["kind"] == "district":
            member_unit += [u["id"]] * 10
    for g in grassroots:
        member_unit += [g["id"]] * g["size"]
    assert len(member_unit) - 1 == members, (len(member_unit) - 1, members)

    # Moves: a few thousand members changed unit between mid-2021 and mid-2023; the merged units' members
    # moved to the unit that absorbed them.
    current = list(member_unit)
    moves = []  # (member, from, to, day, reason)
    for member_id in range(1, members + 1):
        if member_unit[member_id] in merged:
            moves.append((member_id, member_unit[member_id], merged[member_unit[member_id]], date(2022, 5, 15),
                          "merge"))
            current[member_id] = merged[member_unit[member_id]]
    open_units = [g["id"] for g in grassroots if g["id"] not in merged and g["id"] not in dissolved]
    movers = rng.sample(range(1, members + 1), max(10, members // 250))
    for member_id in movers:
        day = date(2021, 7, 1) + timedelta(days=rng.randint(0, 730))
        for _hop in range(2 if rng.random() < 0.1 else 1):
            target = rng.choice(open_units)
            if target == current[member_id]:
                continue
            moves.append((member_id, current[member_id], target, day, "move"))
            current[member_id] = target
            day += timedelta(days=rng.randint(30, 300))
    moves.sort(key=lambda m: (m[3], m[0]))
    tables.declare("member_moves", "id member_id from_unit_id to_unit_id moved_on reason note actor_id")
    for n, (member_id, source, target, day, reason) in enumerate(moves, start=1):
        tables.row("member_moves", n, member_id, source, target, day, reason, "", None)

    # Leavers: 1.5 % left (retired, quit) between 2021 and mid-2023.
    status = {}
    for member_id in rng.sample(range(1, members + 1), members * 15 // 1000):
        status[member_id] = ("left", date(2021, 1, 1) + timedelta(days=rng.randint(0, 900)))

    # -- the 2022 topic, studied: districts at their own pace, units around it
    pace_of_level1 = {u["id"]: rng.uniform(0.55, 0.97) for u in level1}
    pace_of_unit = {}
    for u in units:
        top = u["path"].split("/")[2] if u["depth"] >= 1 else None
        base = pace_of_level1.get(int(top)) if top else 0.75
        pace_of_unit[u["id"]] = min(0.99, max(0.05, rng.gauss(base, 0.12)))
    lesson_ids = fixed["lessons"]
    quiz_id, user_offset = fixed["quiz"], fixed["next_user_id"]

    tables.declare("users", "id username full_name password_hash must_change_password is_enabled created_at")
    tables.declare("lesson_progress", "id member_id lesson_id opened_at last_seen_at resume_anchor resume_percent "
                                      "studied_at")
    tables.declare("attempts", "id quiz_id user_id member_id number status started_at deadline finished_at paper "
                               "score max_score percent passed flagged_short")
    tables.declare("topic_completions", "id member_id topic_id attempt_id percent completed_at")
    tables.declare("certificates", "id code kind issuer_id serial_number serial member_id topic_id unit_id "
                                   "holder_name birth_year unit_name parent_unit_name achievement issued_on "
                                   "body_lines place signer_title signer_name score_percent reason created_at "
                                   "revoked_at revoked_reason")
    user_of = {}
    counter = dict(progress=0, attempt=0, completion=0, certificate=0)
    percents = [40, 50, 55, 60, 65, 70, 75, 80, 85, 90, 95, 100]
    first_weights = [2, 4, 4, 5, 6, 14, 14, 16, 13, 10, 7, 5]
    issuer_id = fixed["issuer"]
    topic_id = fixed["topic"]
    # Study order: members interleave in time, so the rows of one member are scattered over the table.
    order = list(range(1, members + 1))
    rng.shuffle(order)
    for member_id in order:
        unit_id = member_unit[member_id]
        if rng.random() > pace_of_unit[unit_id]:
            continue
        first_day = date(2022, 1, 5) + timedelta(days=int(rng.triangular(0, 130, 25)))
        full = rng.random() < 0.8
        count = LESSONS if full else rng.randint(1, LESSONS - 1)
        day = first_day
        lines = []
        for position, lesson_id in enumerate(lesson_ids):
            if position > count or (position == count and (full or rng.random() < 0.5)):
                break
            opened = utc(day, rng.randint(7, 22), rng.randint(0, 59))
            studied = opened + timedelta(minutes=rng.randint(8, 40)) if position < count else None
            seen = (studied or opened) + timedelta(minutes=rng.randint(1, 9))
            counter["progress"] += 1
            lines.append(f"{counter['progress']}\t{member_id}\t{lesson_id}\t{opened.isoformat(' ')}\t"
                         f"{seen.isoformat(' ')}\t\t{100 if studied else rng.randint(5, 90)}\t"
                         f"{studied.isoformat(' ') if studied else chr(92) + 'N'}\n")
            day += timedelta(days=rng.choice((0, 0, 1, 1, 2, 3, 5)))
        for text in lines:
            tables.line("lesson_progress", text)
        if not full or rng.random() > 0.9:
            continue
        # The quiz: up to three attempts, most pass the first time.
        user_id = user_of[member_id] = user_offset + len(user_of)
        day = day + timedelta(days=rng.choice((0, 0, 1, 2, 4, 7)))
        passed_attempt = None
        for number in (1, 2, 3):
            percent = float(rng.choices(percents, first_weights)[0] if number == 1
                            else rng.choice(percents[3:]))
            started = utc(day, rng.randint(7, 22), rng.randint(0, 59))
            expired = rng.random() < 0.02
            finished = started + (timedelta(minutes=20) if expired else timedelta(minutes=rng.randint(4, 18)))
            counter["attempt"] += 1
            passed = percent >= 70
            tables.line("attempts", f"{counter['attempt']}\t{quiz_id}\t{user_id}\t{member_id}\t{number}\t"
                                    f"{'expired' if expired else 'submitted'}\t{started.isoformat(' ')}\t"
                                    f"{(started + timedelta(minutes=20)).isoformat(' ')}\t{finished.isoformat(' ')}\t"
                                    f"[]\t{int(percent / 5)}\t20\t{percent}\t{'t' if passed else 'f'}\tf\n")
            if passed:
                passed_attempt = (counter["attempt"], finished, percent)
                break
            if rng.random() > (0.75 if number == 1 else 0.6):
                break
            day += timedelta(days=rng.randint(0, 6))
        if passed_attempt is None:
            if rng.random() < 0.01:  # one open attempt, abandoned in June
                counter["attempt"] += 1
                started = utc(date(2022, 6, 1) + timedelta(days=rng.randint(0, 25)), 20)
                tables.line("attempts", f"{counter['attempt']}\t{quiz_id}\t{user_id}\t{member_id}\t4\tin_progress\t"
                                        f"{started.isoformat(' ')}\t{(started + timedelta(minutes=20)).isoformat(' ')}"
                                        f"\t\\N\t[]\t\\N\t20\t\\N\t\\N\tf\n")
            continue
        attempt_id, finished, percent = passed_attempt
        counter["completion"] += 1
        tables.line("topic_completions", f"{counter['completion']}\t{member_id}\t{topic_id}\t{attempt_id}\t{percent}\t"
                                         f"{finished.isoformat(' ')}\n")
        if rng.random() < 0.9:
            counter["certificate"] += 1
            n = counter["certificate"]
            issued = (finished + timedelta(hours=7)).date() + timedelta(days=rng.choice((0, 0, 1, 2, 3, 7, 14)))
            full_name = name_of(member_id)[0]
            unit = by_id[current[member_id]]
            revoked = utc(issued + timedelta(days=rng.randint(5, 60)), 9) if rng.random() < 0.003 else None
            tables.row("certificates", n, f"C{n:09d}{rng.getrandbits(32):08x}", "completion", issuer_id, n,
                       f"{n}/GCN-LĐLĐ", member_id, topic_id, unit["id"], full_name, 1962 + member_id % 42,
                       unit["name"], by_id[unit["parent"]]["name"], "Đã hoàn thành học tập chuyên đề năm 2022",
                       issued, "LIÊN ĐOÀN LAO ĐỘNG TỈNH LAI CHÂU", "Lai Châu", "TM. BAN THƯỜNG VỤ\nPHÓ CHỦ TỊCH",
                       "Đồng Thị Nghĩa", percent, "", utc(issued, 10), revoked,
                       "Cấp nhầm" if revoked else "")

    # -- a contest in March (in the period) and May (after it): 30,000 participants
    tables.declare("contest_participants", "id contest_id user_id member_id full_name birth_year phone unit_id "
                                           "workplace citizen_id_hash citizen_id_last4 division_id excluded_at "
                                           "excluded_reason created_at")
    tables.declare("contest_entries", "id attempt_id round_id participant_id prediction device")
    rounds = fixed["rounds"]  # [(round id, quiz id, first day)]
    participants = rng.sample(range(1, members + 1), min(30000, members // 30))
    for n, member_id in enumerate(participants, start=1):
        if member_id not in user_of:
            user_of[member_id] = user_offset + len(user_of)
        user_id = user_of[member_id]
        full_name = name_of(member_id)[0]
        tables.row("contest_participants", n, fixed["contest"], user_id, member_id, full_name, None,
                   f"08{member_id:08d}", current[member_id], "", None, None, None, None, "",
                   utc(date(2022, 3, 1), 8))
        for round_id, round_quiz, first_day in rounds[:rng.choice((1, 1, 2))]:
            started = utc(first_day + timedelta(days=rng.randint(0, 13)), rng.randint(7, 22))
            counter["attempt"] += 1
            percent = float(rng.choice(percents))
            tables.line("attempts", f"{counter['attempt']}\t{round_quiz}\t{user_id}\t{member_id}\t1\tsubmitted\t"
                                    f"{started.isoformat(' ')}\t{(started + timedelta(minutes=15)).isoformat(' ')}\t"
                                    f"{(started + timedelta(minutes=rng.randint(3, 14))).isoformat(' ')}\t[]\t"
                                    f"{int(percent / 5)}\t20\t{percent}\t{'t' if percent >= 70 else 'f'}\tf\n")
            tables.row("contest_entries", counter["attempt"], counter["attempt"], round_id, n,
                       rng.randint(1000, 90000), None)

    # -- members and their accounts
    tables.declare("members", "id unit_id full_name name_folded card_number phone birth_year birth_date gender "
                              "email position status status_changed_on user_id created_at updated_at")
    for member_id in range(1, members + 1):
        full, folded, gender = name_of(member_id)
        left = status.get(member_id)
        user_id = user_of.get(member_id)
        tables.line("members", f"{member_id}\t{current[member_id]}\t{full}\t{folded}\tLC{member_id:08d}\t"
                               f"{f'09{member_id:08d}' if member_id % 5 else chr(92) + 'N'}\t"
                               f"{1962 + member_id % 42}\t\\N\t{gender}\t\\N\t{POSITIONS[member_id % len(POSITIONS)]}\t"
                               f"{left[0] if left else 'active'}\t{left[1] if left else chr(92) + 'N'}\t"
                               f"{user_id if user_id else chr(92) + 'N'}\t2021-03-01 02:00:00\t2021-03-01 02:00:00\n")
    for member_id, user_id in sorted(user_of.items(), key=lambda item: item[1]):
        tables.line("users", f"{user_id}\tdv{member_id}\t{name_of(member_id)[0]}\t!\tf\tt\t"
                             f"2022-01-05 02:00:00\n")

    # -- offline study sessions: ~3,000, half with their attendee list
    tables.declare("study_sessions", "id unit_id topic_id held_on form attendances notes created_by_id created_at")
    tables.declare("study_session_members", "session_id member_id")
    members_of: dict[int, list[int]] = {}
    for member_id in range(1, members + 1):
        members_of.setdefault(current[member_id], []).append(member_id)
    holders = [g for g in grassroots if g["id"] in members_of and len(members_of[g["id"]]) >= 10]
    form_names, form_weights = zip(*FORMS, strict=True)
    upper = [u for u in units if 1 <= u["depth"] <= 2]
    session_id = 0
    for _ in range(3000):
        session_id += 1
        held = date(2022, 1, 15) + timedelta(days=rng.randint(0, 166))
        form = rng.choices(form_names, form_weights)[0]
        if rng.random() < 0.12:
            unit = rng.choice(upper)
            tables.row("study_sessions", session_id, unit["id"], topic_id, held, form, rng.randint(40, 300),
                       "Hội nghị quán triệt chuyên đề", None, utc(held, 17))
            continue
        unit = rng.choice(holders)
        people = members_of[unit["id"]]
        listed = rng.sample(people, min(len(people), rng.randint(10, 120))) if rng.random() < 0.5 else []
        tables.row("study_sessions", session_id, unit["id"], topic_id, held, form,
                   max(len(listed), int(len(people) * rng.uniform(0.5, 1.0)) if len(people) < 400 else rng.randint(
                       100, 400)), "Sinh hoạt chuyên đề", None, utc(held, 17))
        for member_id in sorted(listed):
            tables.row("study_session_members", session_id, member_id)

    # -- headcount declarations: a fifth of the grassroots units for the half year, some for the quarter or year
    tables.declare("headcounts", "id unit_id period_start period_end headcount declared_by_id declared_at")
    n = 0
    for g in grassroots:
        size = len(members_of.get(g["id"], ()))
        if not size:
            continue
        for start, end, share in ((date(2022, 1, 1), date(2022, 6, 30), 0.2),
                                  (date(2022, 1, 1), date(2022, 3, 31), 0.05),
                                  (date(2022, 1, 1), date(2022, 12, 31), 0.05)):
            if rng.random() < share:
                n += 1
                tables.row("headcounts", n, g["id"], start, end, max(0, size + rng.randint(-3, 6)), None,
                           utc(date(2022, 1, 10) + timedelta(days=rng.randint(0, 40)), 9, rng.randint(0, 59)))
    tables.close()
    sizes = {unit_id: len(ids) for unit_id, ids in members_of.items()}
    return {"province": 1, "level1": [u["id"] for u in level1], "grassroots": [g["id"] for g in grassroots],
            "sizes": sizes, "paths": {u["id"]: u["path"] for u in units}}


# -- loading ---------------------------------------------------------------------------

def fixed_rows(app) -> dict:
    """The few rows made through the ORM: kinds, topic, lessons, quizzes, issuer, contest, the administrator."""
    from sqlalchemy import text

    from accounts import services as accounts
    from certificates.models import Issuer
    from contests.models import Contest, Round
    from core.extensions import db
    from core.permissions import ADMIN as ADMIN_ROLE
    from learning.models import Lesson, Topic
    from quizzes.models import Quiz
    from units import kinds as unit_kinds

    with app.app_context():
        unit_kinds.ensure_default_kinds()
        kinds = {k.code: k.id for k in unit_kinds.all_kinds()}
        # The province row first (id 1), so the issuer and the contest can name it; the rest come by COPY.
        db.session.execute(text("INSERT INTO units (id, code, name, name_folded, kind_id, parent_id, path, depth, "
                                "status, created_at) VALUES (1, 'LDLD-TINH', 'Liên đoàn Lao động tỉnh Lai Châu', "
                                "'lien doan lao dong tinh lai chau', :kind, NULL, '/1/', 0, 'active', '2020-06-01')"),
                           {"kind": kinds["province"]})
        topic = Topic(slug=TOPIC, title="Chuyên đề năm 2022: Nâng cao chất lượng đội ngũ cán bộ công đoàn",
                      kind="annual", year=2022, opens_on=START, due_on=DUE, published=True)
        lessons = [Lesson(topic=topic, slug=f"bai-{n}", title=f"Bài {n}", position=n) for n in range(1, LESSONS + 1)]
        quiz = Quiz(topic=topic, title="Bài kiểm tra chuyên đề năm 2022", question_count=20, pass_percent=70)
        bank = Topic(slug="ngan-hang-cuoc-thi-2022", title="Ngân hàng câu hỏi cuộc thi", kind="contest", year=2022)
        db.session.add_all([topic, *lessons, quiz, bank])
        db.session.flush()
        issuer = Issuer(unit_id=1, body_lines="LIÊN ĐOÀN LAO ĐỘNG TỈNH LAI CHÂU", place="Lai Châu",
                        signer_title="TM. BAN THƯỜNG VỤ\nPHÓ CHỦ TỊCH", signer_name="Đồng Thị Nghĩa")
        contest = Contest(slug="tim-hieu-2022", title="Cuộc thi tìm hiểu lịch sử Công đoàn Việt Nam",
                          organiser_unit_id=1, audience_unit_id=1, bank_topic_id=bank.id, published=True)
        db.session.add_all([issuer, contest])
        db.session.flush()
        rounds = []
        for number, first_day in ((1, date(2022, 3, 7)), (2, date(2022, 5, 9))):
            round_quiz = Quiz(topic=bank, purpose="contest", title=f"Tuần {number}", question_count=20)
            db.session.add(round_quiz)
            db.session.flush()
            r = Round(contest_id=contest.id, number=number, quiz_id=round_quiz.id)
            db.session.add(r)
            db.session.flush()
            rounds.append((r.id, round_quiz.id, first_day))
        admin = accounts.create_user(ADMIN, "Quản trị hệ thống", "bench-mat-khau-2022")
        accounts.grant_role(admin, ADMIN_ROLE, None, actor=None)
        db.session.commit()
        fixed = {"kinds": kinds, "topic": topic.id, "lessons": [lesson.id for lesson in lessons], "quiz": quiz.id,
                 "issuer": issuer.id, "contest": contest.id, "rounds": rounds, "next_user_id": admin.id + 1}
        db.session.remove()
    return fixed


def load(app, database_url: str, members: int, unit_count: int) -> dict:
    import psycopg
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from core.extensions import db

    print(f"load: emptying and rebuilding {make_url(database_url).database} (loadavg {load_average()})")
    started = time.perf_counter()
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.create_all()
        db.engine.dispose()
    fixed = fixed_rows(app)
    schema_done = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="hoctap-reports-"))
    tables = Tables(workdir)
    info = generate(tables, random.Random(SEED), members=members, unit_count=unit_count, kinds=fixed["kinds"],
                    fixed=fixed)
    generated = time.perf_counter()
    size = sum(p.stat().st_size for p in workdir.iterdir())
    print(f"  generated {sum(tables.counts.values()):,} rows ({size / 2**20:,.0f} MiB of TSV) "
          f"in {generated - schema_done:.1f} s")
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    order = ["units", "users", "members", "member_moves", "lesson_progress", "attempts", "topic_completions",
             "certificates", "contest_participants", "contest_entries", "study_sessions", "study_session_members",
             "headcounts"]
    with psycopg.connect(dsn) as connection:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")  # no FK triggers during the load
            # The province (id 1) came through the ORM: skip it in the file.
            for table in order:
                t0 = time.perf_counter()
                columns = ", ".join(tables.columns[table])
                with open(workdir / f"{table}.tsv", "rb") as source:
                    if table == "units":
                        source.readline()
                    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                        while block := source.read(1 << 20):
                            copy.write(block)
                print(f"  COPY {table:<22} {tables.counts[table]:>10,} rows  {time.perf_counter() - t0:6.1f} s")
            for table in order:
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"(SELECT coalesce(max(id), 1) FROM {table}))"
                               if "id" in tables.columns[table] else "SELECT 1")
            cursor.execute("SELECT setval(pg_get_serial_sequence('users', 'id'), (SELECT max(id) FROM users))")
        connection.commit()
    copied = time.perf_counter()
    with app.app_context():  # COPY went past the ORM: member_topics is filled as after any bulk load
        from reports import progress

        progress_rows = progress.rebuild()
        db.session.commit()
        db.engine.dispose()
    rebuilt = time.perf_counter()
    print(f"  member_topics rebuilt: {progress_rows:,} rows in {rebuilt - copied:.1f} s")
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")
    analysed = time.perf_counter()
    for p in workdir.iterdir():
        p.unlink()
    workdir.rmdir()
    print(f"  schema + fixed rows {schema_done - started:.1f} s, generate {generated - schema_done:.1f} s, "
          f"COPY {copied - generated:.1f} s, member_topics {rebuilt - copied:.1f} s, "
          f"VACUUM ANALYZE {analysed - rebuilt:.1f} s: "
          f"total {analysed - started:.1f} s (loadavg {load_average()})")
    info["load_seconds"] = {"schema": schema_done - started, "generate": generated - schema_done,
                            "copy": copied - generated, "member_topics": rebuilt - copied,
                            "vacuum_analyze": analysed - rebuilt,
                            "total": analysed - started}
    info["counts"] = dict(tables.counts)
    return info


# -- the floor: the same figures by hand ---------------------------------------------------

# The placement rule: a member stands at the unit their first move after the period end left, else at
# their current unit. Each figure is summed over rows by the member's current unit, minus the rows of
# members who moved after the end, plus those rows again at the unit they left (the `sign`).
FLOOR_LATER = """
WITH later AS NOT MATERIALIZED (
    SELECT DISTINCT ON (member_id) member_id, from_unit_id FROM member_moves
    WHERE moved_on > %(end)s ORDER BY member_id, moved_on, id
)"""
# The member list: one row per placed member.
FLOOR_PLACED = """
, placed AS (
    SELECT m.id AS member_id, m.unit_id, (m.status = 'active' OR m.status_changed_on > %(end)s) AS active
    FROM units u JOIN members m ON m.unit_id = u.id
    WHERE u.path LIKE %(prefix)s AND NOT EXISTS (SELECT FROM later l WHERE l.member_id = m.id)
    UNION ALL
    SELECT m.id, l.from_unit_id, (m.status = 'active' OR m.status_changed_on > %(end)s)
    FROM later l JOIN units u ON u.id = l.from_unit_id JOIN members m ON m.id = l.member_id
    WHERE u.path LIKE %(prefix)s
)"""
FLOOR_PER_MEMBER = """
, attended AS (
    SELECT DISTINCT sm.member_id FROM study_session_members sm JOIN study_sessions s ON s.id = sm.session_id
    WHERE s.topic_id = %(topic)s AND s.held_on BETWEEN %(start)s AND %(end)s
), per_member AS (
    SELECT p.member_id, p.unit_id, p.active,
           coalesce(t.started_at >= %(low)s AND t.started_at < %(high)s, false) AS started,
           coalesce(t.studied_all_at >= %(low)s AND t.studied_all_at < %(high)s, false) AS studied_all,
           coalesce(t.passed_at >= %(low)s AND t.passed_at < %(high)s, false) AS passed,
           CASE WHEN t.first_finished_at >= %(low)s AND t.first_finished_at < %(high)s THEN t.first_percent END
             AS first_percent,
           CASE WHEN t.completed_at < %(high)s THEN t.completed_at END AS completed_at,
           coalesce(t.certified_on BETWEEN %(start)s AND %(end)s
                    AND (t.certificate_revoked_at IS NULL OR t.certificate_revoked_at >= %(high)s), false) AS certified,
           t.started_at < %(high)s AS started_by_end, t.studied_all_at < %(high)s AS studied_all_by_end,
           t.passed_at < %(high)s AS passed_by_end, at.member_id IS NOT NULL AS attended
    FROM placed p
    LEFT JOIN member_topics t ON t.member_id = p.member_id AND t.topic_id = %(topic)s
    LEFT JOIN attended at ON at.member_id = p.member_id
)"""
# The report: one statement. Members, member_topics rows and attendees are each summed by their
# current unit, minus the members who moved after the period end, plus those again at the unit
# they left; with headcounts, sessions and contests by unit, then rolled up to the root's children
# (GROUPING SETS adds the total, child NULL; child 0 is the root's own units).
TOPIC_SUMS = """
           count(*) FILTER (WHERE t.started_at >= %(low)s AND t.started_at < %(high)s) AS started,
           count(*) FILTER (WHERE t.studied_all_at >= %(low)s AND t.studied_all_at < %(high)s) AS studied_all,
           count(*) FILTER (WHERE t.passed_at >= %(low)s AND t.passed_at < %(high)s) AS passed,
           count(*) FILTER (WHERE t.completed_at >= %(low)s AND t.completed_at < %(high)s) AS completed,
           count(*) FILTER (WHERE t.completed_at < %(high)s) AS completed_to_date,
           count(*) FILTER (WHERE t.certified_on BETWEEN %(start)s AND %(end)s
                            AND (t.certificate_revoked_at IS NULL OR t.certificate_revoked_at >= %(high)s))
             AS certificates,
           sum(t.first_percent) FILTER (WHERE t.first_finished_at >= %(low)s AND t.first_finished_at < %(high)s)
             AS score_sum,
           count(t.first_percent) FILTER (WHERE t.first_finished_at >= %(low)s AND t.first_finished_at < %(high)s)
             AS scored"""
MEMBER_SUMS = """
           count(*) FILTER (WHERE m.status = 'active' OR m.status_changed_on > %(end)s) AS members,
           count(*) FILTER (WHERE m.id IN (SELECT member_id FROM attended)) AS attendees"""
FLOOR_REPORT = f"""
, subtree AS NOT MATERIALIZED (
    SELECT id FROM units WHERE path LIKE %(prefix)s
), moved AS NOT MATERIALIZED (
    SELECT DISTINCT member_id FROM member_moves WHERE moved_on > %(end)s
), attended AS NOT MATERIALIZED (
    SELECT sm.member_id FROM study_session_members sm JOIN study_sessions s ON s.id = sm.session_id
    WHERE s.topic_id = %(topic)s AND s.held_on BETWEEN %(start)s AND %(end)s
), member_parts AS (
    SELECT m.unit_id, 1 AS sign, {MEMBER_SUMS} FROM members m
    WHERE m.unit_id IN (SELECT id FROM subtree) GROUP BY m.unit_id
    UNION ALL
    SELECT m.unit_id, -1, {MEMBER_SUMS} FROM moved JOIN members m ON m.id = moved.member_id
    WHERE m.unit_id IN (SELECT id FROM subtree) GROUP BY m.unit_id
    UNION ALL
    SELECT l.from_unit_id, 1, {MEMBER_SUMS} FROM later l JOIN members m ON m.id = l.member_id
    WHERE l.from_unit_id IN (SELECT id FROM subtree) GROUP BY l.from_unit_id
), topic_parts AS (
    SELECT t.unit_id, 1 AS sign, {TOPIC_SUMS} FROM member_topics t
    WHERE t.topic_id = %(topic)s AND t.unit_id IN (SELECT id FROM subtree) GROUP BY t.unit_id
    UNION ALL
    SELECT t.unit_id, -1, {TOPIC_SUMS} FROM moved JOIN member_topics t ON t.member_id = moved.member_id
    WHERE t.topic_id = %(topic)s AND t.unit_id IN (SELECT id FROM subtree) GROUP BY t.unit_id
    UNION ALL
    SELECT l.from_unit_id, 1, {TOPIC_SUMS} FROM later l JOIN member_topics t ON t.member_id = l.member_id
    WHERE t.topic_id = %(topic)s AND l.from_unit_id IN (SELECT id FROM subtree) GROUP BY l.from_unit_id
), members_by_unit AS (
    SELECT unit_id, sum(sign * members) AS members, sum(sign * attendees) AS attendees
    FROM member_parts GROUP BY unit_id
), topic_by_unit AS (
    SELECT unit_id, sum(sign * started) AS started, sum(sign * studied_all) AS studied_all,
           sum(sign * passed) AS passed, sum(sign * completed) AS completed,
           sum(sign * completed_to_date) AS completed_to_date, sum(sign * certificates) AS certificates,
           sum(sign * score_sum) AS score_sum, sum(sign * scored) AS scored
    FROM topic_parts GROUP BY unit_id
), declared AS (
    SELECT DISTINCT ON (h.unit_id) h.unit_id, h.headcount
    FROM headcounts h JOIN units u ON u.id = h.unit_id
    WHERE u.path LIKE %(prefix)s AND h.period_start <= %(end)s AND h.period_end >= %(end)s
    ORDER BY h.unit_id, (h.period_start, h.period_end) <> (%(start)s::date, %(end)s::date),
             h.period_end - h.period_start, h.declared_at DESC
), sessions AS (
    SELECT s.unit_id, count(*) AS sessions, count(*) FILTER (WHERE s.form = 'in_person') AS in_person,
           count(*) FILTER (WHERE s.form = 'online') AS online, count(*) FILTER (WHERE s.form = 'combined') AS combined,
           count(*) FILTER (WHERE s.form = 'meeting') AS meeting, sum(s.attendances) AS attendances
    FROM study_sessions s JOIN units u ON u.id = s.unit_id
    WHERE u.path LIKE %(prefix)s AND s.topic_id = %(topic)s AND s.held_on BETWEEN %(start)s AND %(end)s
    GROUP BY s.unit_id
), contests AS (
    SELECT p.unit_id, count(DISTINCT p.id) AS participants, count(e.id) AS attempts
    FROM contest_participants p JOIN contest_entries e ON e.participant_id = p.id
    JOIN attempts a ON a.id = e.attempt_id JOIN units u ON u.id = p.unit_id
    WHERE u.path LIKE %(prefix)s AND a.started_at >= %(low)s AND a.started_at < %(high)s
    GROUP BY p.unit_id
), by_unit AS (
    SELECT u.id AS unit_id, u.path, coalesce(mu.members, 0) AS members,
           coalesce(d.headcount, mu.members, 0) AS headcount,
           (d.unit_id IS NOT NULL)::int AS declared_units,
           (d.unit_id IS NULL AND coalesce(mu.members, 0) > 0)::int AS undeclared_units,
           tu.started, tu.studied_all, tu.passed, tu.completed, tu.completed_to_date, tu.certificates,
           tu.score_sum, tu.scored, mu.attendees, s.sessions, s.in_person, s.online, s.combined, s.meeting,
           s.attendances, c.participants, c.attempts
    FROM units u
    LEFT JOIN members_by_unit mu ON mu.unit_id = u.id LEFT JOIN topic_by_unit tu ON tu.unit_id = u.id
    LEFT JOIN declared d ON d.unit_id = u.id
    LEFT JOIN sessions s ON s.unit_id = u.id LEFT JOIN contests c ON c.unit_id = u.id
    WHERE u.path LIKE %(prefix)s
      AND (mu.unit_id IS NOT NULL OR tu.unit_id IS NOT NULL OR d.unit_id IS NOT NULL OR s.unit_id IS NOT NULL
           OR c.unit_id IS NOT NULL)
)
SELECT child, sum(headcount), sum(members), sum(started), sum(studied_all), sum(passed), sum(completed),
       sum(completed_to_date), sum(certificates), sum(score_sum), sum(scored), sum(attendees), sum(sessions),
       sum(in_person), sum(online), sum(combined), sum(meeting), sum(attendances), sum(participants),
       sum(attempts), sum(declared_units), sum(undeclared_units)
FROM (SELECT coalesce(nullif(split_part(path, '/', %(depth)s + 2), '')::int, 0) AS child, * FROM by_unit) rows
GROUP BY GROUPING SETS ((child), ())
"""
FLOOR_MEMBERS = """
SELECT m.id, m.full_name, m.card_number, u.name, pm.active,
       CASE WHEN pm.completed_at >= %(low)s THEN 'completed' WHEN pm.completed_at IS NOT NULL THEN 'completed_before'
            WHEN pm.passed_by_end THEN 'passed' WHEN pm.studied_all_by_end THEN 'studied_all'
            WHEN pm.started_by_end THEN 'studying' ELSE 'not_started' END,
       (SELECT count(*) FROM lesson_progress lp WHERE lp.member_id = pm.member_id
          AND lp.lesson_id = ANY(%(published)s) AND lp.studied_at < %(high)s),
       (SELECT max(a.percent) FROM attempts a WHERE a.member_id = pm.member_id AND a.quiz_id = ANY(%(quizzes)s)
          AND a.status IN ('submitted', 'expired') AND a.finished_at >= %(low)s AND a.finished_at < %(high)s),
       pm.completed_at,
       (SELECT ce.serial FROM certificates ce WHERE ce.member_id = pm.member_id AND ce.kind = 'completion'
          AND ce.topic_id = %(topic)s AND ce.issued_on <= %(end)s
          AND (ce.revoked_at IS NULL OR ce.revoked_at >= %(high)s))
FROM per_member pm JOIN members m ON m.id = pm.member_id JOIN units u ON u.id = pm.unit_id
WHERE pm.active OR pm.started OR pm.studied_all OR pm.passed OR pm.completed_at >= %(low)s
   OR pm.first_percent IS NOT NULL OR pm.certified OR pm.attended
ORDER BY m.name_folded, m.id
"""
FIGURE_COLUMNS = ("headcount", "members", "started", "studied_all", "passed", "completed", "completed_to_date",
                  "certificates", "score_sum", "scored", "attendees", "sessions", "in_person", "online", "combined",
                  "meeting", "attendances", "contest_participants", "contest_attempts", "declared_units",
                  "undeclared_units")


def floor_params(unit, topic, period) -> dict:
    from core.extensions import db
    from learning.models import Lesson
    from quizzes.models import PURPOSE_FINAL, Quiz
    from units import tree as unit_tree

    lessons = db.session.execute(db.select(Lesson.id, Lesson.published).where(Lesson.topic_id == topic.id)).all()
    low, high = period.utc_bounds
    return {"prefix": unit.path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%",
            "depth": len(unit_tree.path_ids(unit)), "start": period.start, "end": period.end, "low": low, "high": high,
            "topic": topic.id, "lessons": [i for i, _ in lessons], "published": [i for i, p in lessons if p],
            "lesson_count": sum(1 for _, p in lessons if p),
            "quizzes": list(db.session.scalars(db.select(Quiz.id).where(Quiz.topic_id == topic.id,
                                                                         Quiz.purpose == PURPOSE_FINAL)))}


def floor_report(cursor, params: dict) -> dict:
    """{child id (0: the unit's own, None: the total): {column: value}}"""
    cursor.execute(FLOOR_LATER + FLOOR_REPORT, params)
    return {row[0]: dict(zip(FIGURE_COLUMNS, row[1:], strict=True)) for row in cursor.fetchall()}


def floor_members(cursor, params: dict) -> list[tuple]:
    cursor.execute(FLOOR_LATER + FLOOR_PLACED + FLOOR_PER_MEMBER + FLOOR_MEMBERS, params)
    return cursor.fetchall()


def figures_of(row: dict | None):
    """The floor's numbers as the app's Figures, so both go through the same rounding."""
    from reports.services import Figures

    f = Figures()
    if row is None:
        return f
    for name in ("headcount", "members", "started", "studied_all", "passed", "completed", "completed_to_date",
                 "certificates", "scored", "attendees", "sessions", "attendances", "declared_units",
                 "undeclared_units", "contest_participants", "contest_attempts"):
        setattr(f, name, int(row[name] or 0))
    f.score_sum = float(row["score_sum"] or 0)
    f.sessions_by_form = {form: int(row[form] or 0) for form in ("in_person", "online", "combined", "meeting")}
    return f


def same(app_figures, floor_figures) -> bool:
    a, b = app_figures.as_dict(), floor_figures.as_dict()
    a["completed_to_date"], b["completed_to_date"] = app_figures.completed_to_date, floor_figures.completed_to_date
    a["headcount_source"], b["headcount_source"] = app_figures.headcount_source, floor_figures.headcount_source
    return a == b


def check_report(report, floor: dict) -> int:
    """Assert the floor's per-child rows and total equal the app's; returns the rows compared."""
    app_children = {child.id: figures for child, figures in report.rows}
    for child_id, figures in app_children.items():
        assert same(figures, figures_of(floor.get(child_id))), (child_id, figures.as_dict(), floor.get(child_id))
    for child_id in floor:
        if child_id not in (None, 0):
            assert child_id in app_children, f"the floor has child {child_id}, the report has not"
    own = figures_of(floor.get(0))
    if report.own is not None:
        assert same(report.own, own), (report.own.as_dict(), floor.get(0))
    else:
        assert own.is_empty or not report.rows, floor.get(0)
    assert same(report.total, figures_of(floor.get(None))), (report.total.as_dict(), floor.get(None))
    return len(app_children) + 1


def check_members(statuses, rows) -> None:
    assert len(statuses) == len(rows), (len(statuses), len(rows))
    for s, (member_id, full_name, card, unit_name, active, key, studied, best, completed_at, serial) in zip(
            statuses, rows, strict=True):
        assert (s.member_id, s.full_name, s.card_number, s.unit_name, s.active, s.status, s.lessons_studied,
                s.best_score, s.completed_at, s.certificate_serial) == (
            member_id, full_name, card, unit_name, active, key, studied, None if best is None else float(best),
            completed_at, serial), (s, member_id)


# -- measuring --------------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
QUIET, MAX_WAIT = 0.3, 120.0


def machine_busy() -> tuple[float, float]:
    """(busy seconds, total seconds) over all cores, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / CLOCK_TICKS, sum(values) / CLOCK_TICKS


def cores_busy(seconds: float = 2.0) -> float:
    busy0, total0 = machine_busy()
    time.sleep(seconds)
    busy1, total1 = machine_busy()
    return (busy1 - busy0) / (total1 - total0) * os.cpu_count()


def wait_for_quiet(limit: float, max_wait: float) -> float:
    """Wait (up to max_wait seconds) until other processes use under ``limit`` cores; return what they used."""
    started = time.monotonic()
    while True:
        cores = cores_busy(3)
        if cores <= limit or time.monotonic() - started >= max_wait:
            return cores
        print(f"  (machine busy: {cores:.2f} cores used by others, waiting)", file=sys.stderr)
        time.sleep(5)


def summary(seconds: list[float]) -> dict:
    return {"median": statistics.median(seconds), "max": max(seconds), "min": min(seconds), "n": len(seconds),
            "all": [round(x, 4) for x in seconds]}


def ms(stat: dict) -> str:
    return f"{1000 * stat['median']:8.1f} / {1000 * stat['max']:8.1f} ms"


class Scene:
    """What the measurements need, looked up once: the topic, the period, the units measured."""

    def __init__(self):
        from sqlalchemy import func

        from core.extensions import db
        from learning.models import Topic
        from reports import services
        from units.models import Member, Unit

        self.topic = db.session.scalar(db.select(Topic).where(Topic.slug == TOPIC))
        self.period = services.presets(self.topic, date(2026, 1, 1))[0]  # the page's default: to the due date
        assert (self.period.start, self.period.end) == (START, DUE), self.period
        province = db.session.scalar(db.select(Unit).where(Unit.parent_id.is_(None)))
        sizes = dict(db.session.execute(db.select(Member.unit_id, func.count()).group_by(Member.unit_id)).all())
        units = db.session.execute(db.select(Unit.id, Unit.path, Unit.depth, Unit.status)).all()
        subtree = {}
        for unit_id, path, depth, _status in units:
            for part in path.strip("/").split("/")[:2]:
                if depth >= 1 and int(part) != province.id:
                    subtree[int(part)] = subtree.get(int(part), 0) + sizes.get(unit_id, 0)
        district_id = max(subtree, key=subtree.get)
        grassroots = sorted((sizes.get(unit_id, 0), unit_id) for unit_id, _, depth, status in units
                            if depth == 3 and status == "active" and sizes.get(unit_id))
        school_size, school_id = grassroots[len(grassroots) // 2]
        big_size, big_id = grassroots[-1]
        self.codes = {}
        self.sizes = {"province": sum(sizes.values()), "district": subtree[district_id], "school": school_size,
                      "enterprise": big_size}
        for key, unit_id in (("province", province.id), ("district", district_id), ("school", school_id),
                             ("enterprise", big_id)):
            self.codes[key] = db.session.get(Unit, unit_id).code

    def unit(self, key: str):
        from core.extensions import db
        from units.models import Unit

        return db.session.scalar(db.select(Unit).where(Unit.code == self.codes[key]))

    def query_string(self) -> str:
        return f"topic={TOPIC}&from={self.period.start.isoformat()}&to={self.period.end.isoformat()}"


LISTS_MEMBERS = {"province": False, "district": False, "school": True, "enterprise": True}


def app_call(scene: Scene, key: str):
    """The app's work for one target, in a fresh session: the report, and the member list of a grassroots unit."""
    from core.extensions import db
    from reports import services

    try:
        unit = scene.unit(key)
        report = services.completion_report(unit, scene.topic, scene.period)
        statuses = services.member_statuses(unit, scene.topic, scene.period) if LISTS_MEMBERS[key] else None
        return report, statuses
    finally:
        db.session.remove()  # closes the transaction (a rollback) and keeps the objects readable


# The floor is the faster of these: the statement as the app runs it (work_mem at PostgreSQL's default), and
# with room for every hash table in memory, which the app does not ask for.
FLOOR_CANDIDATES = ["4MB", "64MB"]


def floor_call(connection, params: dict, key: str, work_mem: str):
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL jit = off; SET LOCAL random_page_cost = 1.1; SET LOCAL work_mem = '{work_mem}'")
        report = floor_report(cursor, params)
        members = floor_members(cursor, params) if LISTS_MEMBERS[key] else None
    connection.rollback()
    return report, members


def raw_connection(database_url: str):
    import psycopg
    from sqlalchemy.engine import make_url

    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    return psycopg.connect(dsn)  # floor_call sets what the app sets (jit, random_page_cost) and work_mem


def measure_app(app, database_url: str, repeat: int, cold: int, show_sql: bool, explain: bool,
                targets: list[str]) -> dict:
    from sqlalchemy import event

    from core.extensions import db

    results = {}
    with app.app_context():
        scene = Scene()
        db.session.remove()
    print(f"\nunits measured: {scene.codes} members: {scene.sizes}; period {scene.period.dates}")
    if show_sql or explain:
        show_statements(app, scene, explain, database_url, targets[0])
    for key in targets:
        others = wait_for_quiet(QUIET, MAX_WAIT)
        load_before = load_average()
        with app.app_context():
            unit = scene.unit(key)
            params = floor_params(unit, scene.topic, scene.period)
            db.session.remove()
            report, statuses = app_call(scene, key)  # warm-up, and the numbers to compare
            if key == "province":
                t = report.total
                print(f"  province totals for the period: {t.members:,} members, started {t.started:,}, studied all "
                      f"{t.studied_all:,}, passed {t.passed:,}, completed {t.completed:,} ({t.completion_rate} % of "
                      f"{t.headcount:,}), certificates {t.certificates:,}, sessions {t.sessions:,} "
                      f"({t.attendees:,} attendees listed), contest {t.contest_participants:,} / "
                      f"{t.contest_attempts:,}; {len(report.rows)} districts, {len(report.behind)} behind")
            connection = raw_connection(database_url)
            candidates = {}
            for work_mem in FLOOR_CANDIDATES:
                for _ in range(2):
                    t0 = time.perf_counter()
                    floor, members = floor_call(connection, params, key, work_mem)
                    seconds = time.perf_counter() - t0
                    candidates[work_mem] = min(seconds, candidates.get(work_mem, seconds))
                compared = check_report(report, floor)
                if statuses is not None:
                    check_members(statuses, members)
                db.session.remove()
            work_mem = min(candidates, key=candidates.get)
            app_times, floor_times = [], []
            statements = [0]

            def count(*_):
                statements[0] += 1  # noqa: B023 (listened to and removed within this iteration)

            event.listen(db.engine, "before_cursor_execute", count)
            for _ in range(repeat):  # interleaved, so a burst of load hits both alike
                t0 = time.perf_counter()
                app_call(scene, key)
                app_times.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                floor_call(connection, params, key, work_mem)
                floor_times.append(time.perf_counter() - t0)
            event.remove(db.engine, "before_cursor_execute", count)
            connection.close()
        cold_times = [cold_run(database_url, key) for _ in range(cold)] if cold else []
        entry = {"unit": scene.codes[key], "members": scene.sizes[key], "app": summary(app_times),
                 "floor": summary(floor_times), "floor_work_mem": work_mem,
                 "floor_candidates": {f"work_mem {c}": t for c, t in candidates.items()},
                 "ratio": statistics.median(app_times) / statistics.median(floor_times),
                 "statements_per_call": statements[0] / repeat, "rows_compared": compared,
                 "members_listed": len(statuses) if statuses is not None else None,
                 "cold_app": summary(cold_times) if cold_times else None,
                 "others_cores_before": others, "loadavg": [load_before, load_average()]}
        results[key] = entry
        print(f"  {key:<10} {entry['members']:>9,} members  app {ms(entry['app'])}  floor (work_mem {work_mem}) "
              f"{ms(entry['floor'])}  ratio {entry['ratio']:.2f}"
              + (f"  cold app {ms(entry['cold_app'])}" if cold_times else "")
              + f"  [{entry['statements_per_call']:.0f} statements; numbers equal on {compared} rows"
              + (f", {entry['members_listed']} members listed" if statuses is not None else "")
              + f"; loadavg {load_before} -> {entry['loadavg'][1]}]")
    return results


def cold_run(database_url: str, key: str) -> float:
    """The target once in a new process: a new connection, nothing compiled or cached on the Python side."""
    out = subprocess.run([sys.executable, __file__, "--database-url", database_url, "--cold-child", key],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["seconds"]


def cold_child(database_url: str, key: str) -> None:
    app = make_app(database_url)
    with app.app_context():
        scene = Scene()
        from core.extensions import db
        db.session.remove()
        db.engine.dispose()
        t0 = time.perf_counter()
        if key.startswith("http:"):
            client = admin_client(app)
            response = client.get(f"/reports/{scene.codes[key[5:]]}?{scene.query_string()}")
            assert response.status_code == 200, response.status_code
        else:
            app_call(scene, key)
        print(json.dumps({"seconds": time.perf_counter() - t0}))


def show_statements(app, scene: Scene, explain: bool, database_url: str, key: str) -> None:
    """Print the report's statements for the first of --targets (and their plans), then the floor's plan."""
    from sqlalchemy import event

    from core.extensions import db
    from reports import services

    seen = []

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["t0"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters, time.perf_counter() - conn.info["t0"]))

    with app.app_context():
        unit = scene.unit(key)
        app_call(scene, key)
        event.listen(db.engine, "before_cursor_execute", before)
        event.listen(db.engine, "after_cursor_execute", after)
        unit = scene.unit(key)
        services.completion_report(unit, scene.topic, scene.period)
        event.remove(db.engine, "before_cursor_execute", before)
        event.remove(db.engine, "after_cursor_execute", after)
        print(f"\n-- the {key} report: {len(seen)} statements")
        for statement, parameters, seconds in seen:
            print(f"\n-- {1000 * seconds:.1f} ms\n{statement}\n-- {parameters}")
            if explain and statement.lstrip().upper().startswith(("SELECT", "WITH")):
                raw = db.session.connection().connection.driver_connection
                with raw.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                    print("\n".join(row[0] for row in cursor.fetchall()))
        db.session.rollback()
        params = floor_params(unit, scene.topic, scene.period)
        db.session.remove()
    if explain:
        connection = raw_connection(database_url)
        with connection.cursor() as cursor:
            cursor.execute("SET jit = off; SET random_page_cost = 1.1")
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + FLOOR_LATER + FLOOR_REPORT,
                           params)
            print(f"\n-- the floor, {key}\n" + "\n".join(row[0] for row in cursor.fetchall()))
        connection.close()


def admin_client(app):
    """A test client carrying the session cookie a login of the administrator would set."""
    from flask import session
    from flask_login import login_user

    from accounts.models import User
    from core.extensions import db

    serializer = app.session_interface.get_signing_serializer(app)
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == ADMIN))
        with app.test_request_context("/"):
            login_user(user)
            cookie = serializer.dumps(dict(session))
        db.session.remove()
    client = app.test_client()
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
    return client


def measure_http(app, database_url: str, repeat: int, cold: int) -> dict:
    from core.extensions import db

    with app.app_context():
        scene = Scene()
        db.session.remove()
    client = admin_client(app)
    results = {}
    for key in ("province", "school"):
        others = wait_for_quiet(QUIET, MAX_WAIT)
        load_before = load_average()
        url = f"/reports/{scene.codes[key]}?{scene.query_string()}"
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        page = response.get_data(as_text=True)
        assert "TỔNG CỘNG" in page
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            response = client.get(url)
            body = response.get_data()
            times.append(time.perf_counter() - t0)
            assert response.status_code == 200
        cold_times = [cold_run(database_url, f"http:{key}") for _ in range(cold)] if cold else []
        results[key] = {"url": url, "bytes": len(body), "get": summary(times),
                        "cold": summary(cold_times) if cold_times else None, "others_cores_before": others,
                        "loadavg": [load_before, load_average()]}
        print(f"  GET {url}: {len(body) / 1024:.0f} KiB, {ms(results[key]['get'])}"
              + (f", cold {ms(results[key]['cold'])}" if cold_times else "")
              + f"  [loadavg {load_before} -> {load_average()}]")
    return results


EXPORTS = [("province.xlsx", "province", "export.xlsx"), ("enterprise.xlsx", "enterprise", "export.xlsx"),
           ("enterprise members.csv", "enterprise", "members.csv"), ("province members.csv", "province", "members.csv")]


def measure_exports(app, database_url: str, lxml: str | None) -> dict:
    results = {}
    runs = [(name, key, path, None) for name, key, path in EXPORTS]
    if lxml:  # openpyxl writes through lxml when it can import it; it is not in requirements.txt
        runs += [(f"{name} (lxml)", key, path, lxml) for name, key, path in EXPORTS if path.endswith(".xlsx")]
    for name, key, path, pythonpath in runs:
        others = wait_for_quiet(QUIET, MAX_WAIT)
        env = dict(os.environ, PYTHONPATH=pythonpath) if pythonpath else None
        out = subprocess.run([sys.executable, __file__, "--database-url", database_url, "--export-child",
                              f"{key}:{path}"], capture_output=True, text=True, env=env)
        if out.returncode:
            raise RuntimeError(out.stderr)
        entry = json.loads(out.stdout.strip().splitlines()[-1])
        entry["others_cores_before"] = others
        results[name] = entry
        print(f"  {name:<24} {entry['seconds']:7.1f} s  {entry['bytes'] / 2**20:7.1f} MiB  {entry['lines']:>9,} lines"
              f"  peak RSS {entry['hwm_after']:.0f} MiB (before the request {entry['rss_before']:.0f} MiB, "
              f"+{entry['hwm_after'] - entry['hwm_before']:.0f})  [loadavg {entry['loadavg']}]")
    return results


def export_child(database_url: str, target: str) -> None:
    key, path = target.split(":")
    app = make_app(database_url)
    from core.extensions import db

    with app.app_context():
        scene = Scene()
        db.session.remove()
    client = admin_client(app)
    url = f"/reports/{scene.codes[key]}/{path}?{scene.query_string()}"
    rss_before, hwm_before = vm_rss_mib(), vm_hwm_mib()
    t0 = time.perf_counter()
    response = client.get(url, buffered=False)
    assert response.status_code == 200, response.status_code
    size = lines = 0
    with open(os.devnull, "wb") as sink:
        for chunk in response.iter_encoded():
            sink.write(chunk)
            size += len(chunk)
            lines += chunk.count(b"\n")
    response.close()
    seconds = time.perf_counter() - t0
    from openpyxl import LXML

    print(json.dumps({"url": url, "seconds": seconds, "openpyxl_lxml": LXML, "bytes": size,
                      "lines": lines if path.endswith(".csv") else 0,
                      "rss_before": rss_before, "hwm_before": hwm_before, "hwm_after": vm_hwm_mib(),
                      "loadavg": load_average()}))


def make_app(database_url: str):
    from app import create_app
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": False,
                       "WTF_CSRF_ENABLED": False, "SESSION_COOKIE_SECURE": False, "SERVER_NAME": None})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--cold", type=int, default=3)
    parser.add_argument("--skip-load", action="store_true", help="measure the database as it is")
    parser.add_argument("--only", default="load,app,http,exports")
    parser.add_argument("--show-sql", action="store_true")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--targets", default="province,district,school,enterprise")
    parser.add_argument("--quiet", type=float, default=0.3,
                        help="wait (at most --max-wait s) until others use under this many cores")
    parser.add_argument("--max-wait", type=float, default=120)
    parser.add_argument("--lxml", metavar="DIR", help="also export the .xlsx with lxml importable from DIR "
                        "(pip install --target DIR lxml)")
    parser.add_argument("--json")
    parser.add_argument("--cold-child", help=argparse.SUPPRESS)
    parser.add_argument("--export-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    global QUIET, MAX_WAIT
    QUIET, MAX_WAIT = args.quiet, args.max_wait
    if args.cold_child:
        return cold_child(args.database_url, args.cold_child)
    if args.export_child:
        return export_child(args.database_url, args.export_child)
    only = set(args.only.split(","))
    app = make_app(args.database_url)
    result = {}
    if "load" in only and not args.skip_load:
        info = load(app, args.database_url, args.members, args.units)
        result["load"] = {"seconds": info["load_seconds"], "counts": info["counts"]}
    print(f"\nmachine: {os.cpu_count()} cores, loadavg {load_average()}")
    if "app" in only:
        print(f"\nreports in-process: median / max of {args.repeat} warm runs (after one untimed), "
              f"cold = {args.cold} fresh processes")
        result["app"] = measure_app(app, args.database_url, args.repeat, args.cold, args.show_sql, args.explain,
                                    args.targets.split(","))
    if "http" in only:
        print(f"\nthe report page through the test client, as an administrator: median / max of {args.repeat}")
        result["http"] = measure_http(app, args.database_url, args.repeat, args.cold)
    if "exports" in only:
        print("\nexports through the test client, each in a process of its own, streamed to /dev/null:")
        result["exports"] = measure_exports(app, args.database_url, args.lxml)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
