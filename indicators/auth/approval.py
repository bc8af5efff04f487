"""Approval of reported periods: who may submit, approve and return a locality × period, and what
an approved (locked) period refuses. README, "Vai trò và quyền duyệt".

States of a locality × reporting period (a year '2026', a quarter '2026-Q1', a month '2026-06',
as the store writes periods); a period without a row is open:

    chưa nộp (open) --submit--> đã nộp (submitted) --approve--> đã duyệt (approved)
    submitted | approved --return (with a reason)--> open

- submit: an active officer (or admin) whose scope holds the locality (auth.scope.in_scope).
- approve: the level above the locality. A commune's period: an account holding the 'approve'
  permission whose scope is the commune's province, or an admin. A province's period: an admin.
- return: whoever may approve that period (the level above, or an admin); a reason is required.

Every change writes the current state (`period_approval`), one history row
(`period_approval_history`) and one audit event (`approval_submit`, `approval_approve`,
`approval_return`) in ONE transaction. Every refusal raises PermissionDenied with a Vietnamese
sentence naming the locality, the period, its current state and why, and leaves a `denied`
audit event (written through the caller's connection, outside the refused transaction).

An approved period is locked: `locked_periods` and `locks_of_upload` tell the importer which
rows and reverts to refuse, with `Lock.message` as what the officer reads.

Permissions beyond the role (`account_permission`) are granted and revoked by an admin
(`grant`, `revoke`; audited as `account_change`). Functions take the connection of a write
(store.gate.writing) or, for the lookups, of a read.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import duckdb
import pandas as pd

from indicators.auth.accounts import ROLE_LABELS, Account, AccountError, PermissionDenied, get_account
from indicators.auth.scope import in_scope, require_active, require_role, scope_text
from indicators.store.audit import audit
from indicators.store.sql import query
from indicators.text import fmt

STATES = ("open", "submitted", "approved")
STATE_LABELS = {"open": "chưa nộp", "submitted": "đã nộp", "approved": "đã duyệt"}
RETURNED_LABEL = "đã trả lại"          # open after a return: the officer should see why
VERBS = {"submit": "nộp", "approve": "duyệt", "return": "trả lại"}
NEXT_STATE = {"submit": "submitted", "approve": "approved", "return": "open"}
APPROVE = "approve"
PERMISSIONS = {APPROVE: "duyệt số liệu của các xã/phường trong tỉnh"}
MAX_REASON_CHARS = 1000
_PERIOD = re.compile(r"\d{4}(?:-Q[1-4]|-(?:0[1-9]|1[0-2]))?")


class ApprovalInputError(ValueError):
    """A request that names nothing valid (unknown locality, a period not in the store's form,
    a reason too long); a Vietnamese sentence. Not a refusal: nothing is audited."""


def period_label(period: str) -> str:
    """A period the Vietnamese way: 'Năm 2026', 'Quý I/2026', 'Tháng 06/2026' (text.fmt.period)."""
    return f"Năm {period}" if "-" not in period else fmt.period(period)


def canonical_period(period: str) -> str:
    """The period if it is in the store's form ('2026', '2026-Q1', '2026-06'), else
    ApprovalInputError (the command line parses what people type first)."""
    text = str(period or "").strip()
    if not _PERIOD.fullmatch(text):
        raise ApprovalInputError(f"Kỳ báo cáo “{text}” không hợp lệ; cần dạng 2026, 2026-Q1 (Quý I/2026) "
                                 "hoặc 2026-06 (Tháng 6/2026).")
    return text


def _who(name: str | None, user_name: str) -> str:
    """'Nguyễn Văn An (duyet-hn)', or the user name alone when it is also the display name."""
    return user_name if not name or name == user_name else f"{name} ({user_name})"


def _day(at: datetime | date | None) -> str:
    return at.strftime("%d/%m/%Y") if at else ""


@dataclass(frozen=True)
class Lock:
    """An approved, hence locked, locality × period: who approved it and when."""
    locality_code: str
    locality_name: str
    period: str
    approved_by: str
    approved_by_name: str
    approved_at: datetime

    @property
    def message(self) -> str:
        """What an officer reads when a row or a revert is refused for this lock."""
        return (f"Kỳ {period_label(self.period)} của {self.locality_name} đã được "
                f"{_who(self.approved_by_name, self.approved_by)} duyệt ngày {_day(self.approved_at)}; "
                "muốn sửa, đề nghị người duyệt trả lại kỳ này.")


@dataclass(frozen=True)
class State:
    """The approval state of one locality × period; `step` counts the changes so far."""
    state: str = "open"
    last_action: str | None = None
    changed_by: str | None = None
    changed_by_name: str | None = None
    changed_at: datetime | None = None
    reason: str | None = None
    step: int = 0

    @property
    def described(self) -> str:
        """'đã duyệt bởi Nguyễn Văn An (duyet-hn) ngày 05/04/2026', 'chưa nộp'…"""
        label = STATE_LABELS[self.state]
        if self.changed_by is None:
            return label
        by = f"bởi {_who(self.changed_by_name, self.changed_by)} ngày {_day(self.changed_at)}"
        if self.last_action == "return":
            return f"{label} – {RETURNED_LABEL} {by}, lý do: {self.reason}"
        return f"{label} {by}"


@dataclass(frozen=True)
class Transition:
    """One state change that happened."""
    locality_code: str
    locality_name: str
    period: str
    action: str
    from_state: str
    to_state: str
    user_name: str
    at: datetime
    reason: str | None = None

    @property
    def message(self) -> str:
        text = (f"Đã {VERBS[self.action]} kỳ {period_label(self.period)} của {self.locality_name}: "
                f"{STATE_LABELS[self.from_state]} → {STATE_LABELS[self.to_state]}.")
        return text + (f" Lý do: {self.reason}" if self.reason else "")


def _place(con: duckdb.DuckDBPyConnection, locality_code: str) -> dict:
    row = con.execute(query("locality_by_code"), {"locality": str(locality_code).strip()}).fetchone()
    if row is None:
        raise ApprovalInputError(f"Không có địa phương mã “{locality_code}”. Mã tỉnh gồm 2 chữ số (01, 12), mã "
                                 "xã/phường gồm 5 chữ số (09931), theo danh mục năm 2025.")
    return dict(zip(("locality_code", "name", "level", "parent_code", "parent_name"), row))


def state_of(con: duckdb.DuckDBPyConnection, locality_code: str, period: str) -> State:
    """The current state of a locality × period (open when it never changed)."""
    row = con.execute(query("approval_state"), {"locality": locality_code, "period": period}).fetchone()
    return State(*row) if row else State()


def has_permission(con: duckdb.DuckDBPyConnection, user_name: str, permission: str = APPROVE) -> bool:
    """Whether the account holds the permission (granted by an admin; admins need none)."""
    return con.execute("select count(*) from account_permission where user_name = $u and permission = $p",
                       {"u": user_name, "p": permission}).fetchone()[0] > 0


def may_approve(account: Account, place: dict, holds_approve: bool) -> bool:
    """Whether `account` may approve and return the periods of `place` (pure): an admin for every
    locality; for a commune, an active account holding 'approve' whose scope is its province."""
    if not account.is_active:
        return False
    if account.is_admin:
        return True
    return (holds_approve and place["level"] == "commune" and account.locality_code is not None
            and account.locality_code == place["parent_code"])


def _approver_refusal(con: duckdb.DuckDBPyConnection, account: Account, place: dict, holds: bool) -> str:
    """Why `account` may not approve or return `place`'s periods (wrong role or wrong scope)."""
    who = f"tài khoản “{account.user_name}” ({ROLE_LABELS[account.role]})"
    if place["level"] != "commune":
        return f"số liệu cấp tỉnh chỉ quản trị viên duyệt hoặc trả lại, {who} không phải quản trị viên"
    if not holds:
        return (f"{who} không có quyền duyệt; kỳ báo cáo của một xã do người được cấp quyền duyệt của "
                f"{place['parent_name']} (quản trị viên cấp quyền) hoặc quản trị viên duyệt và trả lại")
    own = _place(con, account.locality_code).get("name") if account.locality_code else None
    where = f"các xã thuộc {own}" if own else "phạm vi của tài khoản"
    return (f"{who} có quyền duyệt cho {where}, không cho {place['name']} (thuộc {place['parent_name']})")


