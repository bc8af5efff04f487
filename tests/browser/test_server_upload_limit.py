"""The server itself refuses an upload over the app's 20 MB limit (issue 12, point 9).

No browser: the app is started as `make run` starts it (`python -m indicators.web.serve`, the
`server` fixture), a visitor who is not signed in opens a session over the websocket as the page
would, and then PUTs a file straight to Streamlit's upload endpoint, past every page. Streamlit
answers 413 before any script sees the file; a small file through the same door is accepted,
so the 413 is the size limit and not a missing token or session.
"""
from __future__ import annotations

import uuid

import pytest
import requests
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import connect

from indicators.excel.safety import MAX_FILE_BYTES
from indicators.web.serve import MAX_UPLOAD_MB

XSRF_COOKIE = "_streamlit_xsrf"


@pytest.fixture
def visitor(server):
    """(base URL, requests session holding the XSRF cookie, id of a live app session)."""
    base = server[0]
    http = requests.Session()
    assert http.get(f"{base}/_stcore/health", timeout=60).status_code == 200   # sets the XSRF cookie, as for the page
    xsrf = http.cookies.get(XSRF_COOKIE)
    assert xsrf, "Streamlit set no XSRF cookie"
    ws_url = base.replace("http://", "ws://") + "/_stcore/stream"
    with connect(ws_url, subprotocols=["streamlit", xsrf], origin=base,
                 additional_headers={"Cookie": f"{XSRF_COOKIE}={xsrf}"}, open_timeout=60,
                 max_size=None) as ws:
        hello = BackMsg()
        hello.rerun_script.query_string = ""   # what the page sends first: run the app, say the session
        ws.send(hello.SerializeToString())
        session_id = None
        while session_id is None:
            msg = ForwardMsg()
            msg.ParseFromString(ws.recv(timeout=120))
            if msg.WhichOneof("type") == "new_session":
                session_id = msg.new_session.initialize.session_id
        http.headers["X-Xsrftoken"] = xsrf
        yield base, http, session_id


def put_file(visitor, data: bytes, *, chunked: bool = False) -> requests.Response:
    base, http, session_id = visitor
    url = f"{base}/_stcore/upload_file/{session_id}/{uuid.uuid4().hex}"
    if not chunked:
        return http.put(url, files={"file": ("so-lieu.xlsx", data)}, timeout=120)
    boundary = uuid.uuid4().hex
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"so-lieu.xlsx\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    def body():   # no Content-Length: the server must count the bytes as they come
        yield head
        for start in range(0, len(data), 1024 * 1024):
            yield data[start:start + 1024 * 1024]
        yield tail
    return http.put(url, data=body(), timeout=120,
                    headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})


def test_the_limit_is_the_apps_own():
    assert MAX_UPLOAD_MB * 1024 * 1024 == MAX_FILE_BYTES == 20 * 1024 * 1024


def test_server_refuses_an_oversized_upload(visitor):
    assert put_file(visitor, b"x" * 1024).status_code == 204           # the door is open ...
    oversized = b"x" * (MAX_FILE_BYTES + 2 * 1024 * 1024)             # ... but not for 22 MB
    assert put_file(visitor, oversized).status_code == 413
    assert put_file(visitor, oversized, chunked=True).status_code == 413
    just_over = b"x" * (MAX_FILE_BYTES + 1)                            # over by one byte, framing aside
    assert put_file(visitor, just_over).status_code == 413
