"""Passwords and sign-in: argon2id hashes, none stored or logged; wrong passwords slowed down.

Throttling (no lock anybody else can trigger). A client is the address the app sees (Streamlit's
`st.context.ip_address`; None — this machine, the command line — counts as one client, "-").
Counts live in the store (`sign_in_throttle`), so every app process sees the same ones:

- **Per client.** After CLIENT_FREE_FAILURES wrong sign-ins from one address (any names), that
  address waits 2^(n − CLIENT_FREE_FAILURES) seconds after its n-th, at most MAX_WAIT, before
  a password it sends is even checked.
- **Per account, applied per client.** Every wrong sign-in for a name counts for the name,
  whatever the address. Once a name has ACCOUNT_FREE_FAILURES of them, an address that got
  that name wrong waits 2^(F − ACCOUNT_FREE_FAILURES) seconds (F: the name's count, at most
  MAX_WAIT) before its next try at that name. Guessing one account from many addresses slows
  every one of them down; the owner, at an address that has not got it wrong, is checked at
  once: no visitor can keep an account, the admin's included, from signing in.

Counts are forgotten FORGET_AFTER after a key's last failure. A throttled attempt costs the same
argon2 work as a checked one, its answer does not depend on whether the name exists (names
that do not exist are counted the same way), and it does not add to the counts. Every attempt is
in the audit log with the client's address.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import duckdb
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from indicators.auth.accounts import Account, AccountError, PermissionDenied, get_account
from indicators.store.audit import audit

MIN_PASSWORD_LENGTH = 10
CLIENT_FREE_FAILURES = 5                # wrong sign-ins from one address before it waits
ACCOUNT_FREE_FAILURES = 10              # wrong sign-ins for one name before its guessers wait
MAX_WAIT = timedelta(minutes=15)        # the longest wait
FORGET_AFTER = timedelta(hours=1)       # a count is dropped this long after its last failure
UNKNOWN_CLIENT = "-"                    # no address: this machine, the command line

REFUSED = "Tên đăng nhập hoặc mật khẩu không đúng."

_hasher = PasswordHasher()              # argon2id with the library's current defaults
_dummy_hash: str | None = None          # verified against when there is no real hash to check


def generate_password() -> str:
    """A random password a person can type (about 96 bits)."""
    return secrets.token_urlsafe(12)


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Mật khẩu phải có ít nhất {MIN_PASSWORD_LENGTH} ký tự.")
    if not password.strip() or len(set(password)) == 1:
        raise AccountError("Mật khẩu không được chỉ gồm khoảng trắng hay một ký tự lặp lại; "
                           "hãy dùng chữ, số và ký hiệu khác nhau.")
    return _hasher.hash(password)


def _wasted_check(password: str) -> None:
    """The argon2 work of a real check, against a hash of nothing (timing reveals no names)."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash(secrets.token_urlsafe(16))
    try:
        _hasher.verify(_dummy_hash, password)
    except (VerificationError, InvalidHashError):
        pass


def _growing(failures: int, free: int) -> timedelta:
    """0 before `free` failures, then 1 s, 2 s, 4 s … at most MAX_WAIT."""
    if failures < free:
        return timedelta(0)
    return min(MAX_WAIT, timedelta(seconds=2 ** min(failures - free, 20)))


