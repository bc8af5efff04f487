"""One function per thing a person does on a page: sign in, upload, revert, change an account or
a target, build a file to download.

Each checks the account itself (a hidden page is not a locked page), writes in the store's own
transaction, and clears the caches after a write so that every page shows the change at once.
Every refusal a person can act on arrives as `Refused`, one Vietnamese sentence; a page shows it
with st.error and nothing else.
"""
from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterable
from datetime import date
from typing import TypeVar

import duckdb
import pandas as pd

from indicators.auth import admin as accounts_admin
from indicators.auth import approval
from indicators.auth.accounts import ROLE_LABELS, ROLES, Account, AccountError, PermissionDenied  # noqa: F401 — roles and their labels, for the account forms
from indicators.auth.signin import sign_in as check_password
from indicators.excel import importer
from indicators.excel.safety import MAX_FILE_BYTES, UnsafeFile
from indicators.plans import admin as plans_admin
from indicators.present.render import ChromiumMissing, RenderError, chromium_available
from indicators.web import pacing
from indicators.web.connection import clear_caches, reading, writing
from indicators.web.session import remember_sign_in

T = TypeVar("T")
MAX_UPLOAD_MIB = MAX_FILE_BYTES // (1024 * 1024)
_LOG = logging.getLogger(__name__)


class Refused(Exception):
    """What the person asked for did not happen; the message says why, in Vietnamese."""


def _refusing(work: Callable[[], T], *known: type[Exception]) -> T:
    """Run `work`; the known refusals (and account and permission errors) become Refused."""
    try:
        return work()
    except (AccountError, PermissionDenied, *known) as exc:
        raise Refused(str(exc)) from exc


def _read(work: Callable[[duckdb.DuckDBPyConnection], T], *known: type[Exception]) -> T:
    """`work(con)` on the database opened for reading; refusals become Refused."""
    with reading() as con:
        return _refusing(lambda: work(con), *known)


def _write(work: Callable[[duckdb.DuckDBPyConnection], T], *known: type[Exception],
           scopes: Iterable[str] | None = None, bump: bool = True) -> T:
    """`work(con)` on the database opened for this write alone; refusals become Refused. The
    overview's caches are checked in the same turn (a new target year needs them rebuilt), and
    this process's cached reads are dropped (other processes see the new data version).
    `scopes`: the write changes only those (one province's reported values), and the cached reads
    of every other scope stand; `bump=False`: it changes nothing a page caches."""
    from indicators.excel.importer import refresh_overview_cache
    with pacing.released(), writing(bump=bump, scopes=scopes) as con:   # the write's turn may wait for another process
        result = _refusing(lambda: work(con), *known)
        if bump:
            refresh_overview_cache(con)
    if bump:
        clear_caches(everything=scopes is None)
    return result


# --- signing in ------------------------------------------------------------------------------
def client_address() -> str | None:
    """The address this session's browser connects from, as the server sees it (behind a proxy on
    this machine, the X-Forwarded-For it sets: README, "Phục vụ trong mạng nội bộ"); None for this
    machine or outside a session."""
    import streamlit as st
    try:
        return st.context.ip_address
    except Exception:   # noqa: BLE001 — no script run context (a bare call): no address
        return None


def sign_in(user_name: str, password: str) -> Account:
    """Check the password (every outcome audited; wrong ones slow down this client, see
    auth.signin) and remember the account in this session."""
    client = client_address()
    # Accounts, sessions and audit events: nothing a page caches (the data version stands).
    account = _write(lambda con: check_password(con, user_name.strip().lower(), password, client=client), bump=False)
    remember_sign_in(account)
    return account


# --- accounts (admins) -----------------------------------------------------------------------
def create_account(admin: Account, user_name: str, display_name: str, role: str, scope: str) -> str:
    """A new account; returns its generated password (shown once)."""
    return _write(lambda con: accounts_admin.create_account(con, admin.user_name, user_name, display_name, role, scope.strip() or None))


