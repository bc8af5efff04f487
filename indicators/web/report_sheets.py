"""The upload page's "how your sheet was read" section, for officers' own report sheets.

Before the usual preview, for each sheet read by excel/layout.py the officer sees whose figures
they are, which column became which period (and which were left out, and why), and which row
became which indicator or commune with how sure the match is. They pick another match from a list
(or "bỏ qua") for a guessed or unrecognised row, or for any other on request, and confirm: the confirmed reading is kept for their locality and the sheet's
shape (excel/mappings.py), and the file is previewed again with it; next quarter's file of the
same shape goes straight to the preview.

User text (labels, headers) is shown only in st.dataframe cells, widget labels (plain text) or
through widgets.safe.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from indicators.excel.layout import LOCALITY_HOW, ROLE_TEXT
from indicators.excel.names import name_key
from indicators.web import actions, data, fmt, widgets

safe = widgets.safe
SKIP = "— bỏ qua dòng này —"
KIND_TEXT = {"indicators_as_rows": "mỗi dòng là một chỉ tiêu, mỗi cột là một kỳ báo cáo",
             "localities_as_rows": "mỗi dòng là một xã/phường (địa phương), các cột là kỳ báo cáo hoặc chỉ tiêu"}



def _how(match: dict | None) -> str:
    if not match or not match.get("code"):
        return "không nhận ra"
    if match["how"] == "guess":
        return f"đoán ({fmt.number(match['score'], 0)}%) – cần kiểm tra"
    if match["how"] == "confirmed":
        return "đã xác nhận"
    return "chắc chắn"


def _column_text(c: dict) -> str:
    if c["role"] == "period":
        shown = fmt.period(c["period"])
        return (f"Số liệu năm {shown}" if len(c["period"]) == 4 else f"Số liệu {shown}") \
            + (" (số ước tính)" if c.get("estimate") else "")
    if c["role"] == "indicator":
        m = c.get("match") or {}
        name = (m.get("candidates") or [{}])[0].get("name", m.get("code") or "?")
        return f"Chỉ tiêu: {name}" + (f", kỳ {fmt.period(c['period'])}" if c.get("period") else "")
    return ROLE_TEXT.get(c["role"], c["role"])


def show(pv, account, scope: dict[str, str]) -> str | None:
    """Show how each report sheet of the preview was read, with the corrections the officer can
    make. Returns a locality code when the officer picked whose figures the sheets hold (the
    caller previews again with it), else None."""
    if not pv.layouts:
        return None
    chosen = None
    _, indicators = data.labels()
    ind_names = dict(zip(indicators["indicator_code"], indicators["name_vi"]))
    saved = st.session_state.pop("wide_saved", None)
    if saved:
        st.success(f"Đã ghi nhớ cách đọc trang “{safe(saved)}”: tệp cùng dạng lần sau được đọc như vậy.")
    for n, layout in enumerate(pv.layouts):
        st.markdown(f"**Cách hệ thống đọc trang “{safe(layout['sheet'])}”**: {KIND_TEXT[layout['kind']]} "
                    f"(dòng tiêu đề: {layout['header_row']})."
                    + (" Cách đọc này đã được xác nhận trước đây." if layout.get("confirmed") else ""))
        if layout["kind"] == "indicators_as_rows":
            loc = layout.get("locality") or {}
            current = loc.get("code")
            label = scope.get(current, current) if current else None
            if label:
                st.caption(f"Số liệu của: {safe(label)} – {LOCALITY_HOW.get(layout.get('locality_how', ''), '')}.")
            else:
                st.warning("Trang không ghi số liệu của địa phương nào: hãy chọn địa phương.")
            picked = st.selectbox("Số liệu của địa phương", [""] + list(scope), index=0,
                                  format_func=lambda c: "— giữ như trên —" if c == "" else scope[c],
                                  key=f"wide_locality_{n}")
            if picked:
                chosen = picked
        cols = pd.DataFrame([{"Cột": c["letter"], "Tiêu đề trong tệp": c["header"], "Được hiểu là": _column_text(c),
                              "Lý do": c.get("reason") or ""} for c in layout["columns"]])
        st.dataframe(cols, hide_index=True, width="stretch", key=f"wide_columns_{n}")
        rows = [r for r in layout["rows"] if r["role"] in ("data", "unmatched", "skipped", "unit_error")]
        if not rows:
            continue
        if layout["kind"] == "indicators_as_rows":
            choices = {code: f"{name} ({code})" for code, name in ind_names.items()}
        else:
            choices = dict(scope)
        options = ["", *choices]

        def label_of(code: str) -> str:
            return SKIP if code == "" else choices.get(code, code)

        st.dataframe(pd.DataFrame([{
            "Dòng": r["row"], "Tên trong tệp": r["label"],
            "Được hiểu là": "—" if r["role"] == "skipped" or not (r.get("match") or {}).get("code")
            else label_of(r["match"]["code"]),
            "Mức chắc chắn": "đã bỏ qua" if r["role"] == "skipped" else
            ("sai đơn vị – không đọc" if r["role"] == "unit_error" else _how(r.get("match")))} for r in rows]),
            hide_index=True, width="stretch", key=f"wide_rows_{n}")
        # Rows to look at (guessed or not recognised) get a picker each; the others on request.
        doubtful = [r for r in rows if r["role"] == "unmatched" or (r.get("match") or {}).get("how") == "guess"]
        picks: dict[str, str] = {}

        def picker(r: dict, where) -> None:
            current = "" if r["role"] in ("skipped", "unmatched") else (r.get("match") or {}).get("code") or ""
            picks[r["label"]] = where.selectbox(
                f"Dòng {r['row']}: “{safe(r['label'])}”", options, index=options.index(current) if current in options else 0,
                format_func=label_of, key=f"wide_row_{n}_{r['row']}")

        if doubtful:
            st.markdown("Hãy kiểm tra các dòng dưới đây (hệ thống đoán hoặc không nhận ra), chọn đúng tên hoặc bỏ qua:")
            for r in doubtful:
                picker(r, st)
        others = [r for r in rows if r not in doubtful]
        if others:
            with st.expander("Sửa cách đọc các dòng khác"):
                for r in others:
                    picker(r, st)
        if st.button("Xác nhận cách đọc này và ghi nhớ cho lần sau", key=f"wide_confirm_{n}",
                     help="Lần sau, tệp cùng dạng của địa phương này được đọc đúng như vậy, không cần xác nhận lại"):
            overrides = {"rows": {name_key(label): code for label, code in picks.items() if label}}
            if layout["kind"] == "indicators_as_rows" and layout.get("locality_how") in ("chosen", "confirmed"):
                overrides["locality"] = layout["locality"]["code"]   # a title that names one keeps winning
            try:
                actions.save_sheet_mapping(account, layout["signature"], layout["sheet"], overrides)
            except actions.Refused as exc:
                st.error(safe(str(exc)))
            else:
                st.session_state.pop("upload_preview", None)   # previewed again with the confirmed reading
                st.session_state["wide_saved"] = layout["sheet"]
                st.rerun()
    return chosen
