"""Spreadsheet columns: Chinese headers and value labels for every contract field.

A village committee's sheet may use the Chinese header (``父亲状况``), the field
name (``father_status``) or both (``父亲状况 (father_status)``); values may be the
contract's codes or their Chinese labels (``外出务工`` for ``migrant``, ``是``/``否``).

>>> header_field("父亲状况"), header_field("父亲状况（father_status）")
('father_status', 'father_status')
"""

import re
from functools import cache

from models.person import INPUT_MODELS

HEADERS_ZH = {
    "category": "类别",
    "person_id": "编号",
    "id_number": "身份证号码",
    "name": "姓名",
    "sex": "性别",
    "birth_date": "出生日期",
    "age": "年龄",
    "township": "乡镇",
    "village": "村（居）",
    "assessment_date": "评估日期",
    "household_income_per_capita": "家庭人均年收入（元）",
    "subsistence_allowance": "享受低保",
    "registered_poor": "建档立卡贫困户",
    "disability": "残疾",
    "serious_illness": "患严重疾病",
    "father_status": "父亲状况",
    "mother_status": "母亲状况",
    "parents_informed_village": "父母已告知村委会",
    "parents_informed_school": "父母已告知学校",
    "parent_contact_per_month": "父母每月联系次数",
    "guardian_type": "实际监护人",
    "guardian_age": "监护人年龄",
    "guardian_capacity": "监护能力",
    "entrusted_agreement": "已签委托监护协议",
    "guardian_assessed": "受委托监护人已评估",
    "guardian_neglect_months": "监护人未履责月数",
    "lives_alone": "脱离监护单独居住",
    "missing": "失踪",
    "suspected_domestic_violence": "疑似遭受家庭暴力",
    "suspected_abuse": "疑似遭受虐待",
    "abandoned": "被遗弃",
    "suspected_injury": "疑似遭受意外伤害",
    "suspected_unlawful_harm": "疑似遭受不法侵害",
    "serious_harm": "身心健康严重受损",
    "unsupervised_in_danger": "无人监管且面临危险",
    "guardian_refuses_correction": "监护人经教育不改",
    "enrolled_in_school": "在校就读",
    "dropped_out": "辍学",
    "unexcused_absence_days": "近30日无故旷课天数",
    "psychological_concern": "心理问题",
    "behavior_problem": "不良行为",
    "major_emergency": "遭遇重大突发事件",
    "annual_income": "年收入（元）",
    "extreme_poverty_support": "特困供养（五保）",
    "children_count": "子女数",
    "children_away_count": "外出子女数",
    "child_at_home": "有子女在家照料",
    "support_fulfilled": "赡养人履行义务",
    "support_neglect_months": "未履行赡养月数",
    "admonished": "已对赡养人劝诫",
    "children_contact_per_month": "子女每月联系次数",
    "caregiver_entrusted": "已委托照料人",
    "children_informed_village": "子女已报告去向",
    "self_care": "自理能力",
    "critical_condition": "危重病情",
    "severe_mental_illness": "严重精神疾患",
    "living_arrangement": "居住情况",
    "wandering_begging": "外出流浪乞讨",
    "major_difficulty": "面临重大困境",
    "home_safety_hazard": "家中安全隐患",
    "last_health_check": "最近免费体检日期",
    "receives_age_subsidy": "领取高龄补贴",
    "receives_disability_subsidy": "领取失能补贴",
    "husband_migrant": "丈夫外出务工",
    "entrepreneurship_intent": "有创业意愿和能力",
    "psychological_distress": "心理困扰",
    "labor_shortage": "缺少劳力",
    "training_interest": "有培训需求",
}

VALUE_LABELS_ZH = {
    "category": {"儿童": "child", "老人": "elder", "妇女": "woman"},
    "sex": {"男": "male", "女": "female"},
    "parent_status": {
        "在家": "home",
        "外出务工": "migrant",
        "去世": "deceased",
        "无监护能力": "incapacitated",
        "失踪": "missing",
        "服刑": "imprisoned",
        "不详": "unknown",
    },
    "guardian_type": {
        "父母": "parent",
        "祖父母": "grandparent",
        "其他亲属": "other_relative",
        "其他成年人": "other_adult",
        "机构": "institution",
        "无": "none",
    },
    "guardian_capacity": {"完全": "full", "有限": "limited", "无": "none"},
    "self_care": {"自理": "full", "半失能": "partial", "失能": "none"},
    "living_arrangement": {
        "与家人同住": "with_family",
        "仅与配偶同住": "spouse_only",
        "独居": "alone",
        "与孙辈同住": "with_grandchildren",
    },
}
_LABEL_SET = {"father_status": "parent_status", "mother_status": "parent_status"}
BOOLEAN_WORDS = {
    "是": True,
    "否": False,
    "有": True,
    "无": False,
    "true": True,
    "false": False,
    "yes": True,
    "no": False,
    "y": True,
    "n": False,
    "1": True,
    "0": False,
}
_PAREN = re.compile(r"[（(]([A-Za-z_]+)[)）]")


FIRST = (
    "category",
    "person_id",
    "name",
    "id_number",
    "sex",
    "birth_date",
    "age",
    "township",
    "village",
    "assessment_date",
)


@cache
def all_fields() -> tuple[str, ...]:
    """Every contract field once: identity and place first, then the models' order."""
    names: dict[str, None] = dict.fromkeys(FIRST)
    for model in INPUT_MODELS.values():
        names.update(dict.fromkeys(model.model_fields))
    return tuple(names)


@cache
def _by_header() -> dict[str, str]:
    table = {name: name for name in all_fields()}
    table |= {zh: name for name, zh in HEADERS_ZH.items()}
    return table


def header_field(header: object) -> str | None:
    """The contract field a header names, or None."""
    text = str(header).strip()
    inner = _PAREN.search(text)
    if inner and inner.group(1) in all_fields():
        return inner.group(1)
    return _by_header().get(text) or _by_header().get(text.lower())


def value_labels(field: str) -> dict[str, str]:
    """Chinese label -> contract code for an enum field ({} for other fields)."""
    return VALUE_LABELS_ZH.get(_LABEL_SET.get(field, field), {})
