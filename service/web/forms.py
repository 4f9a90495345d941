"""Forms generated from the contract: one person's fields, and the tunable parameters.

A person's form has one input per field of its category's input model (models.person),
labelled with the sheet's Chinese header (models.sheets.columns), a dropdown for every
enum and yes/no field, and "不详" (unknown: the field is not sent) everywhere. What
comes back is parsed into the dict POST /v1/assessments takes, and checked by the
same model; errors come back per field, in the Chinese of models.sheets.explain.

>>> [f.name for f in person_fields("woman")][:3]
['assessment_date', 'id_number', 'person_id']
"""

import typing
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from functools import cache
from typing import Any

from pydantic import ValidationError

from models.fields import inner_type
from models.person import INPUT_MODELS, PERSON_ADAPTER, PersonBase, error_message
from models.sheets.columns import HEADERS_ZH, value_labels
from models.sheets.explain import explain
from models.sheets.rows import column_label

CATEGORY_ZH = {"child": "儿童", "elder": "老人", "woman": "妇女"}
# Not asked: personal data the rules never read, and places (a review knows them).
NOT_ASKED = frozenset({"category", "name", "township", "village"})
YES_NO = (("true", "是"), ("false", "否"))
MAX_TEXT = 200  # characters read from any one input


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    kind: str  # "choice" | "int" | "number" | "date" | "text"
    choices: tuple[tuple[str, str], ...] = ()  # (value, label); "" is 不详
    low: float | None = None
    high: float | None = None
    max_length: int | None = None
    base: bool = True  # a field every category has (PersonBase)

    @property
    def hint(self) -> str:
        if self.kind == "date":
            return "格式：2026-11-28"
        if self.kind in ("int", "number") and self.low is not None and self.high is not None:
            whole = "整数，" if self.kind == "int" else ""
            return f"{whole}{_n(self.low)}–{_n(self.high)}；不知道请留空"
        if self.name == "id_number":
            return "18 位；填写后出生日期、性别、年龄由号码得出"
        return ""


def _n(value: float) -> str:
    return f"{value:g}" if value < 1e6 else f"{value:,.0f}"


@cache
def person_fields(category: str) -> tuple[FormField, ...]:
    model = INPUT_MODELS[category]
    return tuple(
        _form_field(name, info, name in PersonBase.model_fields)
        for name, info in model.model_fields.items()
        if name not in NOT_ASKED
    )


def _form_field(name: str, info: Any, base: bool) -> FormField:
    inner = inner_type(info.annotation)
    label = HEADERS_ZH.get(name, name)
    if inner is bool:
        return FormField(name, label, "choice", YES_NO, base=base)
    if isinstance(inner, type) and issubclass(inner, Enum):
        return FormField(name, label, "choice", _enum_choices(name, inner), base=base)
    if inner is date:
        return FormField(name, label, "date", base=base)
    low, high, length = _bounds(info)
    if inner in (int, float):
        kind = "int" if inner is int else "number"
        return FormField(name, label, kind, low=low, high=high, base=base)
    return FormField(name, label, "text", max_length=length, base=base)


def _enum_choices(name: str, enum: type[Enum]) -> tuple[tuple[str, str], ...]:
    """Each value with its Chinese label; an enum's own ``unknown`` is the "不详" choice."""
    labels = {code: zh for zh, code in value_labels(name).items()}
    labels |= {"male": "男", "female": "女"} if name == "sex" else {}
    return tuple((m.value, labels.get(m.value, m.value)) for m in enum if m.value != "unknown")


def _bounds(info: Any) -> tuple[float | None, float | None, int | None]:
    """ge/le/max_length from the field's constraints (pydantic puts them in metadata,
    on the field or inside ``Annotated[..] | None``)."""
    low = high = length = None
    for item in _constraints(info):
        low = getattr(item, "ge", None) if getattr(item, "ge", None) is not None else low
        high = getattr(item, "le", None) if getattr(item, "le", None) is not None else high
        length = getattr(item, "max_length", None) or length
    return low, high, length


def _constraints(info: Any) -> list:
    found = list(info.metadata)
    stack = [info.annotation]
    while stack:
        annotation = stack.pop()
        if typing.get_origin(annotation) is typing.Annotated:
            args = typing.get_args(annotation)
            found += [m for a in args[1:] for m in getattr(a, "metadata", [a])]
            stack.append(args[0])
        else:
            stack += list(typing.get_args(annotation))
    return found


@dataclass
class PersonForm:
    category: str
    values: dict[str, str] = field(default_factory=dict)  # what was typed, to show again
    errors: dict[str, str] = field(default_factory=dict)  # field -> message

    @property
    def fields(self) -> tuple[FormField, ...]:
        return person_fields(self.category)


def parse_person(category: str, form: Any) -> tuple[PersonForm, Any]:
    """(the form with its errors, the validated person or None)."""
    result = PersonForm(category)
    data: dict[str, Any] = {"category": category}
    for spec in result.fields:
        text = str(form.get(spec.name) or "").strip()[:MAX_TEXT]
        result.values[spec.name] = text
        if not text:
            continue  # unknown: not sent
        value, error = _value(spec, text)
        if error:
            result.errors[spec.name] = error
        else:
            data[spec.name] = value
    if result.errors:
        return result, None
    try:
        return result, PERSON_ADAPTER.validate_python(data)
    except ValidationError as exc:
        for error in exc.errors():
            name = _field_of(error, result.fields)
            result.errors.setdefault(name, message_zh(error, name))
        return result, None


def _value(spec: FormField, text: str) -> tuple[Any, str]:
    if spec.kind == "choice":
        allowed = {value for value, _ in spec.choices}
        if text not in allowed:
            return None, "请从列表中选择"
        if spec.choices == YES_NO:
            return text == "true", ""
        return text, ""
    if spec.kind in ("int", "number"):
        try:
            number = float(text.replace(",", "").replace("，", ""))
        except ValueError:
            return None, f"{spec.label}请填写数字"
        if spec.kind == "int" and not number.is_integer():
            return None, f"{spec.label}请填写整数"
        return (int(number) if spec.kind == "int" else number), ""
    return text, ""


def _field_of(error: dict, fields: tuple[FormField, ...]) -> str:
    names = {f.name for f in fields}
    for part in reversed(error.get("loc", ())):
        if str(part) in names:
            return str(part)
    return "__all__"  # a check across fields (e.g. children away > children)


def message_zh(error: dict, name: str = "__all__") -> str:
    """A contract check's error on field ``name`` in the words the sheets' rejected rows
    use (models.sheets.explain: one translation for the pages and the reports)."""
    column = column_label(name) if name != "__all__" else ""
    parts = explain("rejected row", column, error_message(error))
    return "；".join(p.reason + (f"。{p.fix}" if p.fix else "") for p in parts)


def parameter_rows(parameters: list[dict]) -> list[dict]:
    """The tunable parameters of GET /v1/parameters, as the analyst's form lists them."""
    return [p for p in parameters if p["tunable"]]
