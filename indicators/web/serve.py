"""`python -m indicators.web.serve [streamlit options]`: start the app, as `make run` does.

The same as `streamlit run app.py`, less one Streamlit 1.67 quirk. app.py routes every page with
st.navigation, yet Streamlit treats a folder named `pages/` beside the entry point as a v1
multipage app until st.navigation has run once in the server process. So the first visitor after
a start who opens a shared link such as /chi-tieu?indicator=bhyt_coverage got an English "Page
not found" dialog over the right page (the v1 pages are named after the files, not the URLs).
Setting the flag that st.navigation itself sets on that first run, before the server starts,
removes the dialog; the layout keeps its `pages/` folder.
"""
from __future__ import annotations

import sys

from indicators.paths import PROJECT_ROOT

APP = PROJECT_ROOT / "app.py"


def main(argv: list[str] | None = None) -> None:
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli

    PagesManager.uses_pages_directory = False
    cli.main(["run", str(APP), *(sys.argv[1:] if argv is None else argv)], prog_name="streamlit")


if __name__ == "__main__":
    main()