def _refusal(con: duckdb.DuckDBPyConnection, action: str, account: Account, place: dict, now: State,
             reason: str | None) -> str | None:
    """Why `account` may not `action` this period now, or None: role and scope first, then the
    state, then the reason of a return."""
    if action == "submit":
        if not account.has_role("officer"):
            return (f"tài khoản “{account.user_name}” ({ROLE_LABELS[account.role]}) không nộp được kỳ báo cáo; "
                    "chỉ cán bộ nhập liệu của địa phương nộp")
        if not in_scope(account, place["locality_code"], place["parent_code"]):
            return (f"tài khoản “{account.user_name}” chỉ nộp được cho phạm vi {scope_text(account)}, không gồm "
                    f"{place['name']}")
        if now.state == "submitted":
            return "kỳ này đã được nộp và đang chờ duyệt; không nộp lại"
        if now.state == "approved":
            return "kỳ này đã được duyệt; muốn sửa, đề nghị người duyệt trả lại kỳ này"
        return None
    holds = has_permission(con, account.user_name)
    if not may_approve(account, place, holds):
        return _approver_refusal(con, account, place, holds)
    if action == "approve":
        if now.state == "open":
            return "kỳ này chưa được nộp; cán bộ nhập liệu phải nộp trước khi duyệt"
        if now.state == "approved":
            return "kỳ này đã được duyệt rồi"
        return None
    if now.state == "open":
        return "kỳ này đang ở trạng thái chưa nộp; chỉ trả lại được kỳ đã nộp hoặc đã duyệt"
    if not (reason or "").strip():
        return "trả lại cần ghi lý do, để người nộp biết cần sửa gì"
    return None


