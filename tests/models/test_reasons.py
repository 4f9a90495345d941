"""Reasons: each written from its template and read back from it, and said in Chinese.

The sheet below holds one row for every reason a sheet can be refused for; both readers
(row by row and column-wise) must give reasons that ``explain`` reads, in Chinese, with
the column named by its template header, and without a name or an identity number."""

import random
import re

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from fixtures.population import population, with_identities
from models import reasons
from models.identity import check_characters
from models.person import PERSON_ADAPTER, error_message
from models.quality import check_quality, split_duplicates
from models.sheets.explain import READ, explain, explained_row, kind_zh
from models.sheets.rows import merge_blank_runs, read_rows
from models.sheets.table import read_table
from tests.models.test_sheet_bulk import NOISE, as_sheet


def id_number(birth: str, sequence: str = "003", region: str = "340422") -> str:
    digits = np.array([int(c) for c in region + birth + sequence])
    return region + birth + sequence + str(check_characters(digits[None, :])[0])


FEMALE_2016 = id_number("20160315", "002")  # an even sequence digit: female
BORN_2030 = id_number("20300101")
# header -> one column; each row below sets the cells it needs
ROWS = [
    ({"类别": "儿童", "脱离监护单独居住": "也许"}, "not_yes_no"),
    ({"类别": "儿童", "近30日无故旷课天数": "三天"}, "not_a_number"),
    ({"类别": "儿童", "年龄": "3.5"}, "not_whole_number"),
    ({"类别": "老人", "最近免费体检日期": "2026/13/01"}, "not_a_date"),
    ({"类别": "儿童", "母亲状况": "在外"}, "not_one_of"),
    ({"类别": "儿童", "身份证号码": "3.40422e+17"}, "id_stored_as_number"),
    ({"类别": "儿童", "身份证号码": FEMALE_2016[:-1] + "9"}, "id_check_digit"),
    ({"类别": "儿童", "身份证号码": "34042220160315"}, "id_length"),
    ({"类别": "儿童", "身份证号码": "3404222016031500A2"}, "id_format"),
    ({"类别": "儿童", "身份证号码": id_number("20161315")}, "id_component"),  # month 13
    ({"类别": "", "姓名": "王小明", "年龄": "8"}, "category_missing"),
    ({"类别": "学生", "年龄": "8"}, "category_invalid"),
    ({"类别": "儿童", "身份证号码": FEMALE_2016, "性别": "男"}, "sex_contradicts_id"),
    (
        {"类别": "儿童", "身份证号码": FEMALE_2016, "出生日期": "2016-03-16"},
        "birth_date_contradicts_id",
    ),
    (
        {"类别": "儿童", "出生日期": "2026-12-01", "评估日期": "2026-11-28"},
        "birth_date_after_assessment",
    ),
    (
        {"类别": "儿童", "身份证号码": BORN_2030, "评估日期": "2026-11-28"},
        "id_birth_date_after_assessment",
    ),
    (
        {"类别": "儿童", "身份证号码": FEMALE_2016, "年龄": "3", "评估日期": "2026-11-28"},
        "age_contradicts",
    ),
    ({"类别": "老人", "出生日期": "1880-01-01", "评估日期": "2026-11-28"}, "age_over_max"),
    ({"类别": "老人", "子女数": "1", "外出子女数": "2"}, "children_away_exceeds_children"),
    ({"类别": "老人", "年龄": "131"}, "less_than_equal"),
    ({"类别": "儿童", "父母每月联系次数": "-1"}, "greater_than_equal"),
    ({"类别": "儿童", "评估日期": "2015-01-01"}, "greater_than_equal"),
    ({"类别": "儿童", "姓名": "王" * 65}, "string_too_long"),
    ({"类别": "妇女", "父亲状况": "外出务工"}, "extra_forbidden"),
    ({}, "blank_row"),
]
CHINESE_OF_KIND = {  # what a village cadre reads, for a few of them (the brief's words)
    "category_missing": ("类别", "必填：可选 儿童、老人、妇女"),
    "category_invalid": ("类别", "不在可选值中：可选 儿童、老人、妇女"),
    "id_check_digit": ("身份证号码", "不是有效的身份证号码：最后一位校验码不符（号码录错或少录）"),
    "less_than_equal": ("年龄", "超出范围 0–130"),
    "not_a_date": ("最近免费体检日期", "不是日期：“2026/13/01”"),
    "not_one_of": (
        "母亲状况",
        "不在可选值中：“在外”；可选 在家、外出务工、去世、无监护能力、失踪、服刑、不详",
    ),
    "sex_contradicts_id": ("性别", "与身份证号码不一致（号码显示为女性）"),
    "age_contradicts": (
        "年龄",
        "与出生日期（或身份证号码）不一致：到评估日期 2026-11-28 应为 10 岁",
    ),
    "children_away_exceeds_children": ("子女数、外出子女数", "外出子女数 2 多于子女数 1"),
    "extra_forbidden": ("父亲状况", "这一类人员没有这一项"),
    "blank_row": ("", "空行"),
}
# Chinese may name these (the template's own words); any other Latin word is English left
LATIN_ALLOWED = {"Excel", "X", "outcome"}


