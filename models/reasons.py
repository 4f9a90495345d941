"""Why a cell, a row or a value was refused: every reason the models write, once.

Each reason has a kind, its English (the API's and the store's words), its Chinese
(the pages' and the reports' words) and what to do about it, in plain words. It is
written from its template and read back from the same template, so the English
kept in the store is a serialisation of (kind, values), never a sentence to guess at:

>>> NOT_A_NUMBER(text="三天")
"'三天' is not a number"
>>> [(r.kind, values) for r, values in read("'三天' is not a number; blank row")]
[('not_a_number', {'text': '三天'}), ('blank_row', {})]

Templates hold values already made safe by the caller (``models.identity.quoted``:
names and identity numbers masked); none of them quotes an identity number, a name
or a birth date. The Chinese is put together with the row's column in
``models.sheets.explain`` (which also reads pydantic's own messages by their type).
"""

import re
from dataclasses import dataclass, field
from functools import lru_cache

SEPARATOR = "; "  # between the reasons of one row (models.sheets.rows._joined)
_FIELD = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Reason:
    kind: str
    english: str  # str.format template; each {name} a value
    chinese: str  # str.format template over the same values (and models.sheets.explain's)
    fix: str = ""  # what to change in the sheet, when the reason does not say it
    # the fields a check across fields is about (its error names no field: the row's column
    # is "category"); a page names these columns instead
    about: tuple[str, ...] = ()
    pattern: re.Pattern = field(init=False, repr=False, compare=False)
    prefix: str = field(init=False, repr=False, compare=False)  # the words before any value

    def __post_init__(self):
        object.__setattr__(self, "pattern", template_pattern(self.english))
        object.__setattr__(self, "prefix", self.english.split("{", 1)[0])

    def __call__(self, **values: object) -> str:
        return self.english.format(**values)


def template_pattern(template: str) -> re.Pattern:
    """A template as a pattern matching one reason, up to the next SEPARATOR or the end."""
    parts, at = [], 0
    for match in _FIELD.finditer(template):
        parts += [re.escape(template[at : match.start()]), f"(?P<{match.group(1)}>.*?)"]
        at = match.end()
    parts.append(re.escape(template[at:]))
    return re.compile("".join(parts) + f"(?={re.escape(SEPARATOR)}|$)", re.DOTALL)


# What a reason cut at its length holds no more (models.sheets.rows.Problem)
MORE = Reason("more", "…", "……（还有其他问题，未全部列出）")

# One cell (models.sheets.rows.parse_cell)
NOT_YES_NO = Reason(
    "not_yes_no", "'{text}' is not 是/否 (yes/no)", "不是“是”或“否”：“{text}”", "请填“是”或“否”"
)
NOT_A_NUMBER = Reason(
    "not_a_number",
    "'{text}' is not a number",
    "不是数字：“{text}”",
    "请填写数字（如 3），不要写汉字或单位",
)
NOT_WHOLE = Reason(
    "not_whole_number", "'{text}' is not a whole number", "不是整数：“{text}”", "请填写整数（如 3）"
)
NOT_A_DATE = Reason(
    "not_a_date",
    "'{text}' is not a date (write 2026-11-28)",
    "不是日期：“{text}”",
    "日期请写成 2026-11-28 的样子",
)
NOT_ONE_OF = Reason(
    "not_one_of",
    "'{text}' is not one of {allowed}",
    "不在可选值中：“{text}”；可选 {allowed}",
    "请从下拉选项中选择",
)
ID_STORED_AS_NUMBER = Reason(
    "id_stored_as_number",
    "the identity number was stored as a number and lost digits: format the column as text",
    "身份证号码被 Excel 存成了数字，后几位已丢失",
    "请把这一列设为“文本”格式，再重新填写号码",
)
BLANK_ROW = Reason("blank_row", "blank row", "空行", "可以删除")
BLANK_ROWS = Reason(
    "blank_rows",
    "blank rows {first}-{last} ({count} rows)",
    "空行（第 {first}–{last} 行，共 {count} 行）",
    "可以删除",
)

# An identity number (models.identity.parse_id_number)
ID_CHECK_DIGIT = Reason(
    "id_check_digit",
    "invalid identity number: check digit does not match (corrupted or mistyped number)",
    "不是有效的身份证号码：最后一位校验码不符（号码录错或少录）",
    "请与户口簿或身份证核对",
)
ID_LENGTH = Reason(
    "id_length",
    "invalid identity number: must be 18 characters",
    "不是有效的身份证号码：应为 18 位",
    "请与户口簿或身份证核对",
)
ID_FORMAT = Reason(
    "id_format",
    "invalid identity number: must be 17 digits followed by a digit or X",
    "不是有效的身份证号码：应为 17 位数字，最后一位是数字或 X",
    "请与户口簿或身份证核对",
)
ID_COMPONENT = Reason(
    "id_component",
    "invalid identity number: birth date or region code is not valid",
    "不是有效的身份证号码：号码中的出生日期或地区码不对",
    "请与户口簿或身份证核对",
)
ID_INVALID = Reason(
    "id_invalid",
    "invalid identity number: is not a valid resident identity number",
    "不是有效的身份证号码",
    "请与户口簿或身份证核对",
)