def _change(con: duckdb.DuckDBPyConnection, action: str, locality_code: str, period: str, user_name: str,
            reason: str | None = None) -> Transition:
    """Check and apply one transition; see the module docstring."""
    period = canonical_period(period)
    place = _place(con, locality_code)
    code, verb = place["locality_code"], VERBS[action]
    if reason is not None and len(reason.strip()) > MAX_REASON_CHARS:
        raise ApprovalInputError(f"Lý do dài {fmt.number(len(reason.strip()), 0)} ký tự; tối đa "
                                 f"{fmt.number(MAX_REASON_CHARS, 0)} ký tự.")
    account = require_active(con, user_name, f"{verb} kỳ báo cáo")   # unknown or disabled: audited there
    reason = reason.strip() if action == "return" and reason else None
    cur = con.cursor()
    cur.execute("begin transaction")
    try:
        now = state_of(cur, code, period)
        why = _refusal(cur, action, account, place, now, reason)
        if why is None:
            at = cur.execute("select current_timestamp::timestamp").fetchone()[0]
            to_state, step = NEXT_STATE[action], now.step + 1
            values = {"locality": code, "period": period, "action": action, "user": user_name, "at": at,
                      "reason": reason, "step": step}
            cur.execute(query("approval_save_state"), {**values, "state": to_state})
            cur.execute(query("approval_add_history"), {**values, "from_state": now.state, "to_state": to_state})
            audit(cur, user_name, f"approval_{action}",
                  f"{verb} kỳ {period_label(period)} của {place['name']} ({code}): {STATE_LABELS[now.state]} → "
                  f"{STATE_LABELS[to_state]}" + (f"; lý do: {reason}" if reason else ""), locality_code=code)
            cur.execute("commit")
        else:
            cur.execute("rollback")
    except BaseException:
        try:
            cur.execute("rollback")
        except duckdb.Error:
            pass
        raise
    if why is not None:
        # Through the caller's connection, in a statement of its own: the refusal stays in the log.
        audit(con, user_name, "denied", f"{verb} kỳ {period_label(period)} của {place['name']} ({code}), "
              f"trạng thái {STATE_LABELS[now.state]}: {why}", locality_code=code)
        raise PermissionDenied(f"Không thể {verb} kỳ {period_label(period)} của {place['name']} "
                               f"(hiện {now.described}): {why}.")
    return Transition(code, place["name"], period, action, now.state, to_state, user_name, at, reason)


def submit(con: duckdb.DuckDBPyConnection, locality_code: str, period: str, user_name: str) -> Transition:
    """chưa nộp → đã nộp, by an officer (or admin) whose scope holds the locality; else
    PermissionDenied (audited)."""
    return _change(con, "submit", locality_code, period, user_name)


