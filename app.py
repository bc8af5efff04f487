"""Entry point: routes pages with st.navigation and draws the shared chrome, nothing else."""
import streamlit as st

from indicators import i18n, ui


def main() -> None:
    st.set_page_config(page_title="Chỉ tiêu y tế 2030", page_icon="🏥", layout="wide")
    with st.sidebar:
        st.markdown(f"### {ui.t('app_title')}")
        st.selectbox(i18n.t("language", ui.lang()), list(i18n.LANGUAGES), key="lang",
                     format_func=i18n.LANGUAGES.get)
        if ui.has_illustrative_data():
            st.caption(f"⚠️ {ui.t('illustrative_short')}: cơ sở dữ liệu đang có số liệu minh họa.")
    pages = {
        "Theo dõi": [
            st.Page("pages/locality.py", title=ui.t("page_locality"), icon="📍",
                    url_path="dia-phuong", default=True),
        ],
    }
    st.navigation(pages).run()


main()