def update_account(admin: Account, user_name: str, *, role: str, scope: str, is_active: bool) -> None:
    _write(lambda con: accounts_admin.update_account(con, admin.user_name, user_name, role=role,
                                                 locality_code=scope.strip(), is_active=is_active))


def reset_password(admin: Account, user_name: str) -> str:
    """A new generated password for the account (shown once)."""
    return _write(lambda con: accounts_admin.set_password(con, admin.user_name, user_name))


def end_sessions(admin: Account, user_name: str) -> int:
    """Sign the account out everywhere (every open session ends, audited); returns how many.
    Sessions are not data any page caches: the data version is left alone."""
    with writing(bump=False) as con:
        return _refusing(lambda: accounts_admin.end_sessions(con, admin.user_name, user_name))


def grant_approve(admin: Account, user_name: str) -> str:
    """Give the account the 'approve' permission (an officer or viewer of a province); a sentence."""
    return _write(lambda con: approval.grant(con, admin.user_name, user_name, approval.APPROVE))


def revoke_approve(admin: Account, user_name: str) -> str:
    return _write(lambda con: approval.revoke(con, admin.user_name, user_name, approval.APPROVE))


# --- approval of reported periods (officers submit, approvers approve or return) -------------
def submit_period(account: Account, locality_code: str, period: str) -> str:
    """chưa nộp → đã nộp; returns what was done, in one sentence."""
    return _write(lambda con: approval.submit(con, locality_code, period, account.user_name).message,
                  approval.ApprovalInputError)


def approve_period(account: Account, locality_code: str, period: str) -> str:
    """đã nộp → đã duyệt (the period is locked)."""
    return _write(lambda con: approval.approve(con, locality_code, period, account.user_name).message,
                  approval.ApprovalInputError)


def return_period(account: Account, locality_code: str, period: str, reason: str) -> str:
    """đã nộp or đã duyệt → chưa nộp, with a reason (required)."""
    return _write(lambda con: approval.return_period(con, locality_code, period, account.user_name, reason).message,
                  approval.ApprovalInputError)


# --- plans, targets and baselines (admins) ---------------------------------------------------
def add_plan(admin: Account, **plan) -> None:
    _write(lambda con: plans_admin.add_plan(con, admin.user_name, **plan))


def save_target(admin: Account, **target) -> str:
    """'added' or 'changed'; the previous row is kept in the history."""
    return _write(lambda con: plans_admin.save_target(con, admin.user_name, **target))


def save_baseline(admin: Account, **baseline) -> str:
    return _write(lambda con: plans_admin.save_baseline(con, admin.user_name, **baseline))


# --- reported values (officers) --------------------------------------------------------------
def preview_upload(account: Account, data: bytes, file_name: str, *, locality: str | None = None) -> importer.Preview:
    """Check, read and validate a workbook and compare it with the current values. Writes
    nothing but, when rows are refused for scope, one audit event. An unexpected failure is
    logged and said in one sentence: never a traceback on the page. `locality`: whose figures a
    report sheet naming no locality holds (the page's picker)."""
    return previewing(lambda con: importer.preview(con, data, file_name, account.user_name, locality=locality),
                      file_name, UnsafeFile)


def previewing(work: Callable[[duckdb.DuckDBPyConnection], T], file_name: str, *known: type[Exception]) -> T:
    """A file's preview, `work(con)`, read outside this run's slot (the sheets are parsed in the
    reader's worker process); the known refusals become Refused, and an unexpected failure is
    logged and said in one sentence: never a traceback on the page."""
    try:
        with pacing.released():
            return _read(work, *known)
    except Refused:
        raise
    except Exception as exc:   # noqa: BLE001 — the preview wrote nothing; the log keeps the details
        _LOG.exception("preview of %r failed", file_name)
        raise Refused(f"Không xử lý được tệp “{importer.clean_file_name(file_name)}” do một lỗi của hệ thống "
                      "(đã được ghi lại để khắc phục). Không có gì được ghi vào cơ sở dữ liệu. Hãy thử lại hoặc "
                      "báo quản trị hệ thống.") from exc


