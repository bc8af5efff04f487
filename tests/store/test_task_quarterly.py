"""The quarterly report of a plan's tasks (indicators.tasks.report.quarterly): its content, the workbook
read back with openpyxl, the printed PDF read back with pdftotext, the `tasks report` command,
and the task board slides (tasks/board.py) in the meeting deck."""
from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from datetime import date, datetime

import pandas as pd
import pytest
from openpyxl import load_workbook
from pptx import Presentation

from indicators.present import deck as dk
from indicators.present import render
from indicators.present import task_charts
from indicators.store.connection import connect
from indicators.tasks import listing, reports
from indicators.tasks.report import board, quarterly, quarterly_print
from indicators.tasks.parse import quarter_of
from indicators.tasks.reports import TaskReport
from indicators.tasks.states import COLOURS, LABELS_VI, SHOWN
from indicators.text import fmt
from tests.conftest import ROOT, missing
from tests.store.test_import import add_account

PLAN = "HN-71-2026"
DOCUMENT = "Quyết định số 4321/QĐ-UBND ngày 20/11/2026"
FIXED = date(2026, 12, 2)        # tests/store/test_plan_tasks.py: 31 tasks overdue on this day, none reported


@pytest.fixture
def con(seeded_db):
    c = connect(seeded_db)
    add_account(c, "admin", "admin", None)
    add_account(c, "canbo-syt", "officer", "01")
    c.execute("update account set display_name = 'Nguyễn Thị Lan' where user_name = 'canbo-syt'")
    reports.grant_agency(c, "admin", "canbo-syt", "so_y_te")
    yield c
    c.close()


@pytest.fixture
def reported(con):
    """An officer of the Sở Y tế reports three tasks for the current quarter (today, as the store
    records it): 3.10 done with its decision, 3.3 blocked, 2.5 with a formula-like result."""
    quarter = quarter_of(date.today())
    reports.record(con, "canbo-syt", [
        TaskReport(PLAN, "3.10", quarter, "done", result="Đã ban hành đề án", product_ref=DOCUMENT,
                   completed_on=date.today()),
        TaskReport(PLAN, "3.3", quarter, "blocked", result="Chờ kinh phí", needs="Bố trí kinh phí năm sau",
                   needs_from="Sở Tài chính"),
        TaskReport(PLAN, "2.5", quarter, "in_progress", result="=1+1 <b>đã lập danh sách</b>"),
    ])
    return quarter


def sheet_rows(ws, first: int) -> list[tuple]:
    return [r for r in ws.iter_rows(min_row=first, values_only=True) if any(v is not None for v in r)]


def column(ws, header_row: int, name: str) -> int:
    return [c.value for c in ws[header_row]].index(name)


# ------------------------------------------------------------------ the quarter and its date

@pytest.mark.parametrize("typed, quarter", [
    ("2026-Q4", "2026-Q4"), ("Quý IV/2026", "2026-Q4"), ("quy 4 nam 2026", "2026-Q4"), ("Q1/2027", "2027-Q1"),
])
def test_read_quarter(typed, quarter):
    assert quarterly.read_quarter(typed) == quarter


@pytest.mark.parametrize("typed, said", [
    ("2026", "không phải một quý"), ("Tháng 6/2026", "không phải một quý"), ("quý năm", "không đọc được"),
    ("2026-Q5", "không đọc được"),
])
def test_read_quarter_refuses_what_is_not_one_quarter(typed, said):
    with pytest.raises(quarterly.QuarterlyError, match=said):
        quarterly.read_quarter(typed)


@pytest.mark.parametrize("quarter, as_of, today, expected", [
    ("2026-Q3", None, date(2026, 12, 3), (date(2026, 9, 30), False)),     # a past quarter: its last day
    ("2026-Q4", None, date(2026, 12, 3), (date(2026, 12, 3), True)),      # the running one: today
    ("2026-Q3", date(2026, 10, 10), date(2026, 12, 3), (date(2026, 10, 10), False)),  # reports after it closed
])
def test_quarter_as_of(quarter, as_of, today, expected):
    assert quarterly.quarter_as_of(quarter, as_of, today) == expected


