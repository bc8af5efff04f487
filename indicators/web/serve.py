"""`python -m indicators.web.serve [streamlit options]`: start the app, as `make run` does.

The same as `streamlit run app.py`, less one Streamlit 1.67 quirk. app.py routes every page with
st.navigation, yet Streamlit treats a folder named `pages/` beside the entry point as a v1
multipage app until st.navigation has run once in the server process. So the first visitor after
a start who opens a shared link such as /chi-tieu?indicator=bhyt_coverage got an English "Page
not found" dialog over the right page (the v1 pages are named after the files, not the URLs).
Setting the flag that st.navigation itself sets on that first run, before the server starts,
removes the dialog; the layout keeps its `pages/` folder.

It also passes `--server.maxUploadSize`, the app's own upload limit (excel.safety.MAX_FILE_BYTES,
in MB): Streamlit's upload endpoint then refuses a bigger body itself (HTTP 413) before any page
sees it, instead of holding up to its default 200 MB in memory for any visitor (signed in or not).
.streamlit/config.toml says the same for a plain `streamlit run app.py`; an option given on the
command line after ours wins.
"""
from __future__ import annotations

import sys

from indicators.excel.safety import MAX_FILE_BYTES
from indicators.paths import PROJECT_ROOT

APP = PROJECT_ROOT / "app.py"
# What `streamlit run` is given: st.App running APP, plus the routes that set and clear the
# sign-in cookie (indicators/web/asgi.py).
SERVER = PROJECT_ROOT / "indicators" / "web" / "asgi.py"
MAX_UPLOAD_MB = MAX_FILE_BYTES // (1024 * 1024)   # Streamlit's server.maxUploadSize is in MB


def server_options() -> list[str]:
    """The options every start of the app gets, before the caller's own."""
    return ["--server.maxUploadSize", str(MAX_UPLOAD_MB),
            # No full garbage collection after every run (a third of the CPU under load; see
            # .streamlit/config.toml).
            "--runner.postScriptGC", "false"]


# What the pages import and first use, loaded once before the server listens, so that the first
# visitor after a start does not wait for it (on the national overview it was about 0,9 s of a
# 2,3 s first run: pandas, pyarrow.compute, Plotly, the administrative units, and Streamlit's
# emoji pattern, compiled the first time a segmented control draws its options).
PRELOADED = ("pandas", "pyarrow.compute", "plotly.graph_objects", "vietnam_provinces",
             "indicators.web.actions", "indicators.web.data", "indicators.web.views",
             "indicators.web.widgets", "indicators.web.session", "indicators.web.sign_in",
             "indicators.present.charts", "indicators.present.scorecard_table",
             "indicators.present.slides", "indicators.excel.importer", "indicators.plans.admin",
             "indicators.web.tasks", "indicators.web.task_pages", "indicators.web.task_slides")


def preload() -> None:
    """Import PRELOADED and compile Streamlit's emoji pattern (no page state is touched)."""
    import importlib
    import logging

    from streamlit import string_util

    # st.cache_data checks its options against the runtime's cache storage when a module is
    # imported, and says "No runtime found" once per cached function before the server exists;
    # the storage is looked up again on every call, so the check done now is the same.
    caching_log = logging.getLogger("streamlit.runtime.caching.cache_data_api")
    level = caching_log.level
    caching_log.setLevel(logging.ERROR)
    try:
        for name in PRELOADED:
            importlib.import_module(name)
    finally:
        caching_log.setLevel(level)
    string_util.extract_leading_emoji("")


def warm_store() -> None:
    """On PostgreSQL: build this process's replica now, while the server starts, rather than on
    the first visitor's page run (on the national data that visitor waited 12 s to a minute for
    the whole dataset). Only on a database already built and at this program's migrations
    (pg.ready): while init-db is still creating or upgrading it (scripts/cluster.sh starts the
    processes meanwhile), the first page run does it, as before. A failure is only logged: that
    page run tries again and says what is wrong."""
    import logging

    from indicators.progress import scorecard  # noqa: F401 — its cache refresh runs in the first catch-up (pg.AFTER_SYNC)
    from indicators.store import gate, pg
    where = gate.target()
    if not isinstance(where, str):   # a DuckDB file: nothing to build
        return
    try:
        if pg.ready(where):
            pg.store(where)
    except Exception:   # noqa: BLE001 — the first page run reports it to the visitor
        logging.getLogger(__name__).warning("could not catch up with %s at start", pg.shown(where), exc_info=True)


def main(argv: list[str] | None = None) -> None:
    import threading

    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli

    threading.Thread(target=warm_store, name="warm-store", daemon=True).start()
    preload()
    PagesManager.uses_pages_directory = False
    cli.main(["run", str(SERVER), *server_options(), *(sys.argv[1:] if argv is None else argv)],
             prog_name="streamlit")


if __name__ == "__main__":
    main()
