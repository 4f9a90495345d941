"""Input persons: a discriminated union on ``category``, as the contract names them.

Every field but ``category`` is optional: a missing value is *unknown*, never false.
Identity number, birth date, sex and age must agree; the validated person carries
its age at ``assessment_date``.

>>> person = PERSON_ADAPTER.validate_python({"category": "child", "age": 10})
>>> person.category, person.age
('child', 10)
"""

from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationInfo,
    field_validator,
    model_validator,
)

from models import reasons
from models.enums import (
    Capacity,
    GuardianType,
    LivingArrangement,
    ParentStatus,
    SelfCare,
    Sex,
)
from models.identity import IdentityInfo, parse_id_number


def _not_a_boolean(value):
    """JSON true/false is no number (pydantic would read true as 1: a one-year-old)."""
    if isinstance(value, bool):
        raise ValueError(reasons.NOT_TRUE_FALSE())
    return value


Int = Annotated[int, BeforeValidator(_not_a_boolean)]
Float = Annotated[float, BeforeValidator(_not_a_boolean)]
Count = Annotated[Int, Field(ge=0, le=100)]
Months = Annotated[Int, Field(ge=0, le=1200, description="months")]
Money = Annotated[Float, Field(ge=0, le=100_000_000, description="元 per year")]
MAX_AGE = 130


# 寿政秘〔2016〕278号 is dated 2016-09-06: the first day on which every parameter of the
# rules has a value (rules.loader.RuleSet.first_day; a test holds the two equal).
POLICY_DATE = date(2016, 9, 6)


def age_at(birth: date, when: date) -> int:
    """Completed years between ``birth`` and ``when``."""
    return when.year - birth.year - ((when.month, when.day) < (birth.month, birth.day))


class PersonBase(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=True, str_strip_whitespace=True)

    # assessment_date and id_number come first: the fields after them are checked against them.
    assessment_date: date = Field(
        default_factory=date.today,
        ge=POLICY_DATE,
        description="defaults to today; parameters are taken as in force on this date",
    )
    id_number: Annotated[str, Field(max_length=32)] | None = Field(
        None,
        description="18-character resident identity number (GB 11643)",
        examples=["11010519491231002X"],
    )
    person_id: Annotated[str, Field(max_length=128)] | None = None
    name: Annotated[str, Field(max_length=64)] | None = Field(None, description="personal data")
    sex: Sex | None = None
    birth_date: date | None = None
    age: Annotated[Int, Field(ge=0, le=MAX_AGE)] | None = None
    township: Annotated[str, Field(max_length=64)] | None = Field(None, examples=["寿春镇"])
    village: Annotated[str, Field(max_length=64)] | None = Field(None, examples=["城东村"])
    household_income_per_capita: Money | None = None
    subsistence_allowance: bool | None = None
    registered_poor: bool | None = None
    disability: bool | None = None
    serious_illness: bool | None = None

    @field_validator("id_number")
    @classmethod
    def _valid_id_number(cls, value: str | None) -> str | None:
        return None if value is None else parse_id_number(value).number

    @field_validator("sex")
    @classmethod
    def _sex_agrees(cls, value, info: ValidationInfo):
        identity = _identity(info)
        if value is not None and identity and value != identity.sex:
            raise ValueError(reasons.SEX_CONTRADICTS_ID(given=value, derived=identity.sex))
        return value

    @field_validator("birth_date")
    @classmethod
    def _birth_date_agrees(cls, value, info: ValidationInfo):
        identity = _identity(info)
        if value is not None and identity and value != identity.birth_date:
            raise ValueError(reasons.BIRTH_CONTRADICTS_ID())  # no dates: they are the number's
        value = value or (identity.birth_date if identity else None)
        when = info.data.get("assessment_date")
        if value is not None and when is not None and value > when:
            raise ValueError(reasons.BIRTH_AFTER_ASSESSMENT(when=when))
        return value

    @field_validator("age")
    @classmethod
    def _age_agrees(cls, value, info: ValidationInfo):
        identity = _identity(info)
        birth = info.data.get("birth_date") or (identity.birth_date if identity else None)
        when = info.data.get("assessment_date")
        if value is None or birth is None or when is None:
            return value
        derived = age_at(birth, when)
        if value != derived:
            raise ValueError(reasons.AGE_CONTRADICTS(given=value, derived=derived, when=when))
        return value

    @model_validator(mode="after")
    def _derive_identity(self):
        """Fill birth date, sex and age from what was given."""
        identity = parse_id_number(self.id_number) if self.id_number else None
        if identity:
            self.birth_date, self.sex = identity.birth_date, identity.sex
        if self.birth_date is not None:
            if self.birth_date > self.assessment_date:
                raise ValueError(reasons.ID_BIRTH_AFTER_ASSESSMENT(when=self.assessment_date))
            derived = age_at(self.birth_date, self.assessment_date)
            if derived > MAX_AGE:
                raise ValueError(reasons.AGE_OVER_MAX(age=derived, limit=MAX_AGE))
            self.age = derived
        return self


