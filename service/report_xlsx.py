"""The review report as XLSX: summary, action list by urgency, data problems.

Names and identity numbers are masked unless ``show_personal`` (the caller is
entitled to see them).
"""

from openpyxl import Workbook
from openpyxl.styles import Font

from models.identity import mask_id_number
from service.review import ReviewResult

LEVEL_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}
LEVEL_ZH = {"critical": "紧急", "high": "高", "medium": "中", "low": "低"}


def mask_name(name: str | None) -> str:
    return "" if not name else name[0] + "*" * (len(name) - 1)


def _who(item, show_personal: bool) -> tuple[str, str]:
    person = item.record.person
    if show_personal:
        return person.name or "", person.id_number or ""
    return mask_name(person.name), mask_id_number(person.id_number) or ""


def write_report(result: ReviewResult, path_or_buffer, show_personal: bool = False) -> None:
    book = Workbook()
    summary = book.active
    summary.title = "summary"
    _summary(summary, result)
    _actions(book.create_sheet("actions"), result, show_personal)
    _problems(book.create_sheet("data problems"), result)
    book.save(path_or_buffer)


def _header(sheet, names: list[str]) -> None:
    sheet.append(names)
    for cell in sheet[1]:
        cell.font = Font(bold=True)


def _summary(sheet, result: ReviewResult) -> None:
    _header(sheet, ["项目 (item)", "值 (value)"])
    sheet.append(["乡镇 (township)", result.township])
    sheet.append(["村 (village)", result.village])
    sheet.append(["期次 (period)", result.period])
    for key, value in result.counts().items():
        sheet.append([LEVEL_ZH.get(key, key), value])
    if result.ignored_columns:
        sheet.append(["未识别的列 (ignored columns)", ", ".join(result.ignored_columns)])


def _actions(sheet, result: ReviewResult, show_personal: bool) -> None:
    _header(
        sheet,
        [
            "行 (row)",
            "编号 (person_id)",
            "姓名 (name)",
            "身份证号码 (id_number)",
            "风险等级 (level)",
            "措施 (action)",
            "责任部门 (department)",
            "时限（小时）",
            "强制报告",
            "条款 (clause)",
            "规则 (rules)",
        ],
    )
    rows = []
    for item in result.scored:
        level = str(item.assessment["risk_level"])
        name, number = _who(item, show_personal)
        for action in item.assessment["interventions"]:
            rows.append(
                (
                    (
                        LEVEL_ORDER[level],
                        not action["mandatory_report"],
                        action["deadline_hours"],
                        item.record.row,
                    ),
                    [
                        item.record.row,
                        item.assessment["person_id"] or "",
                        name,
                        number,
                        LEVEL_ZH[level],
                        action["title_zh"],
                        action["department_zh"],
                        action["deadline_hours"],
                        "是" if action["mandatory_report"] else "否",
                        ", ".join(action["clauses"]),
                        ", ".join(action["rule_ids"]),
                    ],
                )
            )
    for _, values in sorted(rows, key=lambda pair: pair[0]):
        sheet.append(values)


def _problems(sheet, result: ReviewResult) -> None:
    _header(sheet, ["类别 (kind)", "行 (row)", "列 (column)", "原因 (reason)"])
    quality = result.quality
    lists = [
        ("rejected row", result.rejected),
        ("duplicate", quality.duplicates),
        ("invalid identity number", quality.invalid_ids),
        ("age contradicts category", quality.age_conflicts),
        ("missing value", quality.missing_values),
    ]
    for kind, problems in lists:
        for problem in problems:
            sheet.append([kind, problem.row, problem.column, problem.reason])
