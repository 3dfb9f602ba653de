"""deploy/nginx-hoctap.conf run on loopback: the shipped file itself, so that what is checked
here (bench/topology.py, tests/test_deploy_nginx.py) is what a federation's IT staff copies.

Changed on the way: every upstream lists the given 127.0.0.1 ports; the port-80 redirect and TLS
go (plain HTTP on one port); static files come from this checkout; nginx gets its own prefix,
pid file, logs and temp paths, so it runs beside anything else as any user.
"""
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPLOY_CONF = ROOT / "deploy" / "nginx-hoctap.conf"
NGINX = "/usr/sbin/nginx"

UPSTREAM = re.compile(r"^upstream (\w+) \{\n(.*?)^\}\n", re.M | re.S)
REDIRECT_SERVER = re.compile(r"^server \{\n    listen 80;\n.*?^\}\n\n", re.M | re.S)


def upstreams(text: str) -> dict[str, str]:
    """Each upstream block of an nginx file: its name and its body (the server lines)."""
    return {match.group(1): match.group(2) for match in UPSTREAM.finditer(text)}


def write_config(prefix: Path, port: int, pools: dict[str, list[int]], *, driver_forwards_for: bool = False) -> Path:
    """nginx.conf under prefix; pools maps each upstream of the deploy file to its app ports.

    driver_forwards_for: the load driver plays the public and names each contestant's address in
    X-Forwarded-For, which nginx then takes as the client's (real_ip from 127.0.0.1).
    """
    text = DEPLOY_CONF.read_text()
    if sorted(upstreams(text)) != sorted(pools):
        raise ValueError(f"{DEPLOY_CONF.name} has the upstreams {sorted(upstreams(text))}, not {sorted(pools)}")

    def loopback_servers(match: re.Match) -> str:
        servers = "".join(f"    server 127.0.0.1:{p} max_fails=0;\n" for p in pools[match.group(1)])
        return f"upstream {match.group(1)} {{\n{servers}}}\n"

    text = UPSTREAM.sub(loopback_servers, text)
    text, redirects = REDIRECT_SERVER.subn("", text)
    text, listens = re.subn(r"^    listen 443 ssl http2;$", f"    listen 127.0.0.1:{port};", text, flags=re.M)
    text = re.sub(r"^    ssl_certificate.*\n", "", text, flags=re.M)
    text, statics = re.subn(r"alias /srv/hoctap/static/;", f"alias {ROOT}/static/;", text)
    if (redirects, listens, statics) != (1, 1, 1):
        raise ValueError(f"{DEPLOY_CONF.name} no longer has the shape this script rewrites")
    if driver_forwards_for:
        text = text.replace("    server_name hoctap.example.vn;\n",
                            "    server_name hoctap.example.vn;\n"
                            "    set_real_ip_from 127.0.0.1;\n    real_ip_header X-Forwarded-For;\n")
    for folder in ("logs", "temp/body", "temp/proxy", "temp/fastcgi", "temp/uwsgi", "temp/scgi"):
        (prefix / folder).mkdir(parents=True, exist_ok=True)
    user = "user root;" if os.geteuid() == 0 else ""  # as root, workers would otherwise be nobody
    conf = prefix / "nginx.conf"
    conf.write_text(f"""{user}
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log warn;
events {{ worker_connections 4096; }}
http {{
    client_body_temp_path {prefix}/temp/body;
    proxy_temp_path {prefix}/temp/proxy;
    fastcgi_temp_path {prefix}/temp/fastcgi;
    uwsgi_temp_path {prefix}/temp/uwsgi;
    scgi_temp_path {prefix}/temp/scgi;
    log_format upstream '$remote_addr $upstream_addr $status $request_time "$request"';
    access_log {prefix}/logs/access.log upstream;
{text}}}
""")
    return conf
