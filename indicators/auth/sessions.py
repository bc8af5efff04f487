"""Sign-in sessions held by the store: a sign-in lasts across reloads, tabs and app processes.

A session is a row of web_session (migration 006). The browser holds a random token in an
HttpOnly cookie signed with the installation's secret; the store keeps only its SHA-256, so a
copy of the database signs nobody in. The cookie is set by an HTTP route of the app server
(indicators/web/asgi.py), never by JavaScript:

1. the sign-in form checks the password and calls `start`, which makes the session and a
   one-time hand-off code (a minute, single use), and remembers the session in the tab;
2. the page sends the browser to /auth/session?code=…; the route calls `exchange`, which gives
   the session a new token in exchange for the code, sets the cookie and redirects to the page
   the person was going to;
3. every page run calls `check` with the tab's session id or the cookie's token: a session ended
   (sign-out, an admin, a password change, the account disabled) or idle longer than the
   time-out signs the tab out at its next interaction.

Every function takes a connection opened by store.gate (a write where it says so); the caller
owns the transaction. Sessions are not data a cached page shows: their writes leave the data
version alone.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb

from indicators.store.audit import audit

COOKIE = "chitieu_phien"
CODE_SECONDS = 60
TOUCH_SECONDS = 60      # last_seen is written at most this often per session (a write each time)
ENDED = {
    "sign_out": "Đã đăng xuất.",
    "idle": "Phiên làm việc đã hết hạn do không hoạt động; hãy đăng nhập lại.",
    "ended_by_admin": "Quản trị viên đã kết thúc các phiên đăng nhập của tài khoản này; hãy đăng nhập lại.",
    "password_changed": "Mật khẩu của tài khoản đã được đổi; hãy đăng nhập lại bằng mật khẩu mới.",
    "account_disabled": "Tài khoản đã bị vô hiệu hóa.",
}


@dataclass(frozen=True)
class Session:
    session_id: str
    user_name: str
    last_seen: datetime
    ended_reason: str | None

    @property
    def is_ended(self) -> bool:
        return self.ended_reason is not None


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _secret(con: duckdb.DuckDBPyConnection, *, create: bool) -> bytes | None:
    row = con.execute("select value from server_secret where name = 'cookie'").fetchone()
    if row is None and create:
        value = secrets.token_hex(32)
        con.execute("insert into server_secret (name, value) values ('cookie', $v) on conflict do nothing",
                    {"v": value})
        row = con.execute("select value from server_secret where name = 'cookie'").fetchone()
    return bytes.fromhex(row[0]) if row else None


def _signature(key: bytes, token: str) -> str:
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()


def safe_next(path: str | None) -> str:
    """`path` when it is a path of this app ('/nhap-so-lieu?ky=2026'), else '/': never another
    site ('//evil.example', 'https://…', '/\\evil'), never a control character."""
    if not path or not path.startswith("/") or path.startswith(("//", "/\\")):
        return "/"
    if any(ord(c) < 0x20 or c == "\\" for c in path) or len(path) > 2000:
        return "/"
    return path


def start(con: duckdb.DuckDBPyConnection, user_name: str, *, client: str | None = None,
          next_path: str | None = None, now: datetime | None = None) -> tuple[str, str]:
    """A new session for a signed-in account (in a write): returns (session_id, hand-off code)."""
    now = now or datetime.now()
    _secret(con, create=True)
    session_id, code = secrets.token_urlsafe(18), secrets.token_urlsafe(32)
    con.execute("insert into web_session (session_id, user_name, code_hash, code_expires_at, next_path, "
                "created_at, last_seen, client) values ($s, $u, $c, $e, $n, $t, $t, $cl)",
                {"s": session_id, "u": user_name, "c": _digest(code), "e": now + timedelta(seconds=CODE_SECONDS),
                 "n": safe_next(next_path), "t": now, "cl": client})
    return session_id, code


def exchange(con: duckdb.DuckDBPyConnection, code: str, now: datetime | None = None
             ) -> tuple[str, str] | None:
    """(cookie value, next path) for a valid, unused hand-off code, in a write; None otherwise.
    The code is spent either way it is found."""
    now = now or datetime.now()
    row = con.execute("select session_id, user_name, code_expires_at, ended_at, next_path from web_session "
                      "where code_hash = $c", {"c": _digest(code)}).fetchone()
    if row is None:
        return None
    session_id, user_name, expires, ended, next_path = row
    con.execute("update web_session set code_hash = null, code_expires_at = null where session_id = $s",
                {"s": session_id})
    if ended is not None or expires is None or expires < now:
        return None
    token = secrets.token_urlsafe(32)
    con.execute("update web_session set token_hash = $h where session_id = $s", {"h": _digest(token), "s": session_id})
    key = _secret(con, create=True)
    return f"{token}.{_signature(key, token)}", safe_next(next_path)


def from_cookie(con: duckdb.DuckDBPyConnection, cookie: str | None) -> Session | None:
    """The session a cookie value names, when its signature is right (ended or not)."""
    if not cookie or cookie.count(".") != 1:
        return None
    token, signature = cookie.split(".")
    key = _secret(con, create=False)
    if key is None or not hmac.compare_digest(_signature(key, token), signature):
        return None
    return _session(con, "token_hash = $k", _digest(token))


def by_id(con: duckdb.DuckDBPyConnection, session_id: str | None) -> Session | None:
    return _session(con, "session_id = $k", session_id) if session_id else None


def _session(con: duckdb.DuckDBPyConnection, where: str, key: str) -> Session | None:
    row = con.execute(f"select session_id, user_name, last_seen, ended_reason from web_session where {where}",
                      {"k": key}).fetchone()
    return Session(*row) if row else None


def is_idle(session: Session, idle_minutes: int, now: datetime | None = None) -> bool:
    return (now or datetime.now()) - session.last_seen > timedelta(minutes=idle_minutes)


def needs_touch(session: Session, now: datetime | None = None) -> bool:
    return (now or datetime.now()) - session.last_seen > timedelta(seconds=TOUCH_SECONDS)


def touch(con: duckdb.DuckDBPyConnection, session_id: str, now: datetime | None = None) -> None:
    """Record activity (in a write)."""
    con.execute("update web_session set last_seen = $t where session_id = $s and ended_at is null",
                {"t": now or datetime.now(), "s": session_id})


def end(con: duckdb.DuckDBPyConnection, session_id: str, reason: str, actor: str | None = None,
        now: datetime | None = None) -> bool:
    """End one session (in a write), audited; False when it had already ended."""
    row = con.execute("select user_name from web_session where session_id = $s and ended_at is null",
                      {"s": session_id}).fetchone()
    if row is None:
        return False
    con.execute("update web_session set ended_at = $t, ended_reason = $r where session_id = $s",
                {"t": now or datetime.now(), "r": reason, "s": session_id})
    action = "sign_out" if reason == "sign_out" else "session_ended"
    audit(con, actor or row[0], action, f"phiên {session_id[:8]}… của {row[0]} kết thúc: {ENDED.get(reason, reason)}")
    return True


def end_all(con: duckdb.DuckDBPyConnection, user_name: str, reason: str, actor: str,
            keep: str | None = None, now: datetime | None = None) -> int:
    """End every open session of an account but `keep` (in a write), with one audit event;
    returns how many ended."""
    ids = [r[0] for r in con.execute(
        "select session_id from web_session where user_name = $u and ended_at is null and session_id <> $k",
        {"u": user_name, "k": keep or ""}).fetchall()]
    if ids:
        con.execute("update web_session set ended_at = $t, ended_reason = $r where session_id in "
                    "(select unnest($ids))", {"t": now or datetime.now(), "r": reason, "ids": ids})
        audit(con, actor, "session_ended", f"kết thúc {len(ids)} phiên đăng nhập của {user_name}: "
                                           f"{ENDED.get(reason, reason)}")
    return len(ids)


def open_sessions(con: duckdb.DuckDBPyConnection, user_name: str) -> int:
    return con.execute("select count(*) from web_session where user_name = $u and ended_at is null",
                       {"u": user_name}).fetchone()[0]
