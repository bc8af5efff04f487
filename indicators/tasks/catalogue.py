"""Plans' tasks, groups, Tổ công tác and agencies in the store: seeded from data/seed, added by
an admin from a list in the same columns (with the agencies named as the plans write them)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import pandas as pd

from indicators.paths import DATA_DIR
from indicators.tasks.parse import deadline_date, split_agencies
from indicators.text.fold import fold

SEED_DIR = DATA_DIR / "seed"
# The columns of a task list, in the seed and in an admin's Excel list (reference/plan71_tasks.csv).
TASK_COLUMNS = ("group_no", "task_no", "task_title", "lead_agency", "partner_agencies", "product",
                "deadline_text", "deadline_period")


def _seed(name: str) -> pd.DataFrame:
    frame = pd.read_csv(SEED_DIR / name, dtype=str, keep_default_na=False, encoding="utf-8")
    return frame.replace({"": None})


@dataclass
class AgencyNames:
    """Agency names as written -> agency_code (folded, so case and diacritics do not matter)."""
    by_key: dict[str, str]

    @classmethod
    def load(cls, con: duckdb.DuckDBPyConnection) -> AgencyNames:
        by_key = {}
        for code, name, also in con.execute("select agency_code, name_vi, also_written from agency").fetchall():
            for written in [name, *((also or "").split(";"))]:
                if written.strip():
                    by_key[fold(written)] = code
        return cls(by_key)

    def code(self, name: str) -> str | None:
        return self.by_key.get(fold(name))


def load_agencies(con: duckdb.DuckDBPyConnection) -> int:
    """Insert the seed agencies not yet present; return how many were added."""
    frame = _seed("agencies.csv")
    return _insert_missing(con, "agency", frame, ["agency_code"])


def _insert_missing(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, keys: list[str]) -> int:
    cols = ", ".join(frame.columns)
    match = " and ".join(f"t.{k} = s.{k}" for k in keys)
    con.register("seed_rows", frame)
    try:
        before = con.execute(f"select count(*) from {table}").fetchone()[0]
        # Identifiers come from this module and the seed headers, never from user input.
        con.execute(f"insert into {table} ({cols}) select {cols} from seed_rows s "
                    f"where not exists (select 1 from {table} t where {match})")
        return con.execute(f"select count(*) from {table}").fetchone()[0] - before
    finally:
        con.unregister("seed_rows")


class TaskListError(ValueError):
    """A task list that cannot be added; the message names the row and the column."""


def task_rows(plan_code: str, frame: pd.DataFrame, names: AgencyNames, *, first_row: int = 2,
              rows: list[int] | None = None, columns: dict[str, str] | None = None
              ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list[str]]:
    """(tasks, task_agency rows, task_indicator rows, errors) from a task list in TASK_COLUMNS.
    Messages name the sheet's row of each frame row (`rows`, else counted from `first_row`) and
    its columns as the sheet shows them (`columns`: 'I (deadline_period)'; else the names)."""
    errors: list[str] = []
    tasks, agencies, served = [], [], []
    seen = set()

    def col(name: str) -> str:
        return (columns or {}).get(name, name)

    for i, r in enumerate(frame.to_dict("records")):
        where = f"dòng {rows[i] if rows is not None else first_row + i}"
        task_no = str(r.get("task_no") or "").strip()
        missing = [c for c in ("group_no", "task_no", "task_title", "lead_agency", "deadline_text", "deadline_period")
                   if not str(r.get(c) or "").strip()]
        if missing:
            errors.append(f"{where}: thiếu " + ", ".join(f"cột {col(c)}" for c in missing))
            continue
        if task_no in seen:
            errors.append(f"{where}: nhiệm vụ {task_no} xuất hiện hai lần")
            continue
        seen.add(task_no)
        try:
            group_no = int(str(r["group_no"]).strip())
        except ValueError:
            errors.append(f"{where}, cột {col('group_no')}: “{r['group_no']}” không phải số nhóm")
            continue
        try:
            due = deadline_date(str(r["deadline_period"]).strip())
        except ValueError as exc:
            errors.append(f"{where}, cột {col('deadline_period')}: {exc}")
            continue
        for role, column in (("lead", "lead_agency"), ("partner", "partner_agencies")):
            for pos, named in enumerate(split_agencies(r.get(column)), start=1):
                code = names.code(named.name)
                if code is None:
                    errors.append(f"{where}, cột {col(column)}: chưa có cơ quan “{named.name}” trong danh mục cơ quan")
                    continue
                agencies.append({"plan_code": plan_code, "task_no": task_no, "role": role, "position": pos,
                                 "agency_code": code, "role_note": named.role_note})
        for code in str(r.get("indicator_codes") or "").replace(",", ";").split(";"):
            if code.strip():
                served.append({"plan_code": plan_code, "task_no": task_no, "indicator_code": code.strip()})
        tasks.append({"plan_code": plan_code, "task_no": task_no, "group_no": group_no, "position": i + 1,
                      "title": str(r["task_title"]).strip(), "lead_text": str(r["lead_agency"]).strip(),
                      "partner_text": (str(r.get("partner_agencies") or "").strip() or None),
                      "product": (str(r.get("product") or "").strip() or None),
                      "deadline_text": str(r["deadline_text"]).strip(),
                      "deadline_period": str(r["deadline_period"]).strip(), "deadline_date": due})
    return (pd.DataFrame(tasks), pd.DataFrame(agencies, columns=["plan_code", "task_no", "role", "position",
                                                               "agency_code", "role_note"]),
            pd.DataFrame(served, columns=["plan_code", "task_no", "indicator_code"]), errors)


def insert_tasks(con: duckdb.DuckDBPyConnection, tasks: pd.DataFrame, agencies: pd.DataFrame,
                 served: pd.DataFrame, *, added_by: str | None, added_at: datetime | None) -> int:
    """Insert tasks (and their agencies and targets) whose key is absent; the caller owns the
    transaction. Return how many tasks were added."""
    if tasks.empty:
        return 0
    tasks = tasks.assign(added_by=added_by, added_at=added_at)
    added = _insert_missing(con, "plan_task", tasks, ["plan_code", "task_no"])
    if not agencies.empty:
        _insert_missing(con, "task_agency", agencies, ["plan_code", "task_no", "role", "position"])
    if not served.empty:
        _insert_missing(con, "task_indicator", served, ["plan_code", "task_no", "indicator_code"])
    return added


def load_plan_tasks(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """The seed tasks, groups, Tổ công tác and agencies, where absent; the caller owns the
    transaction. A seed that names an unknown agency fails loudly (a transcription error)."""
    added = {"agency": load_agencies(con)}
    added["task_group"] = _insert_missing(con, "task_group", _seed("task_groups.csv"), ["plan_code", "group_no"])
    added["work_team"] = _insert_missing(con, "work_team", _seed("work_teams.csv"), ["plan_code", "team_no"])
    seed = _seed("plan_tasks.csv")
    names = AgencyNames.load(con)
    total = 0
    for plan_code, rows in seed.groupby("plan_code", sort=False):
        tasks, agencies, served, errors = task_rows(plan_code, rows.reset_index(drop=True), names)
        if errors:
            raise ValueError("data/seed/plan_tasks.csv: " + "; ".join(errors))
        total += insert_tasks(con, tasks, agencies, served, added_by=None, added_at=None)
    added["plan_task"] = total
    return added