def bad_sheet() -> pd.DataFrame:
    headers = list(dict.fromkeys(h for cells, _ in ROWS for h in cells))
    return pd.DataFrame([[cells.get(h, "") for h in headers] for cells, _ in ROWS], columns=headers)


def assert_chinese(explained) -> None:
    """Read, and in Chinese: no Latin word but the template's own and the cell quoted."""
    for e in explained:
        assert e.kind, f"not read: {e.reason}"
        said = re.sub(r"“[^”]*”", "", e.reason + e.fix + e.column)
        words = set(re.findall(r"[A-Za-z]+", said))
        assert words <= LATIN_ALLOWED, (e.reason, words)


@pytest.mark.parametrize("reader", [read_rows, read_table])
def test_every_refused_row_is_read_back_and_said_in_chinese(reader):
    read = reader(bad_sheet())
    assert len(read.rejected) == len(ROWS)  # every row refused, each for its own reason
    for problem, (_, kind) in zip(read.rejected, ROWS, strict=True):
        explained = explain("rejected row", problem.column, problem.reason)
        assert [e.kind for e in explained] == [kind], (problem.row, problem.reason)
        assert_chinese(explained)
        if kind in CHINESE_OF_KIND:
            assert (explained[0].column, explained[0].reason) == CHINESE_OF_KIND[kind]
        assert "王小明" not in str(explained) and "王" * 3 not in str(explained)
        assert FEMALE_2016 not in str(explained) and "20160315" not in problem.reason


def test_a_row_refused_for_several_cells_names_each_cell():
    frame = pd.DataFrame(
        {"类别": ["儿童"], "近30日无故旷课天数": ["三天"], "最近免费体检日期": ["x"], "年龄": ["y"]}
    )
    (problem,) = read_table(frame).rejected
    explained = explain("rejected row", problem.column, problem.reason)
    assert [(e.column, e.reason) for e in explained] == [
        ("近30日无故旷课天数", "不是数字：“三天”"),
        ("最近免费体检日期", "不是日期：“x”"),
        ("年龄", "不是数字：“y”"),
    ]
    assert explained_row("rejected row", problem.column, problem.reason)[0] == "；".join(
        e.column for e in explained
    )


def test_a_quote_holding_the_separator_is_still_one_reason():
    text = reasons.NOT_A_NUMBER(text="3; 4") + reasons.SEPARATOR + reasons.BLANK_ROW()
    assert [(r.kind, v) for r, v in reasons.read(text, READ)] == [
        ("not_a_number", {"text": "3; 4"}),
        ("blank_row", {}),
    ]


@pytest.mark.parametrize("seed", [0, 1])
def test_randomly_corrupted_sheets_are_all_said_in_chinese(seed):
    frame = as_sheet(with_identities(population(2000, seed=seed), seed=seed))
    rng = random.Random(seed)
    for _ in range(1500):
        frame.iat[rng.randrange(len(frame)), rng.randrange(frame.shape[1])] = rng.choice(NOISE)
    read = read_table(frame)
    assert len(read.rejected) > 100
    for problem in read.rejected:
        explained = explain("rejected row", problem.column, problem.reason)
        assert_chinese(explained)
        if problem.column:  # one column named per reason, in the sheet's order
            assert len(explained) == problem.column.count(reasons.SEPARATOR) + 1
        assert not re.search(r"\d{11,}", str(explained))  # no identity number, whole


def test_blank_runs_duplicates_age_conflicts_and_gaps_in_chinese():
    frame = pd.DataFrame(
        {"类别": ["儿童", "", "", "", "老人", "老人"], "年龄": ["10", "", "", "", "55", "70"]}
    )
    read = read_table(frame)
    (blank,) = merge_blank_runs(read.rejected)
    assert (
        explain("rejected row", blank.column, blank.reason)[0].reason
        == "空行（第 3–5 行，共 3 行）"
    )
    duplicated = pd.concat([read.table, read.table.tail(1).assign(row=99)], ignore_index=True)
    _, duplicates = split_duplicates(duplicated.assign(id_number=["a", "b", "c", "c"]))
    quality = check_quality(
        read.table,
        duplicates=duplicates,
        gaps=[(7, ["support_fulfilled", "annual_income"])],
        category_ages={"elder": (60, 130)},
    )
    said = {
        kind: explain(kind, p.column, p.reason)
        for kind, items in (
            ("duplicate", quality.duplicates),
            ("age contradicts category", quality.age_conflicts),
            ("missing value", quality.missing_values),
        )
        for p in items
    }
    assert said["duplicate"][0].reason == "身份证号码重复：与第 7 行是同一人"
    assert said["age contradicts category"][0].reason == "55 岁与类别“老人”不符（应为 60–130 岁）"
    (gap,) = said["missing value"]
    assert (gap.column, gap.reason) == (
        "赡养人履行义务、年收入（元）",
        "未填写，安全评估需要这一项",
    )
    assert kind_zh("missing value") == "缺少安全评估所需的信息"


