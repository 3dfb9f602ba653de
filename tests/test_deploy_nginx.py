"""deploy/nginx-hoctap.conf, run by Debian's nginx: which pool of an app server answers each path.

Each app server runs the same app twice (deploy/hoctap.service, threaded workers; and
deploy/hoctap-crowd.service, sync workers). Either answers any request correctly; the routing
decides only who waits behind whom and which requests a sync worker's 30-s timeout may stop, so
a contest's crowd must reach the sync pool and the organisers' long downloads must not.
"""
import re
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from app import create_app
from tests.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import loopback_nginx  # noqa: E402  (bench/ is not a package)

pytestmark = pytest.mark.subprocess
CROWD, OFFICERS = "hoctap_crowd", "hoctap"


def _sample_path(rule: str) -> str:
    """A path the rule matches: /contests/<slug>/rounds/<int:number>/start → /contests/thi-thu/rounds/7/start."""
    return re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: "7" if m.group(1) == "int" else "thi-thu", rule)


def _routes(prefixes: tuple[str, ...]) -> list[tuple[str, str, str]]:
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return [(rule.endpoint, method, _sample_path(rule.rule)) for rule in app.url_map.iter_rules()
            if rule.rule.startswith(prefixes) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]


def _pool_answering(name: str) -> ThreadingHTTPServer:
    class Answer(BaseHTTPRequestHandler):
        def _answer(self):
            body = name.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def proxy(tmp_path_factory):
    if not Path(loopback_nginx.NGINX).exists():
        pytest.skip(f"{loopback_nginx.NGINX} is missing (Debian's nginx package; .ci/run installs it)")
    pools = {name: _pool_answering(name) for name in (OFFICERS, CROWD)}
    prefix = tmp_path_factory.mktemp("nginx")
    port = free_port()
    conf = loopback_nginx.write_config(prefix, port, {name: [server.server_address[1]]
                                                      for name, server in pools.items()})
    started = subprocess.run([loopback_nginx.NGINX, "-p", str(prefix), "-c", str(conf)],
                             capture_output=True, text=True, check=False)
    assert started.returncode == 0, started.stderr
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/static/css/app.css", timeout=5).close()
                break
            except OSError:
                time.sleep(0.05)
        yield base
    finally:
        subprocess.run([loopback_nginx.NGINX, "-p", str(prefix), "-c", str(conf), "-s", "quit"],
                       capture_output=True, check=False)
        for _ in range(100):
            if not (prefix / "nginx.pid").exists():
                break
            time.sleep(0.05)
        for server in pools.values():
            server.shutdown()
            server.server_close()


def _pool(base: str, method: str, path: str) -> str:
    request = urllib.request.Request(base + path, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read().decode()


def test_a_contests_crowd_reaches_the_sync_pool_and_organisers_the_threaded_one(proxy):
    routes = _routes(("/contests", "/attempts/", "/accounts/login"))
    assert {endpoint for endpoint, _, _ in routes} >= {
        "contests.landing", "contests.register", "contests.start", "quizzes.attempt", "quizzes.answer",
        "contests.submit", "quizzes.result", "accounts.login", "contest_admin.round_results"}
    wrong = []
    for endpoint, method, path in routes:
        expected = OFFICERS if endpoint.startswith("contest_admin.") else CROWD
        if (answered := _pool(proxy, method, path)) != expected:
            wrong.append(f"{method} {path} ({endpoint}): {answered}, not {expected}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("path", ["/", "/certificates/manage/export.zip?unit=7", "/reports/TINH/members.xlsx",
                                  "/accounts/logout", "/accounts/login-khac", "/healthz"])
def test_everything_else_and_the_long_downloads_reach_the_threaded_pool(proxy, path):
    assert _pool(proxy, "GET", path) == OFFICERS


@pytest.mark.parametrize("path", ["/contests/thi-thu//organise", "/contests/thi-thu/%6Frganise",
                                  "/contests/thi-thu/./organise", "/contests/khac/../thi-thu/organise",
                                  "//contests/thi-thu/rounds/7/results.xlsx"])
def test_spelling_variants_of_an_organisers_path_reach_the_same_pool_as_the_path(proxy, path):
    """nginx matches the path as the app will read it: decoded, slashes merged, dots resolved."""
    assert _pool(proxy, "GET", path) == OFFICERS


def test_static_files_are_served_by_nginx_itself(proxy):
    with urllib.request.urlopen(proxy + "/static/css/app.css", timeout=10) as response:
        assert response.read() == (ROOT / "static" / "css" / "app.css").read_bytes()


def _bound_port(service: str) -> tuple[str, str]:
    """The port a systemd unit's gunicorn binds, and its command."""
    command = re.search(r"^ExecStart=(.*)$", (ROOT / "deploy" / service).read_text(), re.M).group(1)
    return re.search(r"--bind [\d.]+:(\d+)", command).group(1), command


def test_each_upstream_names_the_port_of_its_pools_service():
    upstreams = loopback_nginx.upstreams(loopback_nginx.DEPLOY_CONF.read_text())
    for upstream, service in ((OFFICERS, "hoctap.service"), (CROWD, "hoctap-crowd.service")):
        port, command = _bound_port(service)
        servers = re.findall(r"^\s*server [\d.]+:(\d+)", upstreams[upstream], re.M)
        assert len(servers) >= 2 and set(servers) == {port}, (upstream, servers, port)
        # Sync workers (no --threads) for the crowd; threads for the pool that streams long downloads.
        assert ("--threads" in command) == (upstream == OFFICERS), command
