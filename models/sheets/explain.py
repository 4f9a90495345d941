"""Data problems in plain Chinese, for the pages and the reports (one translation).

A stored problem is (kind, row, column, reason) with the reason in English (the
API's words). ``explain`` reads the reason back by its template (``models.reasons``,
and pydantic's own messages by their error type), names the column by its header
in the template (``models.sheets.columns.HEADERS_ZH``) and says what to do:

>>> [(e.column, e.reason, e.fix) for e in explain(
...     "rejected row", "近30日无故旷课天数 (unexcused_absence_days)", "'三天' is not a number")]
[('近30日无故旷课天数', '不是数字：“三天”', '请填写数字（如 3），不要写汉字或单位')]

A row refused for several cells gives one ``Explained`` per cell. The Chinese
quotes only what the English already quotes (cells made safe by
``models.identity.quoted``), so it never holds a name or an identity number. A
reason no template reads (none today; a test runs every reason the readers write)
is shown as 填写有误 with its text.
"""

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from pydantic_core import PydanticKnownError
from pydantic_core.core_schema import ErrorType

from models import reasons
from models.enums import RiskLevel
from models.person import INPUT_MODELS
from models.reasons import SEPARATOR, Reason
from models.sheets.columns import HEADERS_ZH, header_field, value_labels
from models.sheets.table import field_bounds

# The kinds of problem a review keeps (service.review.Review.problem_lists, service.store)
PROBLEM_KIND_ZH = {
    "rejected row": "退回的行",
    "duplicate": "重复的身份证号码",
    "invalid identity number": "身份证号码无效",
    "age contradicts category": "年龄与类别不符",
    "missing value": "缺少安全评估所需的信息",
    "missing since last quarter": "上季度有、本季度名单中没有",
}
GONE_KIND = "missing since last quarter"
SEX_ZH = {"male": "男", "female": "女"}
UNKNOWN = "填写有误（{text}）"


def _pydantic(kind: ErrorType, context: dict, chinese: str, fix: str = "") -> Reason:
    """A pydantic error type, read by pydantic's own message template."""
    return Reason(kind, PydanticKnownError(kind, context).message_template, chinese, fix)


_RANGE_FIX = "请核对；不知道请留空"
_DATE_FIX = reasons.NOT_A_DATE.fix
# The pydantic error types a sheet's cells can meet after models.sheets.rows.parse_cell,
# and those a JSON body meets (the same translation serves both).
PYDANTIC = (
    _pydantic("greater_than_equal", {"ge": 0}, "{range_zh}", _RANGE_FIX),
    _pydantic("less_than_equal", {"le": 0}, "{range_zh}", _RANGE_FIX),
    _pydantic("greater_than", {"gt": 0}, "{range_zh}", _RANGE_FIX),
    _pydantic("less_than", {"lt": 0}, "{range_zh}", _RANGE_FIX),
    _pydantic("string_too_long", {"max_length": 0}, "太长：最多 {max_length} 个字", "请删短"),
    _pydantic("string_too_short", {"min_length": 0}, "太短：至少 {min_length} 个字"),
    _pydantic("extra_forbidden", {}, "这一类人员没有这一项", "请留空，或核对“类别”"),
    _pydantic("missing", {}, "必填"),
    _pydantic("int_parsing", {}, "不是整数", "请填写整数（如 3）"),
    _pydantic("int_from_float", {}, "不是整数", "请填写整数（如 3）"),
    _pydantic("int_type", {}, "不是整数", "请填写整数（如 3）"),
    _pydantic("float_parsing", {}, "不是数字", "请填写数字（如 3）"),
    _pydantic("float_type", {}, "不是数字", "请填写数字（如 3）"),
    _pydantic("finite_number", {}, "不是数字", "请填写数字（如 3）"),
    _pydantic("bool_parsing", {}, "不是“是”或“否”", "请填“是”或“否”"),
    _pydantic("bool_type", {}, "不是“是”或“否”", "请填“是”或“否”"),
    _pydantic("date_parsing", {"error": ""}, "不是日期", _DATE_FIX),
    _pydantic("date_from_datetime_parsing", {"error": ""}, "不是日期", _DATE_FIX),
    _pydantic("date_from_datetime_inexact", {}, "不是日期", _DATE_FIX),
    _pydantic("date_type", {}, "不是日期", _DATE_FIX),
    _pydantic("enum", {"expected": ""}, "不在可选值中：可选 {choices_zh}", "请从下拉选项中选择"),
    _pydantic("literal_error", {"expected": ""}, "不在可选值中：可选 {choices_zh}"),
    _pydantic("string_type", {}, "应为文字"),
)
# Reasons stored before their English stopped quoting birth dates (read, never written)
LEGACY = (
    Reason(
        "birth_date_contradicts_id",
        "birth_date {given} contradicts id_number, which gives {derived}",
        reasons.BIRTH_CONTRADICTS_ID.chinese,
        reasons.BIRTH_CONTRADICTS_ID.fix,
    ),
    Reason(
        "birth_date_after_assessment",
        "birth_date {given} is after assessment_date {when}",
        reasons.BIRTH_AFTER_ASSESSMENT.chinese,
        reasons.BIRTH_AFTER_ASSESSMENT.fix,
    ),
    Reason(
        "id_birth_date_after_assessment",
        "id_number gives birth date {given}, after assessment_date {when}",
        reasons.ID_BIRTH_AFTER_ASSESSMENT.chinese,
        reasons.ID_BIRTH_AFTER_ASSESSMENT.fix,
    ),
)
READ = (*reasons.REASONS, *PYDANTIC, *LEGACY)