def save_sheet_mapping(account: Account, signature: str, sheet_name: str, overrides: dict) -> int:
    """Keep how the officer confirmed a report sheet reads (excel/mappings.py); returns its step."""
    from indicators.excel import mappings
    return _write(lambda con: mappings.save_mapping(con, account, signature, sheet_name, overrides))


def commit_upload(account: Account, preview: importer.Preview, *, confirm_warnings: bool) -> importer.CommitResult:
    """Write the previewed rows as one upload, in one transaction. It changes only the reported
    values of the provinces of its rows (and the national figures): the cached pages of other
    provinces stand."""
    return _write(lambda con: importer.commit(con, preview, account.user_name,
                                          confirm_warnings=confirm_warnings), importer.ImportRefused,
                  scopes=upload_scopes(preview))


def upload_scopes(preview: importer.Preview) -> list[str] | None:
    """The scopes an upload of `preview` writes: the province of each of its rows' localities
    (None, a write of everything, when one is not a known locality: it is refused anyway)."""
    from indicators.web.data import of_locality
    scopes: set[str] = set()
    for code in preview.localities:
        of = of_locality(code)
        if of is None:
            return None
        scopes.update(of)
    return sorted(scopes)


def revert_upload(account: Account, upload_id: int) -> str:
    """Admins: the upload's previous values become current again; returns what was done."""
    return _write(lambda con: importer.revert(con, int(upload_id), account.user_name), importer.ImportRefused)


# --- files to download -----------------------------------------------------------------------
def template_file(locality_code: str) -> bytes:
    """The upload template for a locality (and its communes), as .xlsx bytes."""
    from indicators.excel import template   # openpyxl: loaded when a file is first asked for
    buffer = io.BytesIO()
    _read(lambda con: template.write_template(con, locality_code, buffer))
    return buffer.getvalue()


def export_file(locality_code: str, kind: str) -> bytes:
    """The current values of a locality and its communes, as 'xlsx' or 'csv' bytes."""
    from indicators.excel import export
    return export.to_bytes(_read(lambda con: export.current_values(con, locality_code)), kind)


def table_file(frame: pd.DataFrame, kind: str, sheet: str = "Bảng") -> bytes:
    """A table shown on a page, as 'xlsx' or 'csv' bytes, safe to open in Excel."""
    from indicators.excel import export
    return export.table_bytes(frame, kind, sheet)


def exports_available() -> str | None:
    """None when decks and reports can be drawn, else why not (Chromium is missing)."""
    return None if chromium_available() else str(ChromiumMissing())


def deck_file(locality_code: str, year: int, order: str, approved_only: bool = False) -> bytes:
    """The meeting deck (.pptx) of one locality (on approved figures only when asked), with the
    task board of its plans that have tasks; Refused when it cannot be drawn."""
    from indicators.present.deck import DeckError, build_deck   # python-pptx: only this export needs it
    from indicators.tasks.report.board import locality_boards          # the task board of its plans with tasks
    buffer = io.BytesIO()
    with pacing.released():   # Chromium draws the charts
        _read(lambda con: build_deck(con, locality_code, buffer, year=year, order=order, approved_only=approved_only,
                                     extra_slides=locality_boards(con, locality_code, date.today())),
              RenderError, DeckError)
    return buffer.getvalue()


def report_file(locality_code: str, year: int, approved_only: bool = False) -> bytes:
    """The printable PDF report of one locality (on approved figures only when asked); Refused
    when it cannot be drawn."""
    from indicators.present.deck import DeckError
    from indicators.present.report import build_report   # only this export needs it
    buffer = io.BytesIO()
    with pacing.released():   # Chromium draws the report
        _read(lambda con: build_report(con, locality_code, buffer, year=year, approved_only=approved_only),
              RenderError, DeckError)
    return buffer.getvalue()


def file_digest(content: bytes) -> str:
    """The SHA-256 of an uploaded file: what tells one upload attempt from another."""
    return importer.sha256_of(content)
