"""Trình chiếu: full-screen slides for a meeting, the deck export and the printable report.

Two views. Without `slide` in the URL: choose what to present and export. With it: one slide,
large type, no app chrome, next/previous (also the ← → keys); the URL holds the whole state
(order, locality or indicator, year, slide number), so a reload keeps the place.
"""
import streamlit as st

from indicators.web import actions, data, slides, statuses, task_slides, views, widgets

CHART_CONFIG = {"displaylogo": False, "displayModeBar": True,
                "modeBarButtonsToRemove": ["select2d", "lasso2d", "zoom2d", "pan2d", "autoScale2d"],
                "toImageButtonOptions": {"format": "png", "scale": 2, "filename": "bieu-do"}}
PRESENT_CSS = """
<style>
  [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
  [data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stStatusWidget"] { display: none !important; }
  [data-testid="stMainBlockContainer"] { padding: 1.2rem 2.5rem 0.5rem 2.5rem; max-width: 100%; }
  [data-testid="stApp"] { background: #ffffff; color: #000000; }
  .slide-title { font-size: 2.9rem; font-weight: 700; line-height: 1.15; margin: 0; color: #000; }
  .slide-sub { font-size: 1.5rem; color: #222; margin: 0.2rem 0 0.6rem 0; }
  .slide-fact { font-size: 1.7rem; line-height: 1.35; margin: 0.15rem 0; color: #000; }
  .slide-status { font-size: 2rem; font-weight: 700; padding: 0.15rem 0.8rem; border-radius: 0.4rem;
                  color: #fff; display: inline-block; }
  .slide-small { font-size: 1.15rem; color: #222; margin: 0.2rem 0; }
  .slide-notice { font-size: 1.2rem; font-weight: 700; color: #b00020; margin: 0.2rem 0; }
  table.task-table { width: 100%; border-collapse: collapse; font-size: 1.45rem; color: #000; margin-top: 0.6rem; }
  table.task-table th { background: #1f4e79; color: #fff; text-align: left; padding: 0.45rem 0.7rem; }
  table.task-table td { border-bottom: 1px solid #d1d5db; padding: 0.45rem 0.7rem; vertical-align: top; }
  table.task-table td:nth-child(2), table.task-table td:nth-child(3) { white-space: nowrap; font-weight: 700; }
</style>
"""

SYNTHETIC_NOTICE = "Dữ liệu tổng hợp (synthetic): số liệu và chỉ tiêu được sinh tự động, không có thật."
params = st.query_params
ORDERS = slides.ORDERS


def _choice(name: str, default: str | None = None) -> str | None:
    value = params.get(name)
    return value if value else default


order = _choice("order", "indicator")
order = order if order in ORDERS else "indicator"
year = widgets.url_int(params, "year", statuses.DEFAULT_TARGET_YEAR)
locality = _choice("locality", "12")
indicator = _choice("indicator", "bhyt_coverage")
slide_param = params.get("slide")


def setup_view() -> None:
    st.title("Trình chiếu")
    st.caption("Chọn nội dung rồi bấm “Bắt đầu trình chiếu”: mỗi biểu đồ một trang, chữ lớn, không có "
               "thanh bên. Dùng phím ← → hoặc nút Trước/Tiếp; số trang nằm trên địa chỉ nên tải lại vẫn "
               "giữ đúng trang. Nhấn F11 để toàn màn hình.")
    targets = data.localities_with_targets()
    codes = targets["locality_code"].tolist()
    names = dict(zip(targets["locality_code"], targets["name"]))
    c1, c2, c3 = st.columns([3, 3, 1])
    new_order = c1.radio("Thứ tự", list(ORDERS), index=list(ORDERS).index(order), format_func=ORDERS.get)
    if new_order == "locality":
        inds = data.indicators_with_targets()
        new_indicator = c2.selectbox("Chỉ tiêu", inds["indicator_code"].tolist(),
                                     index=max(0, inds["indicator_code"].tolist().index(indicator))
                                     if indicator in inds["indicator_code"].tolist() else 0,
                                     format_func=dict(zip(inds["indicator_code"], inds["name_vi"])).get)
        new_locality = locality
    else:
        options = codes + ([""] if new_order == "offtrack" else [])
        new_locality = c2.selectbox(
            "Địa phương", options, index=options.index(locality) if locality in options else 0,
            format_func=lambda c: f"{names[c]} ({c})" if c else "— Tất cả địa phương có chỉ tiêu —")
        new_indicator = indicator
    new_year = widgets.year_picker(c3, params, key="present_year")
    shown = task_slides.presenter_slides(new_order, new_locality or None, new_indicator, new_year)
    n_tasks = sum(task_slides.is_task_slide(s) for s in shown)
    st.markdown(f"**{len(shown)} trang** sẽ được trình chiếu"
                + (f", trong đó {n_tasks} trang về nhiệm vụ của kế hoạch (tình hình đến hôm nay)." if n_tasks else "."))
    widgets.data_notices(any(s.get("notice") for s in shown))
    if st.button("Bắt đầu trình chiếu", type="primary", icon=":material/slideshow:", disabled=not shown):
        params.from_dict({"order": new_order, "locality": new_locality or "", "indicator": new_indicator,
                          "year": str(new_year), "slide": "1"})
        st.rerun()

    st.divider()
    st.subheader("Xuất tệp")
    if new_order == "locality" or not new_locality:
        st.caption("Tệp trình chiếu và báo cáo in được xuất theo một địa phương: chọn thứ tự "
                   "“Từng chỉ tiêu…” hoặc “Chệch hướng…” với một địa phương.")
        return
    missing = actions.exports_available()
    if missing:
        # Exports draw charts with Chromium; everything else works without it.
        st.warning(missing)
    approved_only = st.toggle("Chỉ số liệu đã duyệt", key="export_approved",
                              help="Bật: tiến độ trong tệp chỉ tính từ các kỳ báo cáo đã được duyệt. Tệp ghi rõ "
                                   "số liệu nào được dùng.")
    st.caption("Tệp sẽ ghi: " + slides.FIGURES_SHOWN[approved_only] + ".")
    e1, e2 = st.columns(2)
    with e1:
        if st.button("Tạo tệp PowerPoint (.pptx)", icon=":material/co_present:", disabled=bool(missing)):
            try:
                with st.spinner("Đang vẽ biểu đồ và tạo tệp trình chiếu…"):
                    deck = actions.deck_file(new_locality, new_year,
                                             "offtrack" if new_order == "offtrack" else "indicator", approved_only)
            except actions.Refused as exc:
                st.error(widgets.safe(str(exc)))
            else:
                st.download_button("Tải tệp trình chiếu", deck, file_name=f"tien-do-{new_locality}-{new_year}.pptx",
                                   mime="application/vnd.openxmlformats-officedocument.presentationml.presentation",
                                   icon=":material/download:")
    with e2:
        if st.button("Tạo báo cáo in (.pdf)", icon=":material/print:", disabled=bool(missing)):
            try:
                with st.spinner("Đang tạo báo cáo PDF…"):
                    report = actions.report_file(new_locality, new_year, approved_only)
            except actions.Refused as exc:
                st.error(widgets.safe(str(exc)))
            else:
                st.download_button("Tải báo cáo PDF", report, file_name=f"bao-cao-{new_locality}-{new_year}.pdf",
                                   mime="application/pdf", icon=":material/download:")


