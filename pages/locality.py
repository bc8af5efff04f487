"""Địa phương: every target of one province or commune, its status and progress chart."""
from __future__ import annotations

import streamlit as st

from indicators import fmt, ui
from indicators.charts import progress_figure
from indicators.slides import chart_inputs, detail_facts
from indicators.progress import STATUSES
from indicators.status import DEFAULT_TARGET_YEAR
from indicators.text import fold, matches

DEFAULT_LOCALITY = "12"  # Lai Châu: the plan with document baselines, a good first view
# Off track first: what a leader must act on comes before what is fine.
ATTENTION = ["off_track", "needs_acceleration", "no_data", "on_track", "achieved"]
CHART_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["select2d", "lasso2d"],
                "toImageButtonOptions": {"format": "png", "scale": 2}}

provinces = ui.provinces()
params = st.query_params


def _province_label(code: str) -> str:
    row = provinces.loc[provinces["locality_code"] == code].iloc[0]
    mark = " · có chỉ tiêu" if row["n_targets"] else ""
    return f"{row['name']} ({code}){mark}"


# --- which locality: from the URL first (shareable), else the default --------------------
wanted = params.get("locality", DEFAULT_LOCALITY)
codes = provinces["locality_code"].tolist()
wanted_province = wanted
if wanted not in codes:
    wanted_province = ui.parent_of(wanted) or DEFAULT_LOCALITY

st.title(ui.t("page_locality"))
c1, c2, c3 = st.columns([3, 4, 2])
province = c1.selectbox(ui.t("province"), codes, index=codes.index(wanted_province),
                        format_func=_province_label, key="province")
communes = ui.communes_of(province)
query_text = c2.text_input(ui.t("commune_search"), key="commune_query",
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
    ui.t("commune"), options, index=options.index(preselect),
    format_func=lambda c: ui.t("whole_province") if c == province
    else f"{names[c]} ({c})" + (" · có chỉ tiêu" if c in communes_with_targets else ""),
    # A new search makes a new widget, so its first match is selected.
    key=f"commune_of_{province}_{fold(query_text)}",
)
if query_text and len(options) == 1:
    c2.caption(ui.t("no_match", q=query_text, province=_province_label(province)))

years = ui.milestone_years(locality) or [DEFAULT_TARGET_YEAR]
wanted_year = int(params.get("year", DEFAULT_TARGET_YEAR)) if str(params.get("year", "")).isdigit() else DEFAULT_TARGET_YEAR
year_default = wanted_year if wanted_year in years else (DEFAULT_TARGET_YEAR if DEFAULT_TARGET_YEAR in years else years[0])
year = c3.selectbox(ui.t("target_year"), years, index=years.index(year_default), key=f"year_{locality}")
params.update({"locality": locality, "year": str(year)})

# --- the locality's progress -------------------------------------------------------------
lp = ui.progress_of(locality, year)
name = provinces.set_index("locality_code")["name"].get(locality) or names.get(locality, locality)
parent = "" if locality == province else f" – {_province_label(province).split(' (')[0]}"
st.subheader(f"{name} ({locality}){parent}")

if not lp.rows:
    st.info(ui.t("no_targets", name=name))
    known = ui.localities_with_targets()
    st.caption(ui.t("has_targets", names=", ".join(f"{n} ({c})" for c, n in zip(known["locality_code"], known["name"]))))
    st.stop()

ui.data_notices(lp.has_illustrative)

counts = {s: sum(r["status"] == s for r in lp.rows) for s in STATUSES}
summary = st.container(horizontal=True, gap="medium")
with summary:
    for s in STATUSES:
        st.metric(ui.i18n.status_label(s, ui.lang()), counts[s], width="content", border=True)
st.caption(f"Tiến độ đến năm {year}: {len(lp.rows)} chỉ tiêu trong các kế hoạch của địa phương. "
           "Trạng thái theo phương pháp dự báo có trọng số thời gian (UN ESCAP); di chuột hoặc bấm "
           "“Nguồn” để xem văn bản, mục và điều khoản của từng chỉ tiêu.")


def render_card(r: dict) -> None:
    d, unit, kind = r["decimals"], r["unit"], r["value_kind"]
    obs, ms = chart_inputs(r, lp.observations, lp.milestones)
    with st.container(border=True):
        st.markdown(f"**{r['indicator_name']}**")
        st.caption(r["indicator_group"])
        target_text = fmt.target(r["target_comparator"], r["target_value"], unit, d, kind, r["target_text"])
        with st.container(horizontal=True, vertical_alignment="center"):
            ui.status_badge(r["status"], help=f"Kế hoạch {fmt.plan_number(r['plan_number'])} – {r['clause']}")
            with st.popover(f"{ui.t('source')}: {fmt.plan_number(r['plan_number'])}", icon=":material/description:", type="tertiary"):
                issued = f", ngày {fmt.date(r['plan_issued_on'])}" if r["plan_issued_on"] else ""
                st.markdown(f"**Kế hoạch {fmt.plan_number(r['plan_number'])}**{issued} – {r['plan_issuer']}")
                st.caption(r["plan_title"])
                st.markdown(f"**Điều khoản:** {r['clause']}")
                st.markdown(f"**Nội dung:** “{r['target_text']}”")
                if r["year_note"]:
                    st.caption(f"Ghi chú: {r['year_note']}")
                if r["baseline_source"] == "document" and r["baseline_source_text"]:
                    st.caption(f"Đầu vào: {r['baseline_source_text']}")
        latest = (f"{fmt.value(r['latest_value'], unit, d, kind)} ({fmt.period(r['latest_period'])})"
                  if r["latest_value"] is not None else ui.t("no_value"))
        if r["latest_is_illustrative"]:
            latest += " · minh họa"
        every = " mỗi năm" if r["is_every_year"] else ""
        st.markdown(f"{ui.t('latest')}: **{latest}**  \n"
                    f"{ui.t('target')} {r['target_year']}{every}: **{target_text}**")
        facts = detail_facts(r)
        # Short figures on one line; the per-year verdicts and the qualitative note on their own.
        own_line = ("Từng năm", "Chỉ tiêu định tính")
        if short := [f for f in facts if not f.startswith(own_line)]:
            st.caption(" · ".join(short))
        for f in facts:
            if f.startswith(own_line):
                st.caption(f)
        st.plotly_chart(progress_figure(r, obs, ms), config=CHART_CONFIG,
                        key=f"chart-{r['plan_code']}-{r['indicator_code']}")


st.caption("Cách đọc biểu đồ: đường xanh đậm – số liệu báo cáo; ô vuông xám – đầu vào theo kế hoạch; "
           "đường chấm – lộ trình cần đạt; đường gạch cam – dự báo đến năm mục tiêu; ngôi sao – mốc "
           "mục tiêu; vùng tô xanh – phía đạt mục tiêu.")
ORDERS = {"attention": "Cần chú ý trước", "group": "Theo nhóm chỉ tiêu"}
order = st.segmented_control("Sắp xếp", list(ORDERS), format_func=ORDERS.get, default="attention",
                             key="card_order", required=True)
rows = sorted(lp.rows, key=lambda r: (ATTENTION.index(r["status"]), r["indicator_group"])) \
    if order == "attention" else lp.rows
# Cards two by two, so each row lines up.
for i in range(0, len(rows), 2):
    for col, r in zip(st.columns(2), rows[i:i + 2]):
        with col:
            render_card(r)