@dataclass(frozen=True)
class Explained:
    column: str  # the template's Chinese header(s) of the cell(s); "" for a whole row
    reason: str  # in Chinese
    fix: str  # what to do, "" when the reason says it
    kind: str = ""  # the reason's kind (models.reasons, or pydantic's type); "" unread


def kind_zh(kind: str) -> str:
    return PROBLEM_KIND_ZH.get(kind, kind)


@lru_cache(maxsize=8192)  # a sheet's problems repeat (the same columns, the same reasons)
def explain(kind: str, column: str, reason: str) -> tuple[Explained, ...]:
    """A stored problem in Chinese, one ``Explained`` per cell it names."""
    who = column if kind == GONE_KIND else ""  # there the column holds who (masked)
    columns = column.split(SEPARATOR) if column and not who else []
    more = reasons.MORE()
    fields = [header_field(c) or ("" if c == more else c) for c in columns]
    parts = list(reasons.read(reason, READ))
    if len(parts) == 1 and len(fields) > 1:  # one reason for several cells
        return (_one(parts[0], fields, who),)
    out = []
    for i, part in enumerate(parts):
        field = fields[i] if i < len(fields) else ""
        out.append(_one(part, [field] if field else [], who))
    return tuple(out)


def _one(part: tuple[Reason | None, dict], fields: list, who: str) -> Explained:
    reason, values = part
    if reason is not None and reason.about:
        fields = list(reason.about)
    column = "、".join(HEADERS_ZH.get(f, f) for f in fields)
    if reason is None:
        return Explained(column, UNKNOWN.format(**values), "")
    field = fields[0] if len(fields) == 1 else None
    text = reason.chinese.format_map(_Values(values, field, who))
    return Explained(column, text, reason.fix, reason.kind)


class _Values(dict):
    """The English's values, and what the Chinese templates say beyond them (worked out
    when a template asks)."""

    def __init__(self, values: dict, field: str | None, who: str):
        super().__init__(values)
        self.field, self.who = field, who

    def __missing__(self, key: str) -> str:
        field = self.field
        if key == "who":
            return self.who
        if key == "categories_zh":
            return "、".join(value_labels("category"))
        if key == "derived_zh":
            return SEX_ZH.get(self.get("derived", ""), "")
        if key == "category_zh":
            return _category_zh(self.get("category", ""))
        if key == "level_zh":
            return _level_zh(self.get("level", ""))
        if key == "range_zh":
            return _range_zh(self, field)
        if key == "choices_zh":
            return (
                "、".join(value_labels(field))
                if field and value_labels(field)
                else self.get("expected", "")
            )
        raise KeyError(key)


def _category_zh(code: str) -> str:
    labels = {c: zh for zh, c in value_labels("category").items()}
    return labels.get(code, code if code in INPUT_MODELS else "")


def _level_zh(code: str) -> str:
    try:
        return RiskLevel(code).zh
    except ValueError:
        return code


def _range_zh(values: dict, field: str | None) -> str:
    """超出范围 0–130 (the field's range, both ends); 不能早于 2016-09-06 for a date."""
    low, high = field_bounds(field) if field else (None, None)
    if isinstance(low, date) or isinstance(high, date):
        if "ge" in values or "gt" in values:
            return f"不能早于 {values.get('ge') or values.get('gt')}"
        return f"不能晚于 {values.get('le') or values.get('lt')}"
    if low is not None and high is not None:
        return f"超出范围 {_number(low)}–{_number(high)}"
    for key, words in (("ge", "不能小于"), ("gt", "应大于"), ("le", "不能大于"), ("lt", "应小于")):
        if key in values:
            return f"超出范围（{words} {values[key]}）"
    return "超出范围"


def _number(value) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


def explained_row(kind: str, column: str, reason: str) -> tuple[str, str, str]:
    """(columns, reason, fix) in Chinese on one line, as a report's row shows them."""
    parts = explain(kind, column, reason)
    fixes = list(dict.fromkeys(p.fix for p in parts if p.fix))
    return (
        "；".join(p.column for p in parts if p.column),
        "；".join(p.reason for p in parts),
        "；".join(fixes),
    )
