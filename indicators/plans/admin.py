"""Plans, targets and baselines as an admin changes them: each change kept with its previous value."""
from __future__ import annotations

import json
from datetime import date

import duckdb
import pandas as pd

from indicators.auth.accounts import AccountError
from indicators.auth.scope import require_role
from indicators.progress.scorecard import refresh_current_observations
from indicators.store.audit import audit
from indicators.progress.statuses import COMPARATORS
from indicators.store.sql import query


def _row_json(con: duckdb.DuckDBPyConnection, sql: str, params: dict) -> str | None:
    frame = con.execute(sql, params).df()
    if frame.empty:
        return None
    return frame.iloc[0].to_json(force_ascii=False, date_format="iso")


def _record(con, actor: str, table: str, key: str, old: str | None, new: str | None, reason: str) -> None:
    con.execute(
        "insert into target_history (changed_by, table_name, key_text, old_value, new_value, reason) "
        "values ($a, $t, $k, $o, $n, $r)",
        {"a": actor, "t": table, "k": key, "o": old, "n": new, "r": reason},
    )


def _in_transaction(con: duckdb.DuckDBPyConnection, work):
    con.execute("begin transaction")
    try:
        result = work()
        con.execute("commit")
        return result
    except Exception:
        con.execute("rollback")
        raise


def _check_locality(con, code: str) -> None:
    if not con.execute("select 1 from locality where locality_code = $c", {"c": code}).fetchone():
        raise AccountError(f"Không có địa phương mã “{code}”.")


def add_plan(con: duckdb.DuckDBPyConnection, actor: str, *, plan_code: str, number: str, issuer: str,
             issued_on: date | None, title: str, locality_code: str,
             start_year: int | None = None, end_year: int | None = None) -> None:
    """Add a plan (kế hoạch); refuses an existing code."""
    require_role(con, actor, "admin", "thêm kế hoạch")
    plan_code = plan_code.strip()
    if not plan_code or not title.strip() or not issuer.strip():
        raise AccountError("Kế hoạch cần mã, cơ quan ban hành và tiêu đề.")
    if con.execute("select 1 from plan where plan_code = $p", {"p": plan_code}).fetchone():
        raise AccountError(f"Mã kế hoạch “{plan_code}” đã có.")
    _check_locality(con, locality_code)
    params = {"p": plan_code, "n": number.strip(), "i": issuer.strip(), "d": issued_on, "t": title.strip(),
              "l": locality_code, "s": start_year, "e": end_year}

    def work():
        con.execute("insert into plan values ($p, $n, $i, $d, $t, $l, $s, $e, null)", params)
        _record(con, actor, "plan", plan_code, None, json.dumps(
            {k: str(v) if v is not None else None for k, v in params.items()}, ensure_ascii=False), "thêm kế hoạch")
        audit(con, actor, "target_change", f"thêm kế hoạch {number} ({plan_code})", locality_code)
        refresh_current_observations(con, changed_localities=[])   # a plan without targets yet
    _in_transaction(con, work)


