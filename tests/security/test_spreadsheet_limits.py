"""Hostile spreadsheets cost neither memory nor time: each limit is checked before the
work, and refused with a 413 naming it; unreadable files are 422 problems."""

import io
import time
import zipfile

import openpyxl
import pytest

from models.sheets.files import SheetLimits, SheetTooLarge, sheet_chunks
from tests.security.conftest import HEADER, is_problem, part, rezip, upload, xlsx_bytes

GOOD_ROW = ["儿童", "王小明", "", "10"]


def _refused(response, limit: str, seconds: float, started: float):
    assert time.perf_counter() - started < seconds
    assert response.status_code == 413, response.text
    assert is_problem(response)
    body = response.json()
    assert body["limit"] == limit and limit in body["detail"]
    assert len(response.content) < 2000  # the answer does not grow with the file
    return body


def test_defusedxml_is_what_openpyxl_parses_with():
    assert openpyxl.DEFUSEDXML is True


def test_a_sheet_reaching_column_xfd_row_1048576_is_refused_at_once(app_client):
    def far(sheet):
        sheet["XFD1048576"] = "x"

    data = xlsx_bytes([HEADER, GOOD_ROW], far)
    assert len(data) < 10_000
    started = time.perf_counter()
    body = _refused(upload(app_client, data), "columns per sheet", 2, started)
    assert "16,384 columns" in body["detail"]


def test_a_declared_million_rows_is_refused_by_the_api_rows_limit(app_client):
    def tall(sheet):
        sheet["A1048576"] = "儿童"

    started = time.perf_counter()
    body = _refused(
        upload(app_client, xlsx_bytes([HEADER], tall)), "LIUSHOU_MAX_REVIEW_ROWS", 2, started
    )
    assert body["limit_value"] == 5000


def test_a_lying_dimension_does_not_hide_rows(app_client):
    """Rows past a declared size are still read, and counted against the limit."""
    rows = "".join(
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>儿童</t></is></c></row>'
        for r in range(2, 6003)
    )
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<dimension ref="A1:A2"/><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>类别 (category)</t></is></c></row>'
        f"{rows}</sheetData></worksheet>"
    ).encode()
    data = rezip(xlsx_bytes([HEADER]), {"xl/worksheets/sheet1.xml": sheet})
    started = time.perf_counter()
    _refused(upload(app_client, data), "LIUSHOU_MAX_REVIEW_ROWS", 10, started)