def test_a_person_gone_since_last_quarter_is_said_with_the_masked_number():
    (e,) = explain("missing since last quarter", "340422**********32", reasons.GONE(level="high"))
    assert (
        e.column == ""
        and e.reason == "上季度名单中有（340422**********32，等级“高”），本季度名单中没有"
    )


def test_every_reason_reads_back_what_it_wrote():
    kinds = [r.kind for r in reasons.REASONS]
    assert len(kinds) == len(set(kinds)) and len(kinds) >= 25
    for reason in reasons.REASONS:
        names = re.findall(r"\{(\w+)\}", reason.english)
        values = {name: f"v{i}" for i, name in enumerate(names)}
        text = reason(**values)
        assert list(reasons.read(text, READ)) == [(reason, values)], reason.kind
        chinese = re.sub(r"\{\w+\}", "", reason.chinese)
        assert set(re.findall(r"[A-Za-z]+", chinese)) <= LATIN_ALLOWED, reason.kind


def test_reasons_stored_before_they_stopped_quoting_birth_dates_are_still_read():
    old = "birth_date 2016-03-16 contradicts id_number, which gives 2016-03-15"
    (e,) = explain("rejected row", "出生日期 (birth_date)", old)
    assert e.reason == "与身份证号码中的出生日期不一致" and "2016" not in e.reason
    (e,) = explain("rejected row", "类别 (category)", "category must be one of child, elder, woman")
    assert e.kind == "category_invalid"


def test_pydantic_messages_are_read_by_their_type():
    """The JSON API's errors (the person form shows them) go through the same words."""
    cases = {
        "age": (True, "number_not_true_false"),
        "children_count": ("many", "int_parsing"),
        "last_health_check": ("soon", "date_from_datetime_parsing"),
        "self_care": ("maybe", "enum"),
        "subsistence_allowance": ("perhaps", "bool_parsing"),
    }
    for name, (value, kind) in cases.items():
        with pytest.raises(ValidationError) as caught:
            PERSON_ADAPTER.validate_python({"category": "elder", name: value})
        error = caught.value.errors()[0]
        (e,) = explain("rejected row", f"x ({name})", error_message(error))
        assert e.kind == kind, (name, error_message(error))
        assert_chinese([e])
    (e,) = explain(
        "rejected row", "自理能力 (self_care)", "Input should be 'full', 'partial' or 'none'"
    )
    assert e.reason == "不在可选值中：可选 自理、半失能、失能"


def test_an_unread_reason_is_shown_as_it_is_never_dropped():
    (e,) = explain("rejected row", "年龄 (age)", "something new")
    assert e.kind == "" and e.reason == "填写有误（something new）" and e.column == "年龄"


def test_a_row_with_more_reasons_than_fit_keeps_whole_pairs_and_says_so():
    numbers = ["年龄", "父母每月联系次数", "监护人年龄", "监护人未履责月数", "近30日无故旷课天数"]
    yes_no = ["脱离监护单独居住", "失踪", "被遗弃", "辍学", "心理问题", "不良行为", "残疾"]
    yes_no += ["疑似遭受虐待", "疑似遭受家庭暴力", "疑似遭受意外伤害", "在校就读", "患严重疾病"]
    cells = {"类别": "儿童"} | {h: "三天" for h in numbers} | {h: "也许" for h in yes_no}
    (problem,) = read_rows(pd.DataFrame([cells])).rejected
    assert len(problem.reason) <= 300 and len(problem.column) <= 300
    explained = explain("rejected row", problem.column, problem.reason)
    assert 1 < len(explained) < len(numbers) + len(yes_no)  # cut, at a pair's end
    assert explained[-1] == explain("rejected row", "…", "…")[0]
    assert explained[-1].reason == "……（还有其他问题，未全部列出）" and explained[-1].column == ""
    for e in explained[:-1]:  # each reason beside its own column
        assert (e.column in numbers and e.kind == "not_a_number") or (
            e.column in yes_no and e.kind == "not_yes_no"
        )
