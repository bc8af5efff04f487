"""Địa phương: every target of one province or commune, its status and progress chart.

Stored text (names, plan titles, clauses, target text, notes) and the search box's text reach
Markdown (titles, captions, help, popover labels) only through widgets.safe()."""
from __future__ import annotations

import streamlit as st

from indicators.web import data, fold, matches, slides, statuses, task_pages, views, widgets

DEFAULT_LOCALITY = "12"  # Lai Châu: the plan with document baselines, a good first view
CHART_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["select2d", "lasso2d"],
                "toImageButtonOptions": {"format": "png", "scale": 2}}

provinces = data.provinces()
params = st.query_params
safe = widgets.safe


_province_labels = {c: f"{n} ({c})" + (" · có chỉ tiêu" if t else "")
                    for c, n, t in zip(provinces["locality_code"], provinces["name"], provinces["n_targets"])}


def _province_label(code: str) -> str:
    return _province_labels[code]


# --- which locality: from the URL first (shareable), else the default --------------------
wanted = params.get("locality", DEFAULT_LOCALITY)
codes = provinces["locality_code"].tolist()
wanted_province = wanted
if wanted not in codes:
    found = data.locality(wanted)
    wanted_province = found["parent_code"] if found and found["parent_code"] else DEFAULT_LOCALITY

st.title(widgets.t("page_locality"))
c1, c2, c3 = st.columns([3, 4, 2])
province = c1.selectbox(widgets.t("province"), codes, index=codes.index(wanted_province),
                        format_func=_province_label, key="province")
communes = data.communes_of(province)
query_text = c2.text_input(widgets.t("commune_search"), key="commune_query",
                           placeholder="vd. hung dao")
shown = communes[[matches(query_text, k) for k in communes["search_key"]]] if query_text else communes
options = [province] + shown["locality_code"].tolist()
names = dict(zip(communes["locality_code"], communes["name"]))
matched = shown["locality_code"].tolist()
if query_text:
    # A search picks its first match unless the URL's commune is among the matches.
    preselect = wanted if wanted in matched else (matched[0] if matched else province)
else:
    preselect = wanted if wanted in options else province
communes_with_targets = set(communes.loc[communes["n_targets"] > 0, "locality_code"])
locality = c2.selectbox(
    widgets.t("commune"), options, index=options.index(preselect),
    format_func=lambda c: widgets.t("whole_province") if c == province
    else f"{names[c]} ({c})" + (" · có chỉ tiêu" if c in communes_with_targets else ""),
    # A new search makes a new widget, so its first match is selected.
    key=f"commune_of_{province}_{fold(query_text)}",
)
if query_text and len(options) == 1:
    c2.caption(widgets.t("no_match", q=safe(query_text), province=safe(_province_label(province))))

years = data.milestone_years(locality) or [statuses.DEFAULT_TARGET_YEAR]
year = widgets.year_picker(c3, params, key=f"year_{locality}", years=years, label=widgets.t("target_year"))
params.update({"locality": locality, "year": str(year)})
approved_only = widgets.approved_only_toggle(st, params, key="loc_approved")

# --- the locality's progress -------------------------------------------------------------
# The progress and its nine-odd figures, built once per data version for every session.
lp, figures, texts = views.locality(locality, year, approved_only)
name = provinces.set_index("locality_code")["name"].get(locality) or names.get(locality, locality)
parent = "" if locality == province else f" – {_province_label(province).split(' (')[0]}"
st.subheader(safe(f"{name} ({locality}){parent}"))

# The tasks of the locality's plans (issue 15): one click to their board.
for plan_code, label in task_pages.plan_links(locality):
    st.page_link("pages/tasks.py", label=safe(label), icon=":material/task_alt:", query_params={"plan": plan_code})

if not lp.rows:
    st.info(widgets.t("no_targets", name=safe(name)))
    known = data.localities_with_targets()
    st.caption(widgets.t("has_targets", names=safe(", ".join(f"{n} ({c})" for c, n in zip(known["locality_code"], known["name"])))))
    st.stop()

widgets.data_notices(lp.has_illustrative)

counts = slides.status_counts(lp.rows)
summary = st.container(horizontal=True, gap="medium")
with summary:
    for s in statuses.STATUSES:
        st.metric(statuses.status_label(s, widgets.lang()), counts[s], width="content", border=True)
st.caption(f"Tiến độ đến năm {year}: {len(lp.rows)} chỉ tiêu trong các kế hoạch của địa phương. "
           "Trạng thái theo phương pháp dự báo có trọng số thời gian (UN ESCAP); di chuột hoặc bấm "
           "“Nguồn” để xem văn bản, mục và điều khoản của từng chỉ tiêu.")


def render_card(r: dict) -> None:
    key = (r["plan_code"], r["indicator_code"])
    text = texts[key]   # formatted once per data version (views.card_texts)
    with st.container(border=True):
        st.markdown(text["title"])
        st.caption(text["group"])
        with st.container(horizontal=True, vertical_alignment="center"):
            widgets.status_badge(r["status"], help=text["badge_help"])
            with st.popover(f"{widgets.t('source')}: {text['plan_number']}", icon=":material/description:", type="tertiary"):
                st.markdown(text["plan_line"])
                st.caption(text["plan_title"])
                st.markdown(text["clause"])
                st.markdown(text["content"])
                if text["year_note"]:
                    st.caption(text["year_note"])
                if text["baseline_note"]:
                    st.caption(text["baseline_note"])
        latest = text["latest"] if text["latest"] is not None else safe(widgets.t("no_value"))
        st.markdown(f"{widgets.t('latest')}: **{latest}**  \n"
                    f"{widgets.t('target')} {text['target']}")
        if text["short_facts"]:
            st.caption(text["short_facts"])
        for f in text["own_line_facts"]:
            st.caption(f)
        st.plotly_chart(figures[key], config=CHART_CONFIG, key=f"chart-{r['plan_code']}-{r['indicator_code']}")


st.caption("Cách đọc biểu đồ: đường xanh đậm – số liệu báo cáo; ô vuông xám – đầu vào theo kế hoạch; "
           "đường chấm – lộ trình cần đạt; đường gạch cam – dự báo đến năm mục tiêu; ngôi sao – mốc "
           "mục tiêu; vùng tô xanh – phía đạt mục tiêu.")
ORDERS = {"attention": "Cần chú ý trước", "group": "Theo nhóm chỉ tiêu"}
order = st.segmented_control("Sắp xếp", list(ORDERS), format_func=ORDERS.get, default="attention",
                             key="card_order", required=True)
rows = sorted(lp.rows, key=lambda r: (statuses.ATTENTION_ORDER.index(r["status"]), r["indicator_group"])) \
    if order == "attention" else lp.rows
# Cards two by two, so each row lines up.
for i in range(0, len(rows), 2):
    for col, r in zip(st.columns(2), rows[i:i + 2]):
        with col:
            render_card(r)