def go(slide_number: int | None) -> None:
    if slide_number is None:
        del params["slide"]
    else:
        params["slide"] = str(slide_number)


def slide_view() -> None:
    st.html(PRESENT_CSS)
    shown = views.slides_of(order, locality or None, indicator, year)
    if not shown:
        st.warning("Không có trang nào để trình chiếu với lựa chọn này.")
        st.button("Thoát", on_click=go, args=(None,))
        return
    n = min(max(widgets.url_int(params, "slide", 1), 1), len(shown))
    s = shown[n - 1]
    notice = SYNTHETIC_NOTICE if data.is_synthetic() else s["notice"]
    head, nav = st.columns([5, 2], vertical_alignment="top")
    with head:
        st.html(f'<p class="slide-title">{widgets.html_text(s["title"])}</p>'
                f'<p class="slide-sub">{widgets.html_text(s["subtitle"])}</p>')
    with nav, st.container(horizontal=True, horizontal_alignment="right"):
        st.button("Trước", icon=":material/arrow_back:", on_click=go, args=(n - 1,), disabled=n == 1,
                  shortcut="Left", key="prev")
        st.button("Tiếp", icon=":material/arrow_forward:", on_click=go, args=(n + 1,), disabled=n == len(shown),
                  shortcut="Right", key="next", type="primary")
        st.button("Thoát", icon=":material/close:", on_click=go, args=(None,), key="exit", shortcut="Esc")
    if task_slides.is_task_slide(s):
        task_body(s, n)
    else:
        chart_body(s, n, notice)
    st.html(f'<p class="slide-small">Nguồn: {widgets.html_text(s["citation"])} · Trang {n}/{len(shown)}</p>')


def chart_body(s: dict, n: int, notice: str | None) -> None:
    chart, side = st.columns([3, 1], vertical_alignment="top")
    with chart:
        # theme=None: the figure's own large fonts, not Streamlit's small chart theme.
        st.plotly_chart(views.slide_figure(order, locality or None, indicator, year, n), config=CHART_CONFIG,
                        key=f"slide-{n}",
                        theme=None)
    with side:
        st.html(f'<span class="slide-status" style="background:{s["status_colour"]}">'
                f'{s["status_mark"]} {widgets.html_text(s["status_label"])}</span>'
                f'<p class="slide-fact">{s["latest_label"]}: <b>{widgets.html_text(s["latest_text"])}</b></p>'
                f'<p class="slide-fact">{s["target_label"]}: <b>{widgets.html_text(s["target_text"])}</b></p>'
                + "".join(f'<p class="slide-small">{widgets.html_text(f)}</p>' for f in slides.detail_facts(s["row"])[:4])
                + f'<p class="slide-small">{widgets.html_text(s["data_date"])}</p>'
                + (f'<p class="slide-notice">{widgets.html_text(notice)}</p>' if notice else ""))


def task_body(s: dict, n: int) -> None:
    """A task board slide: the plan's tasks by state beside the facts, or the overdue table."""
    if s["kind"] != "task_states":
        st.html(task_slides.overdue_html(s))
        return
    chart, side = st.columns([3, 1], vertical_alignment="top")
    with chart:
        st.plotly_chart(views.slide_figure(order, locality or None, indicator, year, n), config=CHART_CONFIG,
                        key=f"slide-{n}", theme=None)
    with side:
        st.html(task_slides.facts_html(s))


if slide_param:
    slide_view()
else:
    setup_view()
