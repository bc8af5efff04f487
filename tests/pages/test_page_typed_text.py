"""Typed text is never Markdown or HTML, and numbers in the URL are ASCII digits (issue 12, 11).

What admins and officers type — a plan's title, issuer and number, a target's text, clause and
note, a baseline's source, a locality's and an indicator's name, a display name, a file name, an
observation's note, an audit detail — holds a Markdown image, a Markdown link and an HTML image.
On every page that shows it, no text Streamlit renders as Markdown (st.markdown, captions,
alerts, titles, labels, help, popover and tab labels) carries any of them unescaped: the
reader's browser fetches nothing and follows nothing. And `?year=²` is the default year.
"""
from __future__ import annotations

import re

import pytest
from google.protobuf.json_format import MessageToDict
from streamlit.testing.v1 import AppTest

from indicators.auth.admin import set_password
from indicators.progress.statuses import DEFAULT_TARGET_YEAR
from indicators.store import gate
from tests.conftest import ROOT, signed_in

PAYLOAD = "![x](http://example.invalid/a.png) [link](http://example.invalid) <img src=x onerror=alert(1)>"
# Markup that would survive into the rendered page: a Markdown image or link, an HTML tag, a
# bare address GitHub Markdown turns into a link.
MARKUP = re.compile(r"!\[|\]\(|<\s*img|<\s*a\s|https?://|www\.", re.IGNORECASE)
HTML_MARKUP = re.compile(r"<\s*img|<\s*a\s", re.IGNORECASE)   # in st.html, Markdown is just text
RENDERED_FIELDS = {"body", "label", "help", "caption", "title", "placeholder"}
# Elements whose text is data, never Markdown (tables, charts, the values typed into widgets).
DATA_ELEMENTS = {"arrow_data_frame", "arrow_table", "plotly_chart", "text_input", "text_area", "selectbox",
                 "multiselect", "number_input", "date_input"}


@pytest.fixture
def typed_db(seeded_db):
    with gate.writing(seeded_db) as con:
        set_password(con, "quantri", "quantri", "mat-khau-thu-nghiem")
        con.execute("update plan set title = $p, issuer = $p, number = $p where plan_code = 'LC-243-2025'",
                    {"p": PAYLOAD})
        con.execute("update target set target_text = $p, clause = $p, year_note = $p "
                    "where plan_code = 'LC-243-2025'", {"p": PAYLOAD})
        con.execute("update baseline set source = $p", {"p": PAYLOAD})
        con.execute("update locality set name = name || ' ' || $p where locality_code = '12'", {"p": PAYLOAD})
        con.execute("update indicator set name_vi = name_vi || ' ' || $p where indicator_code = 'bhyt_coverage'",
                    {"p": PAYLOAD})
        con.execute("update account set display_name = $p where user_name = 'quantri'", {"p": PAYLOAD})
        con.execute("update upload set file_name = $p || '.xlsx'", {"p": PAYLOAD})
        con.execute("update observation set note = $p", {"p": PAYLOAD})
        con.execute("insert into audit_event (user_name, action, detail) values ('quantri', 'upload', $p)",
                    {"p": PAYLOAD})
    return seeded_db