def save_target(con: duckdb.DuckDBPyConnection, actor: str, *, plan_code: str, locality_code: str,
                indicator_code: str, target_year: int, comparator: str | None, target_value: float | None,
                target_text: str, clause: str, is_every_year: bool = False, year_note: str | None = None,
                reason: str = "") -> str:
    """Add or change one target; the previous row goes to target_history. Returns 'added' or 'changed'."""
    require_role(con, actor, "admin", "sửa chỉ tiêu")
    if target_value is not None and comparator not in COMPARATORS:
        raise AccountError(f"Phép so sánh “{comparator}” không hợp lệ; chọn một trong: {' '.join(COMPARATORS)}.")
    if target_value is None:
        comparator = None
    if not clause.strip() or not target_text.strip():
        raise AccountError("Chỉ tiêu cần trích dẫn điều khoản và nội dung như văn bản ghi.")
    if not 2000 <= int(target_year) <= 2100:
        raise AccountError(f"Năm mục tiêu {target_year} không hợp lệ.")
    key = {"p": plan_code, "l": locality_code, "i": indicator_code, "y": int(target_year)}
    if not con.execute("select 1 from plan where plan_code = $p", {"p": plan_code}).fetchone():
        raise AccountError(f"Không có kế hoạch mã “{plan_code}”.")
    if not con.execute("select 1 from indicator where indicator_code = $i", {"i": indicator_code}).fetchone():
        raise AccountError(f"Không có chỉ tiêu mã “{indicator_code}”.")
    _check_locality(con, locality_code)
    select = ("select * from target where plan_code = $p and locality_code = $l "
              "and indicator_code = $i and target_year = $y")
    key_text = f"{plan_code}|{locality_code}|{indicator_code}|{target_year}"

    def work():
        old = _row_json(con, select, key)
        con.execute(select.replace("select *", "delete"), key)
        con.execute(
            "insert into target values ($p, $l, $i, $y, $c, $v, $e, $t, $cl, $n)",
            {**key, "c": comparator, "v": target_value, "e": bool(is_every_year), "t": target_text.strip(),
             "cl": clause.strip(), "n": (year_note or "").strip() or None},
        )
        new = _row_json(con, select, key)
        _record(con, actor, "target", key_text, old, new, reason)
        audit(con, actor, "target_change",
              f"{'sửa' if old else 'thêm'} chỉ tiêu {indicator_code} {target_year} ({plan_code})"
              + (f": {reason}" if reason else ""), locality_code)
        # the overview's derived rows of that locality (and a new target year's sums), in this transaction
        refresh_current_observations(con, changed_localities=[locality_code])
        return "changed" if old else "added"
    return _in_transaction(con, work)


def save_baseline(con: duckdb.DuckDBPyConnection, actor: str, *, locality_code: str, indicator_code: str,
                  baseline_year: int, baseline_value: float, source: str, plan_code: str | None = None,
                  reason: str = "") -> str:
    """Add or change a document baseline; the previous row goes to target_history."""
    require_role(con, actor, "admin", "sửa đầu vào")
    if not source.strip():
        raise AccountError("Đầu vào cần ghi nguồn (văn bản, mục).")
    key = {"l": locality_code, "i": indicator_code, "y": int(baseline_year)}
    _check_locality(con, locality_code)
    select = "select * from baseline where locality_code = $l and indicator_code = $i and baseline_year = $y"

    def work():
        old = _row_json(con, select, key)
        con.execute(select.replace("select *", "delete"), key)
        con.execute("insert into baseline values ($l, $i, $y, $v, $p, $s)",
                             {**key, "v": float(baseline_value), "p": plan_code, "s": source.strip()})
        _record(con, actor, "baseline", f"{locality_code}|{indicator_code}|{baseline_year}", old,
                _row_json(con, select, key), reason)
        audit(con, actor, "target_change", f"{'sửa' if old else 'thêm'} đầu vào {indicator_code} "
              f"{baseline_year}" + (f": {reason}" if reason else ""), locality_code)
        refresh_current_observations(con, changed_localities=[locality_code])
        return "changed" if old else "added"
    return _in_transaction(con, work)


def change_history(con: duckdb.DuckDBPyConnection, key_prefix: str = "") -> pd.DataFrame:
    """Changes to plans, targets and baselines, newest first (optionally for keys starting with a prefix)."""
    return con.execute(query("catalogue_history"), {"prefix": key_prefix}).df()


def plans(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every plan, by locality and date."""
    return con.cursor().execute("select * from plan order by locality_code, issued_on nulls last").df()


def plan_targets(con: duckdb.DuckDBPyConnection, plan_code: str) -> pd.DataFrame:
    """The targets of one plan, by indicator and year."""
    return con.cursor().execute("select * from target where plan_code = $p order by indicator_code, target_year",
                                {"p": plan_code}).df()
