"""Corrupted CSV and XLSX files, generated (seeded): truncations, flipped bytes, wrong
types, huge dimensions, random bytes and zip tricks. Every one is answered with a 2xx or
a 4xx problem document, never a 5xx, and the server's memory stays bounded."""

import io
import random
import struct
import warnings
import zipfile
from datetime import date, datetime

import psutil
import pytest

from tests.security.conftest import HEADER, is_problem, part, rezip, upload, xlsx_bytes

SEED = 11
FULL_HEADER = [*HEADER, "脱离监护单独居住", "父亲状况 (father_status)", "最近免费体检日期"]


def _valid_xlsx(rng: random.Random) -> bytes:
    rows = [FULL_HEADER]
    for _ in range(rng.randint(1, 30)):
        rows.append(
            [
                rng.choice(["儿童", "老人", "妇女", "", "x"]),
                "王小明",
                "",
                str(rng.randint(0, 99)),
                rng.choice(["是", "否", ""]),
                rng.choice(["外出务工", "在家", ""]),
                "2026-01-02",
            ]
        )
    return xlsx_bytes(rows)


def _typed_xlsx(rng: random.Random) -> bytes:
    """Every kind of cell value openpyxl can write, in every column."""
    values = [
        1e308,
        -1,
        3.5,
        True,
        False,
        datetime(1900, 1, 1),
        date(2999, 12, 31),
        "=1/0",
        '=HYPERLINK("x")',
        340422201603150032,
        "#N/A",
        "",
        " ",
        "\u738b" * 300,
    ]
    rows = [FULL_HEADER] + [[rng.choice(values) for _ in FULL_HEADER] for _ in range(20)]
    return xlsx_bytes(rows)


def _huge_dimension(rng: random.Random) -> bytes:
    data = _valid_xlsx(rng)
    sheet = part(data, "xl/worksheets/sheet1.xml")
    ref = rng.choice(["A1:XFD1048576", "A1:ZZ9999999", "A1:A1048576", "XFD1:XFD2", "A0:B-3", "?"])
    start = sheet.index(b'<dimension ref="') + len(b'<dimension ref="')
    end = sheet.index(b'"', start)
    return rezip(data, {"xl/worksheets/sheet1.xml": sheet[:start] + ref.encode() + sheet[end:]})


def _far_cell(rng: random.Random) -> bytes:
    def edit(sheet):
        sheet.cell(row=rng.randint(1, 1_048_576), column=rng.randint(1, 16_384), value="x")

    return xlsx_bytes([FULL_HEADER, ["儿童", "", "", "9", "是", "", ""]], edit)


def _truncated(rng: random.Random) -> bytes:
    data = _valid_xlsx(rng)
    return data[: rng.randint(0, len(data) - 1)]


def _flipped(rng: random.Random) -> bytes:
    data = bytearray(_valid_xlsx(rng))
    for _ in range(rng.randint(1, 20)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data)


def _mangled_xml(rng: random.Random) -> bytes:
    data = _valid_xlsx(rng)
    name = rng.choice(
        [
            "xl/worksheets/sheet1.xml",
            "xl/workbook.xml",
            "[Content_Types].xml",
            "xl/styles.xml",
            "xl/_rels/workbook.xml.rels",
        ]
    )
    xml = bytearray(part(data, name))
    start = rng.randrange(len(xml))
    del xml[start : start + rng.randint(1, 200)]
    return rezip(data, {name: bytes(xml)})


def _wrong_declared_size(rng: random.Random) -> bytes:
    """The zip directory says the sheet unzips to a few bytes; it does not."""
    data = bytearray(_valid_xlsx(rng))
    name = b"xl/worksheets/sheet1.xml"
    for signature, size_at in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):
        at = 0
        while (at := data.find(signature, at)) != -1:
            name_at = at + (46 if signature == b"PK\x01\x02" else 30)
            if data[name_at : name_at + len(name)] == name:
                data[at + size_at : at + size_at + 4] = struct.pack("<I", rng.randint(0, 50))
            at += 4
    return bytes(data)


def _zip_tricks(rng: random.Random) -> bytes:
    data = _valid_xlsx(rng)
    trick = rng.choice(["duplicate", "nested", "traversal", "empty sheet", "stored", "no zip"])
    if trick == "no zip":
        return b"PK\x05\x06" + b"\x00" * 18
    out = io.BytesIO()
    method = zipfile.ZIP_STORED if trick == "stored" else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", method) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if trick == "empty sheet" and info.filename.endswith("sheet1.xml"):
                content = b""
            target.writestr(info.filename, content)
        if trick == "duplicate":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "Duplicate name": the point of the trick
                target.writestr("xl/worksheets/sheet1.xml", b"<worksheet/>")
        if trick == "nested":
            target.writestr("xl/embeddings/inner.xlsx", data)
        if trick == "traversal":
            target.writestr("../../../../tmp/liushou-fuzz-escape", b"x")
    return out.getvalue()


def _random_bytes(rng: random.Random) -> bytes:
    return rng.randbytes(rng.randint(0, 5000))


CSV_TEXT = "类别,姓名,年龄,脱离监护单独居住\n儿童,王小明,10,是\n老人,李四,70,否\n"


def _csv_case(rng: random.Random) -> bytes:
    kind = rng.randrange(9)
    base = CSV_TEXT.encode(rng.choice(["utf-8", "gb18030", "utf-8-sig"]))
    if kind == 0:
        return base[: rng.randint(0, len(base))]
    if kind == 1:
        return base.replace(b"10", b'"10')  # an unclosed quote
    if kind == 2:
        return base.replace(b",", b"\x00", rng.randint(1, 5))
    if kind == 3:
        return "类别\n".encode() + ",".join(["儿童"] * rng.randint(2, 300)).encode() + b"\n"
    if kind == 4:
        return CSV_TEXT.encode("utf-8") + "老人,张三,70,是\n".encode("utf-16")
    if kind == 5:
        return b"\n" * rng.randint(0, 5000)
    if kind == 6:
        return (
            "类别,年龄\n"
            + "".join(
                f"儿童,{rng.choice(['1e400', 'nan', '-5', '½', '0x1F', '10' * 50])}\n"
                for _ in range(50)
            )
        ).encode()
    if kind == 7:
        return b""
    return _random_bytes(rng)


XLSX_MAKERS = [
    _truncated,
    _flipped,
    _mangled_xml,
    _wrong_declared_size,
    _zip_tricks,
    _huge_dimension,
    _far_cell,
    _typed_xlsx,
    _random_bytes,
    _valid_xlsx,
]


def _cases():
    rng = random.Random(SEED)
    for i in range(150):
        if i % 3 == 2:
            yield f"csv-{i}", _csv_case(rng), "people.csv"
        else:
            maker = XLSX_MAKERS[i % len(XLSX_MAKERS)]
            yield f"{maker.__name__}-{i}", maker(rng), "people.xlsx"


@pytest.mark.slow
def test_every_corrupted_file_is_a_2xx_or_a_4xx_problem(app_client):
    process = psutil.Process()
    before, peak, seen = process.memory_info().rss, 0, {}
    for name, data, filename in _cases():
        response = upload(app_client, data, filename)
        assert response.status_code < 500, (name, response.status_code, response.text[:300])
        if response.status_code >= 400:
            assert is_problem(response), (name, response.text[:300])
            assert "Traceback" not in response.text
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        peak = max(peak, process.memory_info().rss - before)
    assert peak < 400 * 2**20, f"memory grew by {peak / 2**20:.0f} MB"
    assert seen.get(200) and seen.get(422) and seen.get(413), seen  # all three outcomes met