def _strings(value, key=""):
    """Every string under a rendered field of a proto (as a dict)."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v, key)
    elif isinstance(value, str) and key in RENDERED_FIELDS:
        yield value


def rendered_texts(at: AppTest) -> list[tuple[str, str]]:
    """(element type, text) of every element and block label Streamlit renders as Markdown or HTML."""
    found = []

    def walk(node):
        proto = getattr(node, "proto", None)
        if proto is not None and getattr(node, "type", None) not in DATA_ELEMENTS and hasattr(proto, "DESCRIPTOR"):
            found.extend((node.type, text) for text in _strings(MessageToDict(proto, preserving_proto_field_name=True)))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return found


def unescaped(text: str) -> str:
    """What is left for Markdown to interpret once backslash-escaped characters are taken out."""
    return re.sub(r"\\.", "", text)


def assert_no_markup(at: AppTest) -> list[str]:
    assert not at.exception, at.exception
    found = rendered_texts(at)
    bad = [t for kind, t in found if (HTML_MARKUP if kind == "html" else MARKUP).search(unescaped(t))]
    assert not bad, bad
    return [t for _, t in found]


def open_page(page: str, *, user: str | None = None, params: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    if user:
        signed_in(at, user)
    at.run()
    for k, v in (params or {}).items():
        at.query_params[k] = v
    at.switch_page(str(ROOT / "pages" / page)).run()
    return at


def shows_payload(texts: list[str]) -> bool:
    """The typed text is there, as text (its words, escaped)."""
    return any("example\\.invalid" in t and "onerror" in t for t in texts)


def test_locality_page_shows_typed_text_as_text(typed_db):
    at = open_page("locality.py", params={"locality": "12"})
    texts = assert_no_markup(at)
    assert shows_payload(texts)                       # title, clause, target text, note, source …
    body = "\n".join(texts)
    assert "&lt;img src\\=x onerror\\=alert\\(1\\)&gt;" in body


def test_locality_search_text_is_not_markup(typed_db):
    at = open_page("locality.py", params={"locality": "12"})
    at.text_input(key="commune_query").input("[a](http://example.invalid) khong-co-xa-nao").run()
    assert_no_markup(at)


@pytest.mark.parametrize("page,params", [
    ("overview.py", {"scope": "province", "province": "12"}),
    ("overview.py", {"scope": "country"}),
    ("indicator.py", {"indicator": "bhyt_coverage"}),
    ("present.py", {"locality": "12"}),
    ("present.py", {"locality": "12", "slide": "1"}),
])
def test_dashboards_show_typed_text_as_text(typed_db, page, params):
    assert_no_markup(open_page(page, params=params))


@pytest.mark.parametrize("page", ["upload.py", "admin_plans.py", "admin_audit.py", "admin_accounts.py"])
def test_officer_and_admin_pages_show_typed_text_as_text(typed_db, page):
    at = open_page(page, user="quantri")
    texts = assert_no_markup(at)
    if page == "upload.py":
        assert shows_payload(texts)                   # the display name in the caption


def test_a_refusal_quoting_typed_text_is_text(typed_db):
    at = open_page("admin_plans.py", user="quantri")
    form = at.tabs[2]
    form.text_input[0].input("LC-243-2025")           # an existing plan code: refused, quoting the input
    form.text_input[3].input(PAYLOAD)                 # locality code
    form.text_input[4].input(PAYLOAD)                 # title
    form.button[0].click().run()
    assert at.error, "the plan was not refused"
    assert_no_markup(at)


@pytest.mark.parametrize("page,user", [
    ("overview.py", None), ("locality.py", None), ("indicator.py", None), ("present.py", None),
    ("upload.py", "quantri"), ("admin_plans.py", "quantri"), ("admin_audit.py", "quantri"),
    ("admin_accounts.py", "quantri"),
])
@pytest.mark.parametrize("year", ["²", "٣", "2030x", "-1", "１２"])
def test_a_year_that_is_not_ascii_digits_gives_the_default(seeded_db, page, user, year):
    with gate.writing(seeded_db) as con:
        set_password(con, "quantri", "quantri", "mat-khau-thu-nghiem")
    at = open_page(page, user=user, params={"year": year, "locality": "12"})
    assert not at.exception, at.exception
    years = [s.value for s in at.selectbox if s.label in ("Năm mục tiêu", "Target year")]
    if page in ("overview.py", "locality.py", "indicator.py", "present.py"):
        assert years == [DEFAULT_TARGET_YEAR]


@pytest.mark.parametrize("number", ["²", "٣", "-1", "１"])
def test_a_slide_number_that_is_not_ascii_digits_opens_the_first(seeded_db, number):
    at = open_page("present.py", params={"locality": "12", "year": number, "slide": number})
    assert not at.exception, at.exception
    assert any("Trang 1/" in h.value for h in at.get("html")), "not on the first slide"