@pytest.mark.parametrize("quarter, as_of, said", [
    ("2027-Q1", None, "chưa bắt đầu"), ("2026-Q4", date(2026, 9, 1), "ở trước Quý IV/2026"),
])
def test_quarter_as_of_refusals(quarter, as_of, said):
    with pytest.raises(quarterly.QuarterlyError, match=said):
        quarterly.quarter_as_of(quarter, as_of, date(2026, 12, 3))


# ------------------------------------------------------------------ content

def test_content_as_of_a_day_without_reports(con):
    q = quarterly.content(con, PLAN, "2026-Q4", FIXED, today=date(2026, 12, 3))
    assert q.as_of_line == "Tình hình đến ngày 02/12/2026 (quý đang diễn ra)"
    assert q.plan_line == "Kế hoạch 71/KH-UBND ngày 26/02/2026 của UBND thành phố Hà Nội"
    parts = quarterly.sections(q)
    counts = dict(zip(parts.states["state"], parts.states["n"]))
    assert list(parts.states["state"]) == list(SHOWN)
    assert counts["overdue"] == q.n_overdue == 31 and sum(counts.values()) == 43
    assert counts["no_report"] == 12 and q.n_in_quarter == 0
    assert list(parts.by_group.index)[:2] == ["1. Tập trung giải quyết dứt điểm các tồn tại mang tính phổ thông",
                                              "2. Quy hoạch và tổ chức hệ thống y tế Thủ đô hiện đại, chất lượng "
                                              "cao, liên thông và hiệu quả"]
    assert int(parts.by_group["Tổng"].sum()) == 43
    assert list(parts.by_team.index) == ["Chưa phân Tổ"] and int(parts.by_team.at["Chưa phân Tổ", "Tổng"]) == 43
    assert parts.by_agency.index[0] == "Sở Y tế"
    # Overdue by lead agency: 2.1 (278 days on 02/12: due 28/02) is led by two agencies, under both.
    first = parts.overdue[0]
    assert (first["agency"], first["task_no"], first["days_late"]) == ("Sở Y tế", "2.1", 277)
    assert ("Sở Quy hoạch - Kiến trúc", "2.1") in {(r["agency"], r["task_no"]) for r in parts.overdue}
    for agency in {r["agency"] for r in parts.overdue}:
        late = [r["days_late"] for r in parts.overdue if r["agency"] == agency]
        assert late == sorted(late, reverse=True), agency
    assert {r["task_no"] for r in parts.overdue} == set(q.tasks.loc[q.tasks["is_overdue"], "task_no"])


def test_unknown_plan_and_plan_without_tasks(con):
    with pytest.raises(quarterly.QuarterlyError, match="Không có kế hoạch"):
        quarterly.content(con, "XX-1", "2026-Q4", FIXED)
    with pytest.raises(quarterly.QuarterlyError, match="chưa có nhiệm vụ nào"):
        quarterly.content(con, "LC-243-2025", "2026-Q4", FIXED)


# ------------------------------------------------------------------ the workbook

