"""Benchmark: what a member's phone downloads for one lesson page.

    .venv/bin/python bench/page_weight.py [--lesson chuyen-de-2022/muc-dich-yeu-cau]

Starts the app on a temporary SQLite database with the demo data, opens the lesson in
Chromium (360 px wide) as `doanvien`, and lists every request the page made: size as
served and gzip-compressed (level 6, what a reverse proxy such as nginx sends). Fails if
any request goes to another host or if the compressed total reaches 100 KB.
"""
import argparse
import gzip
import logging
import os
import sys
import tempfile
import threading
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

LIMIT = 100 * 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lesson", default="chuyen-de-2022/muc-dich-yeu-cau")
    args = parser.parse_args()
    url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='hoctap-bench-')) / 'bench.db'}"
    os.environ["DATABASE_URL"] = url

    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from app import create_app
    from core.extensions import db

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False,
                      "SESSION_COOKIE_SECURE": False})  # plain HTTP on localhost
    with app.app_context():
        db.create_all()
        seeding = app.test_cli_runner().invoke(args=["seed-demo", "--force"])
        assert seeding.exit_code == 0, seeding.output
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 360, "height": 740})
        page.goto(base + "/accounts/login")
        page.fill("#identifier", "doanvien")
        page.fill("#password", "hoctap2022")
        page.click("main [type=submit]")
        page.wait_for_load_state()
        # A first visit: nothing from the login page may come out of the cache.
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        seen = []
        page.on("requestfinished", lambda request: seen.append(request))
        response = page.goto(f"{base}/learn/{args.lesson}", wait_until="networkidle")
        if not response.ok or "/accounts/login" in page.url:
            sys.exit(f"the lesson did not open: {response.status} {page.url}")
        # The service worker (static/js/sw.js) is fetched once per phone, not per page: its script and
        # the offline page it keeps; the files it also keeps are the page's own, listed above.
        page.evaluate("() => navigator.serviceWorker.ready")
        worker_rows = []
        for path in ("/sw.js", "/offline"):
            body = page.request.get(base + path).body()
            worker_rows.append((path, len(body), len(gzip.compress(body, 6))))
        rows, foreign = [], []
        for request in seen:
            host = urlparse(request.url).netloc
            if host != urlparse(base).netloc:
                foreign.append(request.url)
                continue
            body = request.response().body()
            rows.append((urlparse(request.url).path, len(body), len(gzip.compress(body, 6))))
        browser.close()
    server.shutdown()

    for path, raw, packed in rows:
        print(f"{packed / 1024:8.1f} KB gzip {raw / 1024:8.1f} KB raw  {path}")
    total = sum(packed for _, _, packed in rows)
    print(f"{total / 1024:8.1f} KB gzip {sum(raw for _, raw, _ in rows) / 1024:8.1f} KB raw  "
          f"total, {len(rows)} requests")
    print("service worker, once per phone:")
    for path, raw, packed in worker_rows:
        print(f"{packed / 1024:8.1f} KB gzip {raw / 1024:8.1f} KB raw  {path}")
    if foreign:
        sys.exit(f"requests to other hosts: {foreign}")
    if total >= LIMIT:
        sys.exit(f"over budget: {total / 1024:.1f} KB ≥ 100 KB")


if __name__ == "__main__":
    main()
