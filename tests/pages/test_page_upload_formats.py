"""AppTest of the upload page with the formats officers have: the uploader takes them, the
template stays the first choice offered, and a .csv's reading (its encoding guess) is shown."""
from __future__ import annotations

from tests.pages.test_page_upload import metrics, officer, open_page  # noqa: F401 — the fixture
from tests.store.test_import_formats import ROWS, source_csv


def test_the_uploader_takes_every_format_and_offers_the_template_first(officer):  # noqa: F811
    at = open_page("canbo_lc")
    label = at.get("file_uploader")[0].proto.label
    assert label.index(".xlsx") < label.index(".xls,")   # the template's format named first
    assert set(at.get("file_uploader")[0].proto.type) >= {".xlsx", ".xls", ".ods", ".xlsb", ".csv"}


def test_a_windows_1258_csv_is_previewed_with_its_guess_told(officer):  # noqa: F811
    at = open_page("canbo_lc")
    at.file_uploader[0].set_value(("so_lieu.csv", source_csv("cp1258"), "text/csv")).run()
    assert not at.exception and not at.error
    assert metrics(at)["Dòng số liệu"] == str(len(ROWS))
    assert any("Windows\\-1258" in i.value and "đoán" in i.value for i in at.info)