def _say_wait(wait: timedelta) -> str:
    """'8 giây', '3 phút'."""
    seconds = max(1, int(-(-wait.total_seconds() // 1)))
    return f"{seconds} giây" if seconds < 120 else f"{-(-seconds // 60)} phút"


def _keys(user_name: str, client: str) -> tuple[str, str, str]:
    """(the client's key, the name's key, the name-at-this-client key) in sign_in_throttle."""
    return f"client|{client}", f"account|{user_name}", f"name|{user_name}|{client}"


def _row(cur: duckdb.DuckDBPyConnection, key: str) -> tuple[int, datetime | None]:
    row = cur.execute("select failures, wait_until from sign_in_throttle where throttle_key = $k",
                      {"k": key}).fetchone()
    return (row[0], row[1]) if row else (0, None)


def _count_failure(cur: duckdb.DuckDBPyConnection, key: str, now: datetime,
                   wait: timedelta | None = None, failures: int | None = None) -> int:
    """Add one failure to `key` (or set it to `failures`); it waits `wait` from now. The count."""
    count = failures if failures is not None else _row(cur, key)[0] + 1
    cur.execute(
        "insert into sign_in_throttle (throttle_key, failures, last_failure_at, wait_until) values ($k, $f, $t, $w) "
        "on conflict (throttle_key) do update set failures = excluded.failures, "
        "last_failure_at = excluded.last_failure_at, wait_until = excluded.wait_until",
        {"k": key, "f": count, "t": now, "w": now + wait if wait else None})
    return count


def wait_before_next(con: duckdb.DuckDBPyConnection, user_name: str, client: str | None,
                     now: datetime | None = None) -> timedelta:
    """How long `client` must wait before its password for `user_name` is checked (0: at once)."""
    now = now or datetime.now()
    cur = con.cursor()
    until = [w for key in _keys(user_name, client or UNKNOWN_CLIENT)[::2]
             if (w := _row(cur, key)[1]) is not None and w > now]
    return max(until) - now if until else timedelta(0)


def sign_in(con: duckdb.DuckDBPyConnection, user_name: str, password: str, *,
            client: str | None = None, now: datetime | None = None) -> Account:
    """The account when the password is right; PermissionDenied otherwise (every outcome logged).

    `client` is the address the attempt came from (None: this machine). See the module's
    docstring for how wrong passwords slow a client down without locking an account.
    """
    now = now or datetime.now()
    client = client or UNKNOWN_CLIENT
    client_key, account_key, name_key = _keys(user_name, client)
    cur = con.cursor()
    cur.execute("delete from sign_in_throttle where last_failure_at < $t", {"t": now - FORGET_AFTER})
    where = f"từ {client}" if client != UNKNOWN_CLIENT else "từ địa chỉ không rõ (máy chủ, dòng lệnh)"

    wait = wait_before_next(con, user_name, client, now)
    if wait > timedelta(0):
        _wasted_check(password)
        audit(con, user_name, "sign_in_throttled", f"đăng nhập {where} khi còn phải đợi {_say_wait(wait)}; "
                                                   "không kiểm tra mật khẩu")
        raise PermissionDenied(f"Đã đăng nhập sai nhiều lần từ máy này; hãy đợi {_say_wait(wait)} rồi thử lại.")

    row = cur.execute("select password_hash, is_active from account where user_name = $u",
                      {"u": user_name}).fetchone()
    right = False
    if row is None:
        _wasted_check(password)
    else:
        try:
            right = _hasher.verify(row[0], password)
        except (VerificationError, InvalidHashError):
            right = False
    if not right:
        client_failures = _row(cur, client_key)[0] + 1
        client_wait = _growing(client_failures, CLIENT_FREE_FAILURES)
        _count_failure(cur, client_key, now, client_wait, client_failures)
        account_failures = _count_failure(cur, account_key, now)
        name_wait = _growing(account_failures, ACCOUNT_FREE_FAILURES)
        _count_failure(cur, name_key, now, name_wait)
        if row is not None:
            cur.execute("update account set failed_attempts = failed_attempts + 1, locked_until = null "
                        "where user_name = $u", {"u": user_name})
        wait = max(client_wait, name_wait)
        audit(con, user_name, "sign_in_failed",
              ("tên đăng nhập không tồn tại" if row is None else "sai mật khẩu")
              + f" {where} (lần sai thứ {client_failures} từ máy này, thứ {account_failures} với tên này)"
              + (f"; phải đợi {_say_wait(wait)}" if wait else ""))
        raise PermissionDenied(REFUSED + (f" Hãy đợi {_say_wait(wait)} trước khi thử lại." if wait else ""))

    password_hash, is_active = row
    if not is_active:
        audit(con, user_name, "sign_in_failed", f"tài khoản đã bị vô hiệu hóa ({where})")
        raise PermissionDenied("Tài khoản đã bị vô hiệu hóa. Hãy liên hệ quản trị viên.")
    if _hasher.check_needs_rehash(password_hash):
        cur.execute("update account set password_hash = $h where user_name = $u",
                    {"h": _hasher.hash(password), "u": user_name})
    cur.execute("update account set failed_attempts = 0, locked_until = null where user_name = $u",
                {"u": user_name})
    cur.execute("delete from sign_in_throttle where throttle_key = $k", {"k": name_key})
    audit(con, user_name, "sign_in", f"đăng nhập thành công {where}")
    return get_account(con, user_name)
