"""The app server: Streamlit's own (st.App on Starlette) running app.py, plus the two HTTP
routes that set and clear the sign-in cookie. A cookie set by JavaScript could not be
HttpOnly; these are answered by the server itself (indicators/auth/sessions.py has the flow).

- GET /phien/bat-dau?code=…  exchanges a sign-in's one-time code for the session cookie
  (HttpOnly, SameSite=Lax, Secure over HTTPS) and redirects to the page the visitor was going to;
  an unknown, used or expired code lands on the sign-in page, which says so.
- GET /phien/ket-thuc  clears the cookie (the sign-out button has already ended the session in
  the store) and lands on the sign-in page.

`python -m indicators.web.serve` runs this module with `streamlit run`, which finds `app` here.
"""
from __future__ import annotations

import sys
from pathlib import Path

if str(Path(__file__).resolve().parents[2]) not in sys.path:   # `streamlit run` puts only this folder there
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import streamlit as st  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import RedirectResponse  # noqa: E402
from starlette.routing import Route  # noqa: E402

from indicators.auth import sessions  # noqa: E402
from indicators.paths import PROJECT_ROOT  # noqa: E402
from indicators.store import gate  # noqa: E402

SIGN_IN = "/dang-nhap"


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto", "").lower() == "https"


def start_session(request: Request) -> RedirectResponse:
    code = request.query_params.get("code", "")
    found = None
    if code and len(code) < 200:
        with gate.writing(gate.target(), bump=False) as con:
            found = sessions.exchange(con, code)
    if found is None:
        return RedirectResponse(f"{SIGN_IN}?phien=het-han", status_code=303)
    cookie, next_path = found
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(sessions.COOKIE, cookie, httponly=True, samesite="lax", secure=_secure(request), path="/")
    response.headers["Cache-Control"] = "no-store"
    return response


def end_session(request: Request) -> RedirectResponse:
    response = RedirectResponse(f"{SIGN_IN}?phien=da-dang-xuat", status_code=303)
    response.delete_cookie(sessions.COOKIE, path="/", httponly=True, samesite="lax", secure=_secure(request))
    response.headers["Cache-Control"] = "no-store"
    return response


app = st.App(str(PROJECT_ROOT / "app.py"), routes=[
    Route("/phien/bat-dau", start_session, methods=["GET"]),
    Route("/phien/ket-thuc", end_session, methods=["GET"]),
])