def test_workbook_shows_counts_overdue_and_the_officers_report(con, reported):
    data = quarterly.workbook_bytes(con, PLAN, reported)
    tasks = listing.task_list(con, PLAN, date.today())
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Tổng hợp", "Quá hạn theo cơ quan", "Từng nhiệm vụ"]

    summary = wb["Tổng hợp"]
    label = fmt.period(reported)
    assert summary["A1"].value == f"BÁO CÁO TÌNH HÌNH THỰC HIỆN NHIỆM VỤ – {label.upper()}"
    assert summary["A3"].value.startswith(f"Tình hình đến ngày {date.today():%d/%m/%Y}")
    by_label = {r[0]: r[1] for r in sheet_rows(summary, 7)[:9]}
    for state in SHOWN:
        assert by_label[LABELS_VI[state]] == int((tasks["state"] == state).sum()), state
    assert by_label["Tổng"] == 43
    assert any(r[0] == f"Trong đó có báo cáo trong {label}: 3 nhiệm vụ" for r in sheet_rows(summary, 1))
    assert summary.freeze_panes == "A4"

    overdue = wb["Quá hạn theo cơ quan"]
    assert overdue.freeze_panes == "C6" and overdue["A5"].value == "Cơ quan chủ trì"
    rows = sheet_rows(overdue, 6)
    expected = tasks[tasks["is_overdue"]].explode("lead_agencies")
    assert {(r[0], r[1]) for r in rows} == set(zip(expected["lead_agencies"], expected["task_no"]))
    late = column(overdue, 5, "Số ngày trễ")
    assert rows[0][late] == max(r[late] for r in rows)
    if "3.3" in set(expected["task_no"]):   # due 30/06/2026: overdue, whatever its officer reported
        blocked = next(r for r in rows if r[1] == "3.3")
        assert blocked[column(overdue, 5, "Vướng mắc, kiến nghị")] == "Bố trí kinh phí năm sau"
        assert blocked[column(overdue, 5, "Tình trạng báo cáo gần nhất")] == "Vướng mắc"

    each = wb["Từng nhiệm vụ"]
    assert each.freeze_panes == "B6"
    rows = {r[0]: r for r in sheet_rows(each, 6)}
    assert len(rows) == 43
    done = rows["3.10"]
    get = lambda name: done[column(each, 5, name)]  # noqa: E731
    assert get("Số, ngày văn bản / sản phẩm") == DOCUMENT
    assert get("Kết quả") == "Đã ban hành đề án"
    assert get("Người báo cáo") == "Nguyễn Thị Lan (canbo-syt)"
    assert get("Báo cáo trong quý") == "Có" and get("Quý báo cáo") == label
    assert get("Tình trạng") in (LABELS_VI["done"], LABELS_VI["done_late"])
    assert get("Ngày hoàn thành").date() == date.today()
    n = column(each, 5, "Ngày hết hạn") + 1
    assert each.cell(6, n).number_format == "dd/mm/yyyy"
    # What an officer typed never runs as a formula.
    formula = rows["2.5"][column(each, 5, "Kết quả")]
    assert formula == "'=1+1 <b>đã lập danh sách</b>"
    cell = next(c for c in each[f"{each.cell(6, column(each, 5, 'Kết quả') + 1).column_letter}"] if c.value == formula)
    assert cell.data_type == "s"
    assert rows["1.1"][column(each, 5, "Người báo cáo")] is None


# ------------------------------------------------------------------ the printed report

def test_report_html_repeats_headers_and_escapes_what_was_typed(con, reported):
    q = quarterly.content(con, PLAN, reported)
    doc = quarterly_print.report_html(q, quarterly.sections(q))
    assert "@page { size: A4 portrait" in doc and 'counter(page) "/" counter(pages)' in doc
    assert "display: table-header-group" in doc and "default-src 'none'" in doc
    assert f"Tình hình đến ngày {q.as_of:%d/%m/%Y}" in doc
    assert "Kế hoạch 71/KH-UBND – Kế hoạch thực hiện Chương trình" in doc     # the running header
    assert DOCUMENT in doc and "Nguyễn Thị Lan (canbo-syt)" in doc
    assert "&lt;b&gt;đã lập danh sách&lt;/b&gt;" in doc and "<b>đã lập" not in doc
    assert doc.count(f"Báo cáo trong {q.quarter_label}</span>") == 3


def test_running_header_cannot_close_the_style_element():
    assert quarterly_print._css_string('a"b\\c</style>') == 'a\\22 b\\5c c\\3c /style\\3e '