def approve(con: duckdb.DuckDBPyConnection, locality_code: str, period: str, user_name: str) -> Transition:
    """đã nộp → đã duyệt (locked), by the level above (may_approve); else PermissionDenied (audited)."""
    return _change(con, "approve", locality_code, period, user_name)


def return_period(con: duckdb.DuckDBPyConnection, locality_code: str, period: str, user_name: str,
                  reason: str | None) -> Transition:
    """đã nộp or đã duyệt → chưa nộp, with a reason, by whoever may approve the period; else
    PermissionDenied (audited). Returning an approved period unlocks it."""
    return _change(con, "return", locality_code, period, user_name, reason)


def approval_list(con: duckdb.DuckDBPyConnection, locality_code: str) -> pd.DataFrame:
    """Per period of the locality (those with reported values or an approval change), newest
    first: period, period_label, state, state_label ('đã trả lại' for a returned period),
    last_action, changed_by, changed_by_name, changed_at, reason, has_values."""
    frame = con.cursor().execute(query("approval_list"), {"locality": locality_code}).df()
    frame.insert(1, "period_label", [period_label(p) for p in frame["period"]])
    labels = [RETURNED_LABEL if a == "return" else STATE_LABELS[s]
              for s, a in zip(frame["state"], frame["last_action"])]
    frame.insert(3, "state_label", labels)
    return frame


def approval_history(con: duckdb.DuckDBPyConnection, locality_code: str, period: str | None = None) -> pd.DataFrame:
    """Every state change of the locality (of one period), oldest first: period, step, action,
    from_state, to_state, changed_by, changed_by_name, changed_at, reason."""
    return con.cursor().execute(query("approval_history"), {"locality": locality_code, "period": period}).df()


def _with_labels(frame: pd.DataFrame) -> pd.DataFrame:
    frame.insert(frame.columns.get_loc("period") + 1, "period_label", [period_label(p) for p in frame["period"]])
    labels = [RETURNED_LABEL if a == "return" else STATE_LABELS[s]
              for s, a in zip(frame["state"], frame["last_action"] if "last_action" in frame else [None] * len(frame))]
    frame.insert(frame.columns.get_loc("state") + 1, "state_label", labels)
    return frame


def approval_list_of(con: duckdb.DuckDBPyConnection, localities: Iterable[str]) -> pd.DataFrame:
    """approval_list for several localities at once (an officer's province and its communes):
    locality_code, locality_name, level, then approval_list's columns; newest period first."""
    frame = con.cursor().execute(query("approval_list_of"), {"localities": sorted(set(localities))}).df()
    return _with_labels(frame)


def approver_reach(con: duckdb.DuckDBPyConnection, account: Account | None) -> str | None:
    """Where `account` may approve (may_approve): 'all' for an admin, a province code for an active
    account holding 'approve' whose scope is that province, else None (not an approver)."""
    if account is None or not account.is_active:
        return None
    if account.is_admin:
        return "all"
    if not account.locality_code or not has_permission(con, account.user_name):
        return None
    place = _place(con, account.locality_code)
    return account.locality_code if place["level"] == "province" else None


def approval_queue(con: duckdb.DuckDBPyConnection, account: Account) -> pd.DataFrame:
    """The submitted and approved locality × periods `account` may approve or return (empty when it
    approves nothing): locality_code, locality_name, level, parent_code, period, period_label,
    state, state_label, submitted_by(_name), submitted_at, changed_by(_name), changed_at."""
    reach = approver_reach(con, account)
    if reach is None:
        return pd.DataFrame(columns=["locality_code", "locality_name", "level", "parent_code", "period",
                                     "period_label", "state", "state_label", "submitted_by", "submitted_by_name",
                                     "submitted_at", "changed_by", "changed_by_name", "changed_at"])
    frame = con.cursor().execute(query("approval_queue"),
                                 {"province": None if reach == "all" else reach}).df()
    return _with_labels(frame)


def _locks(rows: Iterable[tuple]) -> list[Lock]:
    return [Lock(*r) for r in rows]


def locked_periods(con: duckdb.DuckDBPyConnection, localities: Iterable[str]) -> dict[tuple[str, str], Lock]:
    """(locality_code, period) -> Lock for every approved period of these localities."""
    rows = con.execute(query("approval_locked"), {"localities": sorted(set(localities))}).fetchall()
    return {(lock.locality_code, lock.period): lock for lock in _locks(rows)}