def _identity(info: ValidationInfo) -> IdentityInfo | None:
    number = info.data.get("id_number")
    return parse_id_number(number) if number else None


class ChildInput(PersonBase):
    category: Literal["child"]
    father_status: ParentStatus | None = None
    mother_status: ParentStatus | None = None
    parents_informed_village: bool | None = None
    parents_informed_school: bool | None = None
    parent_contact_per_month: Annotated[Int, Field(ge=0, le=1000)] | None = None
    guardian_type: GuardianType | None = None
    guardian_age: Annotated[Int, Field(ge=0, le=MAX_AGE)] | None = None
    guardian_capacity: Capacity | None = None
    entrusted_agreement: bool | None = None
    guardian_assessed: bool | None = None
    guardian_neglect_months: Months | None = None
    lives_alone: bool | None = Field(None, description="脱离监护单独居住生活")
    missing: bool | None = Field(None, description="失踪")
    suspected_domestic_violence: bool | None = None
    suspected_abuse: bool | None = None
    abandoned: bool | None = None
    suspected_injury: bool | None = None
    suspected_unlawful_harm: bool | None = None
    serious_harm: bool | None = None
    unsupervised_in_danger: bool | None = None
    guardian_refuses_correction: bool | None = None
    enrolled_in_school: bool | None = None
    dropped_out: bool | None = None
    unexcused_absence_days: (
        Annotated[Int, Field(ge=0, le=31, description="in the last 30 days")] | None
    ) = None
    psychological_concern: bool | None = None
    behavior_problem: bool | None = None
    major_emergency: bool | None = None


class ElderInput(PersonBase):
    category: Literal["elder"]
    annual_income: Money | None = None
    extreme_poverty_support: bool | None = None
    children_count: Count | None = None
    children_away_count: Count | None = None
    child_at_home: bool | None = None
    support_fulfilled: bool | None = None
    support_neglect_months: Months | None = None
    admonished: bool | None = None
    children_contact_per_month: Annotated[Int, Field(ge=0, le=1000)] | None = None
    caregiver_entrusted: bool | None = None
    children_informed_village: bool | None = None
    self_care: SelfCare | None = None
    critical_condition: bool | None = Field(None, description="危重病情")
    severe_mental_illness: bool | None = Field(None, description="严重精神疾患")
    living_arrangement: LivingArrangement | None = None
    suspected_abuse: bool | None = None
    wandering_begging: bool | None = Field(None, description="外出流浪乞讨")
    suspected_unlawful_harm: bool | None = None
    major_difficulty: bool | None = None
    home_safety_hazard: bool | None = None
    last_health_check: date | None = None
    receives_age_subsidy: bool | None = None
    receives_disability_subsidy: bool | None = None

    @model_validator(mode="after")
    def _children_consistent(self):
        if (
            self.children_count is not None
            and self.children_away_count is not None
            and self.children_away_count > self.children_count
        ):
            raise ValueError(
                reasons.CHILDREN_AWAY_EXCEEDS(
                    away=self.children_away_count, count=self.children_count
                )
            )
        return self


class WomanInput(PersonBase):
    category: Literal["woman"]
    husband_migrant: bool | None = None
    entrepreneurship_intent: bool | None = None
    suspected_domestic_violence: bool | None = None
    psychological_distress: bool | None = None
    labor_shortage: bool | None = None
    training_interest: bool | None = None


Person = Annotated[ChildInput | ElderInput | WomanInput, Field(discriminator="category")]
PERSON_ADAPTER: TypeAdapter[ChildInput | ElderInput | WomanInput] = TypeAdapter(Person)
INPUT_MODELS: dict[str, type[PersonBase]] = {
    "child": ChildInput,
    "elder": ElderInput,
    "woman": WomanInput,
}


def error_message(error: Mapping[str, Any]) -> str:
    """A validation error's message, never repeating the input (a wrong ``category`` tag
    would be quoted by pydantic)."""
    categories = ", ".join(INPUT_MODELS)
    if error.get("type") == "union_tag_not_found":
        return reasons.CATEGORY_MISSING(categories=categories)
    if error.get("type") == "union_tag_invalid":
        return reasons.CATEGORY_INVALID(categories=categories)
    return str(error.get("msg", "invalid")).removeprefix("Value error, ")