def pdf_text(pdf: bytes, tmp_path) -> str:
    exe = shutil.which("pdftotext")
    if exe is None:
        missing("pdftotext (Debian poppler-utils) is not installed", "PDF text not checked")
    path = tmp_path / "q.pdf"
    path.write_bytes(pdf)
    return subprocess.run([exe, "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_pdf_shows_the_officers_report(con, reported, chromium, tmp_path):
    pdf = quarterly.pdf_bytes(con, PLAN, reported, chromium=chromium)
    assert pdf.startswith(b"%PDF")
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    assert boxes and all(abs(float(w) - 595.9) < 2 and abs(float(h) - 842) < 2 for w, h in boxes)   # A4 portrait
    text = pdf_text(pdf, tmp_path)
    flat = re.sub(r"\s+", " ", text)
    assert "4321/QĐ-UBND" in flat
    assert f"Tình hình đến ngày {date.today():%d/%m/%Y}" in flat
    assert "Nhiệm vụ quá hạn theo cơ quan chủ trì" in flat and "Từng nhiệm vụ và báo cáo gần nhất" in flat
    assert "Kế hoạch 71/KH-UBND" in flat and "Trang 1/" in flat


def test_pdf_without_chromium_says_so(con, monkeypatch):
    monkeypatch.setenv(render.CHROMIUM_ENV, "/nonexistent/chromium")
    with pytest.raises(render.ChromiumMissing, match="apt-get install chromium"):
        quarterly.pdf_bytes(con, PLAN, "2026-Q4", FIXED)


# ------------------------------------------------------------------ the command

def run_cli(db, *args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "indicators", "--db", str(db), "tasks", "report", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=180,
                          env={**os.environ, **(env or {})})


def test_cli_writes_the_workbook_and_the_pdf(seeded_db, chromium, tmp_path):
    quarter = fmt.period(quarter_of(date.today()))     # "Quý IV/2026", as a person types it
    for name in ("q.xlsx", "q.pdf"):
        out = tmp_path / name
        done = run_cli(seeded_db, "--plan", "71/KH-UBND", "--quarter", quarter, "-o", str(out))
        assert done.returncode == 0, done.stderr
        assert f"Đã ghi {out}: báo cáo {quarter} của Kế hoạch 71/KH-UBND – 43 nhiệm vụ" in done.stdout
        assert out.stat().st_size > 1000
    assert load_workbook(tmp_path / "q.xlsx").sheetnames[0] == "Tổng hợp"
    assert (tmp_path / "q.pdf").read_bytes().startswith(b"%PDF")


def run_in_process(db, capsys, *args) -> tuple[int, str]:
    """The command's exit code and stderr, run in this process (a refusal needs no new interpreter)."""
    from indicators.cli import main
    code = main(["--db", str(db), "tasks", "report", *args])
    return code, capsys.readouterr().err


def test_cli_refuses_an_unknown_plan_in_one_sentence(seeded_db, tmp_path):
    out = tmp_path / "q.xlsx"
    done = run_cli(seeded_db, "--plan", "99/KH-XYZ", "--quarter", "2026-Q4", "-o", str(out))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("Không có kế hoạch “99/KH-XYZ”") and not out.exists()


@pytest.mark.parametrize("args, said", [
    (["--plan", PLAN, "--quarter", "2026"], "“2026” là năm 2026, không phải một quý"),
    (["--plan", PLAN, "--quarter", "quý năm"], "Quý “quý năm” không đọc được"),
    (["--plan", PLAN, "--quarter", "2099-Q1"], "Quý I/2099 chưa bắt đầu"),
    (["--plan", PLAN, "--quarter", "2026-Q4", "--as-of", "31/02/2026"], "Ngày “31/02/2026” không đọc được"),
])
def test_cli_refuses_bad_arguments_in_one_sentence(seeded_db, tmp_path, capsys, args, said):
    out = tmp_path / "q.xlsx"
    code, stderr = run_in_process(seeded_db, capsys, *args, "-o", str(out))
    assert code == 2 and said in stderr and len(stderr.strip().splitlines()) == 1
    assert not out.exists()


@pytest.mark.parametrize("name, said", [("q.docx", "đuôi .xlsx"), ("nope/q.xlsx", "không tồn tại")])
def test_cli_refuses_an_output_it_cannot_write(seeded_db, tmp_path, capsys, name, said):
    code, stderr = run_in_process(seeded_db, capsys, "--plan", PLAN, "--quarter", "2026-Q4", "-o", str(tmp_path / name))
    assert code == 2 and said in stderr


def test_cli_pdf_without_chromium_exits_4(seeded_db, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(render.CHROMIUM_ENV, "/nonexistent/chromium")
    out = tmp_path / "q.pdf"
    code, stderr = run_in_process(seeded_db, capsys, "--plan", PLAN, "--quarter", "2026-Q4", "--as-of", "2026-12-02",
                                  "-o", str(out))
    assert code == 4 and "apt-get install chromium" in stderr and not out.exists()


# ------------------------------------------------------------------ the task board slides

def test_board_slides_of_ha_noi(con):
    slides = board.locality_boards(con, "01", FIXED)
    assert [s["kind"] for s in slides] == ["task_states", "task_overdue"]
    states, overdue = slides
    assert states["title"] == "Nhiệm vụ của Kế hoạch 71/KH-UBND"
    assert states["subtitle"].startswith("Tình hình đến ngày 02/12/2026")
    assert list(states["counts"]["state"]) == list(SHOWN) and int(states["counts"]["n"].sum()) == 43
    assert states["facts"][:2] == ["43 nhiệm vụ", "Quá hạn: 31"]
    assert overdue["columns"][0] == "Cơ quan chủ trì"
    assert overdue["rows"][0][:3] == ["Sở Y tế", "25", "277 ngày"]
    assert overdue["rows"][0][3].startswith("2.1 (277 ngày) · ") and "+ 19 nhiệm vụ khác" in overdue["rows"][0][3]
    assert board.locality_boards(con, "12", FIXED) == []        # Lai Châu's plan has no tasks


def test_state_figure_names_every_bar():
    counts = board.state_frame(pd.DataFrame({"state": ["overdue", "overdue", "done"]}))
    fig = task_charts.state_figure(counts)
    bar = fig.data[0]
    assert list(bar.y) == [LABELS_VI[s] for s in SHOWN] and list(bar.marker.color) == [COLOURS[s] for s in SHOWN]
    assert list(bar.text) == ["2", "0", "0", "0", "0", "0", "1"]
    assert fig.layout.separators == ",."


@pytest.fixture(scope="module")
def deck_con(seeded_db_template):
    c = connect(seeded_db_template, read_only=True)
    yield c
    c.close()


def test_the_ha_noi_deck_ends_with_the_task_board(deck_con, chromium):
    buffer = io.BytesIO()
    extra = board.locality_boards(deck_con, "01", FIXED)
    with render.Renderer(chromium) as r:
        info = dk.build_deck(deck_con, "01", buffer, renderer=r, today=FIXED, extra_slides=extra)
    prs = Presentation(io.BytesIO(buffer.getvalue()))
    assert info.task_slides == [info.n_slides - 1, info.n_slides] == [len(prs.slides) - 1, len(prs.slides)]
    states, overdue = prs.slides[info.task_slides[0] - 1], prs.slides[info.task_slides[1] - 1]
    text = "\n".join(s.text_frame.text for s in states.shapes if s.has_text_frame)
    assert "Nhiệm vụ của Kế hoạch 71/KH-UBND" in text and "Quá hạn: 31" in text
    assert sum(s.shape_type == 13 for s in states.shapes) == 1          # the chart, as a picture
    table = next(s for s in overdue.shapes if s.has_table).table
    assert table.cell(0, 0).text == "Cơ quan chủ trì" and table.cell(1, 0).text == "Sở Y tế"
    assert "Sở Tài chính" in [table.cell(i, 0).text for i in range(1, len(table.rows))]
    assert "Nhiệm vụ quá hạn" in overdue.notes_slide.notes_text_frame.text


def test_a_quarters_report_takes_in_what_was_reported_on_it_after_it_closed(con):
    """Officers report a quarter in the first days of the next: the Quý III report made on 05/10
    shows 4.1 done, on its deadline; a Quý IV report made later is not in it."""
    reports.record(con, "canbo-syt", [TaskReport(PLAN, "4.1", "2026-Q3", "done", product_ref=DOCUMENT,
                                                 completed_on=date(2026, 9, 30))],
                   today=date(2026, 10, 5), at=datetime(2026, 10, 5, 8))
    reports.record(con, "canbo-syt", [TaskReport(PLAN, "4.1", "2026-Q4", "in_progress", result="Mở rộng")],
                   today=date(2026, 11, 2), at=datetime(2026, 11, 2, 8))
    q = quarterly.content(con, PLAN, "2026-Q3", today=date(2026, 12, 2))
    assert q.as_of == date(2026, 9, 30)
    row = q.tasks.set_index("task_no").loc["4.1"]
    assert (row["state"], row["product_ref"], bool(row["in_quarter"])) == ("done", DOCUMENT, True)
    q4 = quarterly.content(con, PLAN, "2026-Q4", FIXED, today=FIXED)
    assert q4.tasks.set_index("task_no").loc["4.1", "last_report_period"] == "2026-Q4"