def locks_of_upload(con: duckdb.DuckDBPyConnection, upload_id: int) -> list[Lock]:
    """The approved periods an upload holds values for: a revert of it would change them."""
    return _locks(con.execute(query("approval_locked_of_upload"), {"upload_id": int(upload_id)}).fetchall())


def permissions(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every permission granted: user_name, display_name, role, locality_code, permission,
    granted_by, granted_at."""
    return con.cursor().execute(query("account_permissions")).df()


def _grantee(con: duckdb.DuckDBPyConnection, user_name: str, permission: str) -> Account:
    if permission not in PERMISSIONS:
        raise AccountError(f"Quyền “{permission}” không có; chỉ có: {', '.join(PERMISSIONS)}.")
    account = get_account(con, (user_name or "").strip().lower())
    if account is None:
        raise AccountError(f"Không có tài khoản “{user_name}”.")
    return account


def grant(con: duckdb.DuckDBPyConnection, actor: str, user_name: str, permission: str = APPROVE) -> str:
    """Admin only: give `user_name` the permission (audited); return a sentence saying what was done.
    'approve' goes to an active officer or viewer whose scope is a province: it approves that
    province's communes. AccountError for any other account (an admin needs no grant)."""
    require_role(con, actor, "admin", "cấp quyền duyệt số liệu")   # audited there
    account = _grantee(con, user_name, permission)
    if account.role == "admin":
        raise AccountError(f"Tài khoản “{account.user_name}” là quản trị viên: đã duyệt được mọi kỳ báo cáo, "
                           "không cần cấp quyền.")
    if not account.is_active:
        raise AccountError(f"Tài khoản “{account.user_name}” đã bị vô hiệu hóa; không cấp quyền.")
    place = _place(con, account.locality_code) if account.locality_code else None
    if place is None or place["level"] != "province":
        raise AccountError(f"Quyền duyệt chỉ cấp cho tài khoản có phạm vi là một tỉnh/thành phố (người duyệt số "
                           f"liệu của các xã trong tỉnh); tài khoản “{account.user_name}” có phạm vi "
                           f"{place['name'] if place else 'toàn quốc'}.")
    if has_permission(con, account.user_name, permission):
        return f"Tài khoản “{account.user_name}” đã có quyền {PERMISSIONS[permission]} từ trước; không thay đổi."
    cur = con.cursor()
    cur.execute("begin transaction")
    try:
        cur.execute("insert into account_permission (user_name, permission, granted_by, granted_at) "
                    "values ($u, $p, $a, current_timestamp::timestamp)",
                    {"u": account.user_name, "p": permission, "a": actor})
        audit(cur, actor, "account_change", f"cấp quyền {permission} ({PERMISSIONS[permission]} – {place['name']}) "
              f"cho {account.user_name}", locality_code=place["locality_code"])
        cur.execute("commit")
    except BaseException:
        cur.execute("rollback")
        raise
    return f"Đã cấp cho “{account.user_name}” quyền {PERMISSIONS[permission]} ({place['name']})."


def revoke(con: duckdb.DuckDBPyConnection, actor: str, user_name: str, permission: str = APPROVE) -> str:
    """Admin only: take the permission back (audited); return a sentence. AccountError when the
    account does not hold it."""
    require_role(con, actor, "admin", "thu hồi quyền duyệt số liệu")
    account = _grantee(con, user_name, permission)
    if not has_permission(con, account.user_name, permission):
        raise AccountError(f"Tài khoản “{account.user_name}” không có quyền {permission}; không có gì để thu hồi.")
    cur = con.cursor()
    cur.execute("begin transaction")
    try:
        cur.execute("delete from account_permission where user_name = $u and permission = $p",
                    {"u": account.user_name, "p": permission})
        audit(cur, actor, "account_change", f"thu hồi quyền {permission} ({PERMISSIONS[permission]}) của "
              f"{account.user_name}", locality_code=account.locality_code)
        cur.execute("commit")
    except BaseException:
        cur.execute("rollback")
        raise
    return f"Đã thu hồi quyền {PERMISSIONS[permission]} của “{account.user_name}”."