def _with_shared_string(size: int) -> bytes:
    """A workbook whose one shared string is ``size`` characters, written streaming."""
    base = xlsx_bytes([HEADER, ["儿童", "x", "", "10"]])
    sheet = part(base, "xl/worksheets/sheet1.xml").replace(
        b'<c r="B2" t="inlineStr"><is><t>x</t></is></c>', b'<c r="B2" t="s"><v>0</v></c>'
    )
    types = part(base, "[Content_Types].xml").replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
        b'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    patched = {"xl/worksheets/sheet1.xml": sheet, "[Content_Types].xml": types}
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(base)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            target.writestr(info, patched.get(info.filename) or source.read(info.filename))
        with target.open("xl/sharedStrings.xml", "w") as handle:
            handle.write(
                b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.'
                b'openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
                b"<si><t>"
            )
            block = b"A" * 2**20
            for _ in range(size // 2**20):
                handle.write(block)
            handle.write(b"</t></si></sst>")
    return out.getvalue()


def test_a_shared_string_of_300_mb_in_a_small_zip_is_refused_unread(app_client):
    data = _with_shared_string(300 * 2**20)
    assert len(data) < 2 * 2**20
    started = time.perf_counter()
    _refused(upload(app_client, data), "unzipped bytes per XLSX", 2, started)


def test_a_shared_string_table_of_100_mb_is_refused_unread(app_client):
    started = time.perf_counter()
    _refused(
        upload(app_client, _with_shared_string(100 * 2**20)),
        "unzipped bytes of shared strings per XLSX",
        2,
        started,
    )


def test_a_cell_over_the_length_limit_is_refused_and_not_echoed(app_client):
    started = time.perf_counter()
    body = _refused(
        upload(app_client, _with_shared_string(3 * 2**20)), "characters per cell", 10, started
    )
    assert "AAAA" not in body["detail"]


def test_csv_limits_are_checked_from_the_header_and_line_count(app_client):
    wide = (",".join(f"c{i}" for i in range(300)) + "\n1\n").encode()
    started = time.perf_counter()
    _refused(upload(app_client, wide, "people.csv"), "columns per sheet", 2, started)
    long_rows = ("类别 (category)\n" + "儿童\n" * 6000).encode()
    _refused(upload(app_client, long_rows, "people.csv"), "LIUSHOU_MAX_REVIEW_ROWS", 2, started)
    big_cell = ("类别 (category),姓名 (name)\n儿童," + "x" * 5000 + "\n").encode()
    body = _refused(upload(app_client, big_cell, "people.csv"), "characters per cell", 2, started)
    assert "row 2" in body["detail"] and "xxxx" not in body["detail"]


def test_the_limits_hold_outside_the_api_too():
    limits = SheetLimits(rows=10, columns=5)
    with pytest.raises(SheetTooLarge, match="LIUSHOU_MAX_REVIEW_ROWS"):
        list(sheet_chunks(xlsx_bytes([HEADER] + [GOOD_ROW] * 11), "p.xlsx", limits=limits))
    with pytest.raises(SheetTooLarge, match="columns"):
        list(sheet_chunks(xlsx_bytes([[*HEADER, "a", "b"]]), "p.xlsx", limits=limits))


BOMB = (
    b'<!DOCTYPE worksheet [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
)
OUTSIDE = b'<!DOCTYPE worksheet [<!ENTITY e SYSTEM "file:///etc/passwd">]>'


def _with_entity(sheet: bytes, doctype: bytes, entity: bytes) -> bytes:
    """The sheet's XML with a document type declaring entities, and one used in B2."""
    body = sheet.split(b"?>", 1)[-1] if sheet.startswith(b"<?xml") else sheet
    body = body.replace(b"<t>x</t>", b"<t>&" + entity + b";</t>")
    return b'<?xml version="1.0"?>' + doctype + body


def _broken_files() -> dict[str, bytes]:
    good = xlsx_bytes([HEADER, GOOD_ROW, ["老人", "x", "", "70"]])
    sheet = part(good, "xl/worksheets/sheet1.xml")
    return {
        "not a zip": b"this is not a spreadsheet at all",
        "truncated": good[: len(good) // 2],
        "bad XML": rezip(good, {"xl/worksheets/sheet1.xml": sheet[: len(sheet) // 2]}),
        "XML entities": rezip(
            good, {"xl/worksheets/sheet1.xml": _with_entity(sheet, BOMB, b"lol3")}
        ),
        "external entity": rezip(
            good, {"xl/worksheets/sheet1.xml": _with_entity(sheet, OUTSIDE, b"e")}
        ),
        "no worksheet": rezip(good, {"xl/worksheets/sheet1.xml": None}),
    }


@pytest.mark.parametrize("kind", list(_broken_files()))
def test_malformed_files_are_422_problems_saying_the_file_cannot_be_read(app_client, kind):
    response = upload(app_client, _broken_files()[kind])
    assert response.status_code == 422, response.text
    assert is_problem(response)
    body = response.json()
    assert body["title"] == "Unreadable spreadsheet"
    assert "cannot be read as XLSX" in body["detail"] and "Traceback" not in body["detail"]
    assert "root:" not in response.text  # nothing of /etc/passwd


def test_entities_are_refused_by_defusedxml_not_expanded():
    from defusedxml import DefusedXmlException

    from models.sheets.files import SheetError

    with pytest.raises(SheetError) as caught:
        list(sheet_chunks(_broken_files()["XML entities"], "p.xlsx"))
    causes, error = [], caught.value
    while error is not None:
        causes.append(error)
        error = error.__cause__ or error.__context__
    assert any(isinstance(e, DefusedXmlException) for e in causes)


@pytest.mark.parametrize(
    "rows", [[], [HEADER], [HEADER, [None] * 4, [None] * 4]], ids=["empty", "header", "blanks"]
)
def test_an_empty_sheet_is_an_empty_review_not_an_error(app_client, rows):
    response = upload(app_client, xlsx_bytes(rows))
    assert response.status_code == 200, response.text
    assert response.json()["review"]["rows_in"] == 0


def test_cells_right_of_the_header_are_reported_as_ignored_columns(assessor):
    from service.review import review

    def stray(sheet):
        sheet["H3"] = "备注"

    data = xlsx_bytes([HEADER, GOOD_ROW, ["老人", "李四", "", "70"]], stray)
    pieces = list(sheet_chunks(data, "p.xlsx"))
    assert list(pieces[0].columns[-4:]) == ["Unnamed: 4", "Unnamed: 5", "Unnamed: 6", "Unnamed: 7"]
    assert pieces[0].iloc[1, 7] == "备注" and pieces[0].iloc[0, 7] == ""
    with pytest.raises(SheetTooLarge, match="columns"):
        list(sheet_chunks(data, "p.xlsx", limits=SheetLimits(columns=6)))
    result = review(pieces, assessor, township="t", village="v", period="2026Q4")
    assert "Unnamed: 7" in result.ignored_columns and result.scored == 2


def test_the_streaming_reader_gives_what_pandas_read_excel_gave():
    """The bounded reader replaced pd.read_excel: the same texts, cell by cell, on a
    generated county sheet (typed cells: numbers, dates, identity numbers)."""
    import io

    import pandas as pd

    from fixtures.population import population, with_identities
    from models.sheets.columns import header_field
    from models.sheets.files import _cell_text

    buffer = io.BytesIO()
    with_identities(population(300, seed=4), seed=4).to_excel(buffer, index=False)
    data = buffer.getvalue()
    old = pd.read_excel(io.BytesIO(data), dtype=object, engine="openpyxl")
    for header in old.columns:
        is_id = header_field(header) == "id_number"
        old[header] = [_cell_text(value, is_id) for value in old[header]]
    new = pd.concat(list(sheet_chunks(data, "p.xlsx", rows=70)), ignore_index=True)
    assert list(new.columns) == list(old.columns)
    assert (new.to_numpy() == old.to_numpy()).all()


def test_a_county_sized_sheet_of_every_field_is_within_the_default_limits():
    """1,000,000 rows of every contract field (the review benchmark's file) must not be
    refused by the cells limit: the limits bound hostile files, not a county."""
    from models.sheets.columns import all_fields
    from models.sheets.files import DEFAULT_LIMITS

    assert 1_000_000 * len(all_fields()) <= DEFAULT_LIMITS.cells
    assert len(all_fields()) <= DEFAULT_LIMITS.columns