# A person's fields against each other (models.person)
NOT_TRUE_FALSE = Reason(
    "number_not_true_false", "expected a number, not true/false", "应填数字，不是“是/否”"
)
CATEGORY_MISSING = Reason(
    "category_missing",
    "category is required: one of {categories}",
    "必填：可选 {categories_zh}",
    "请从下拉选项中选择",
)
CATEGORY_INVALID = Reason(
    "category_invalid",
    "category must be one of {categories}",
    "不在可选值中：可选 {categories_zh}",
    "请从下拉选项中选择",
)
SEX_CONTRADICTS_ID = Reason(
    "sex_contradicts_id",
    "sex '{given}' contradicts id_number, which gives '{derived}'",
    "与身份证号码不一致（号码显示为{derived_zh}性）",
    "请核对性别和身份证号码",
)
BIRTH_CONTRADICTS_ID = Reason(
    "birth_date_contradicts_id",
    "birth_date contradicts id_number, which gives another birth date",
    "与身份证号码中的出生日期不一致",
    "有身份证号码时出生日期可以不填",
)
BIRTH_AFTER_ASSESSMENT = Reason(
    "birth_date_after_assessment",
    "birth_date is after assessment_date {when}",
    "晚于评估日期 {when}",
    "请核对出生日期和评估日期",
)
ID_BIRTH_AFTER_ASSESSMENT = Reason(
    "id_birth_date_after_assessment",
    "id_number gives a birth date after assessment_date {when}",
    "号码中的出生日期晚于评估日期 {when}",
    "请核对身份证号码和评估日期",
    ("id_number", "assessment_date"),
)
AGE_CONTRADICTS = Reason(
    "age_contradicts",
    "age {given} contradicts birth_date/id_number, which give age {derived} at assessment_date "
    "{when}",
    "与出生日期（或身份证号码）不一致：到评估日期 {when} 应为 {derived} 岁",
    "有身份证号码或出生日期时年龄可以不填",
)
AGE_OVER_MAX = Reason(
    "age_over_max",
    "birth_date gives age {age}, over {limit}",
    "算出的年龄 {age} 岁超过 {limit} 岁",
    "请核对出生日期或身份证号码",
    ("id_number", "birth_date"),
)
CHILDREN_AWAY_EXCEEDS = Reason(
    "children_away_exceeds_children",
    "children_away_count {away} exceeds children_count {count}",
    "外出子女数 {away} 多于子女数 {count}",
    "请核对子女数和外出子女数",
    ("children_count", "children_away_count"),
)

# Data quality of the accepted rows (models.quality)
DUPLICATE_ID = Reason(
    "duplicate_id",
    "duplicate identity number (first on row {first})",
    "身份证号码重复：与第 {first} 行是同一人",
    "同一人重复登记，请删除重复的行",
)
AGE_CONTRADICTS_CATEGORY = Reason(
    "age_contradicts_category",
    "age {age} contradicts category {category} ({low}-{high})",
    "{age} 岁与类别“{category_zh}”不符（应为 {low}–{high} 岁）",
    "请核对年龄和类别",
)
NEEDED_UNKNOWN = Reason(
    "needed_unknown",
    "unknown, needed by a safety rule",
    "未填写，安全评估需要这一项",
    "请了解后补填",
)

# Changes since last quarter (service.store): a person on last quarter's list only
GONE = Reason(
    "missing_since_last_quarter",
    "was {level}",
    "上季度名单中有（{who}，等级“{level_zh}”），本季度名单中没有",
    "请核实此人是否仍在本村（不漏报）",
)

# A population sheet's outcome column (models.sheets.labelled)
OUTCOME_NOT_BINARY = Reason(
    "outcome_not_binary", "outcome '{text}' is not 0 or 1", "outcome 列应为 0 或 1：“{text}”"
)

REASONS: tuple[Reason, ...] = tuple(v for v in list(globals().values()) if isinstance(v, Reason))


@lru_cache(maxsize=8)
def _by_first_character(
    reasons: tuple[Reason, ...],
) -> tuple[dict[str, tuple[Reason, ...]], tuple[Reason, ...]]:
    """The templates a part may match, by the part's first character (in their order)."""
    unkeyed = tuple(r for r in reasons if not r.prefix)
    first = {r.prefix[0] for r in reasons if r.prefix}
    keyed = {c: tuple(r for r in reasons if not r.prefix or r.prefix[0] == c) for c in first}
    return keyed, unkeyed


def read(
    text: str, reasons: tuple[Reason, ...] = REASONS
) -> list[tuple[Reason | None, dict[str, str]]]:
    """The reasons joined in ``text`` (by SEPARATOR), each with its values; a part no
    template matches comes as (None, {"text": the part}).

    A quoted cell may itself hold SEPARATOR or a template's words, so more than one
    reading can fit: the one with the fewest unread parts, then the most parts (each
    quote as short as it can be), wins."""
    best: dict[int, tuple[int, int, list]] = {len(text): (0, 0, [])}
    by_first, unkeyed = _by_first_character(reasons)

    def after(end: int) -> int:
        return end + len(SEPARATOR) if text.startswith(SEPARATOR, end) else end

    starts = [0] + [m.end() for m in re.finditer(re.escape(SEPARATOR), text)]
    for at in reversed(starts):  # a part starts at the text's start or after a separator
        if at >= len(text):
            continue
        options = []
        for reason in by_first.get(text[at], unkeyed):
            if not text.startswith(reason.prefix, at):
                continue  # cheaper than the pattern, and most templates fail here
            match = reason.pattern.match(text, at)
            if match and after(match.end()) in best:
                unread, parts, rest = best[after(match.end())]
                options.append((unread, parts - 1, [(reason, match.groupdict()), *rest]))
        end = text.find(SEPARATOR, at)
        end = len(text) if end < 0 else end
        if after(end) in best:
            unread, parts, rest = best[after(end)]
            options.append((unread + 1, parts - 1, [(None, {"text": text[at:end]}), *rest]))
        if options:
            best[at] = min(options, key=lambda option: option[:2])
    return best[0][2] if text else []
