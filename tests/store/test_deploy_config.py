"""The nginx configuration a province copies (docs/deploy/nginx-chitieu.conf), run by Debian's nginx
in front of two stand-in app processes: what its IT staff and its users would notice.

- HTTPS answers with the security headers on every response (an `add_header` inside a location
  silently drops the server's: the file repeats them, and this checks they arrive);
- plain HTTP is sent to HTTPS;
- a browser's first response sets the route cookie (HttpOnly, Secure); with it, every request
  reaches the same process; without it, browsers spread over the processes;
- when that process is gone, the same browser is served by the other one.

The stand-ins are tiny HTTP servers that say which one answered (the app itself behind nginx is
tested by tests/store/test_cluster_load.py and tests/browser/test_cluster.py). Only the ports,
the certificate's paths and the process list are replaced for the test."""
from __future__ import annotations

import http.server
import os
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pytest

from indicators.paths import PROJECT_ROOT
from tests.conftest import missing

CONF = PROJECT_ROOT / "docs" / "deploy" / "nginx-chitieu.conf"
SECURITY_HEADERS = {"Content-Security-Policy": "frame-ancestors 'none'", "X-Content-Type-Options": "nosniff",
                    "Strict-Transport-Security": "max-age=31536000", "Referrer-Policy": "same-origin"}
START_S = 30


def _nginx() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if found and shutil.which("openssl"):
        return found
    missing("Debian's nginx and openssl are not installed (apt-get install nginx-light)",
            "deploy configuration test skipped")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Backend:
    """A stand-in app process: answers every GET with its name."""

    def __init__(self, name: str):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):   # noqa: N802 — http.server's name
                body = name.encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.name = name
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxy(tmp_path):
    nginx = _nginx()
    backends = [_Backend("app-1"), _Backend("app-2")]
    https_port, http_port = _free_port(), _free_port()
    cert, key = tmp_path / "fullchain.pem", tmp_path / "privkey.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=chitieu.soyte.local", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    site = CONF.read_text(encoding="utf-8")
    servers = re.findall(r"^    server 127\.0\.0\.1:\d+ ", site, flags=re.M)
    assert len(servers) == 2, "the shipped upstream lists two processes on this machine"
    for line, backend in zip(servers, backends):
        site = site.replace(line, f"    server 127.0.0.1:{backend.port} ", 1)
    site = (site.replace("listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;")
                .replace("listen 80;", f"listen 127.0.0.1:{http_port};")
                .replace("/etc/ssl/chitieu/fullchain.pem", str(cert))
                .replace("/etc/ssl/chitieu/privkey.pem", str(key)))
    (tmp_path / "chitieu.conf").write_text(site, encoding="utf-8")
    (tmp_path / "tmp").mkdir()
    user = "user nobody nogroup;\n" if os.geteuid() == 0 else ""
    (tmp_path / "nginx.conf").write_text(
        f"daemon off;\n{user}worker_processes 1;\npid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
        "events { worker_connections 64; }\n"
        f"http {{\n  access_log off;\n  client_body_temp_path {tmp_path}/tmp/body;\n"
        f"  proxy_temp_path {tmp_path}/tmp/proxy;\n  fastcgi_temp_path {tmp_path}/tmp/fastcgi;\n"
        f"  uwsgi_temp_path {tmp_path}/tmp/uwsgi;\n  scgi_temp_path {tmp_path}/tmp/scgi;\n"
        f"  include {tmp_path}/chitieu.conf;\n}}\n", encoding="utf-8")
    args = [nginx, "-p", f"{tmp_path}/", "-c", str(tmp_path / "nginx.conf"), "-e", str(tmp_path / "error.log")]
    checked = subprocess.run([*args, "-t", "-q"], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, f"nginx -t refuses the shipped configuration:\n{checked.stderr}"
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + START_S
    while True:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", https_port)) == 0:
                break
        assert proc.poll() is None, f"nginx stopped: {proc.stderr.read().decode(errors='replace')}"
        assert time.monotonic() < deadline, "nginx did not listen"
        time.sleep(0.05)
    try:
        yield f"https://127.0.0.1:{https_port}", f"http://127.0.0.1:{http_port}", backends
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        for backend in backends:
            backend.stop()


_TLS = ssl.create_default_context()
_TLS.check_hostname = False
_TLS.verify_mode = ssl.CERT_NONE   # the test's own self-signed certificate


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _get(url: str, cookie: str | None = None):
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=_TLS), _NoRedirect())
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, ""


def test_the_shipped_nginx_config_keeps_a_browser_on_its_process_and_fails_over(proxy):
    https, plain, backends = proxy
    status, headers, _ = _get(plain + "/chi-tieu?indicator=bhyt_coverage")
    assert status == 301 and headers["Location"].startswith("https://"), (status, dict(headers))

    status, headers, first = _get(https + "/")
    assert status == 200 and first in ("app-1", "app-2")
    for name, value in SECURITY_HEADERS.items():
        assert headers.get(name) == value, f"{name} missing from a proxied response: {dict(headers)}"
    cookie = headers["Set-Cookie"]
    assert cookie.startswith("st_route=") and "HttpOnly" in cookie and "Secure" in cookie, cookie
    route = cookie.split(";")[0]

    # With its cookie, a browser always reaches the same process, and gets no new route.
    for _ in range(8):
        status, headers, answered = _get(https + "/_stcore/health", route)
        assert (status, answered) == (200, first)
        assert "Set-Cookie" not in headers
    # Browsers without a route yet spread over both processes.
    assert {_get(https + "/")[2] for _ in range(40)} == {"app-1", "app-2"}

    # Its process gone, the same browser is served by the other one, still with the headers.
    next(b for b in backends if b.name == first).stop()
    status, headers, answered = _get(https + "/", route)
    assert status == 200 and answered != first
    assert headers.get("Strict-Transport-Security") == SECURITY_HEADERS["Strict-Transport-Security"]
