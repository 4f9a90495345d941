"""The closed vocabularies of the scoring contract (../shared/docs/contract.md)."""

from enum import StrEnum


class Category(StrEnum):
    child = "child"
    elder = "elder"
    woman = "woman"


class Sex(StrEnum):
    male = "male"
    female = "female"


class ParentStatus(StrEnum):
    home = "home"
    migrant = "migrant"
    deceased = "deceased"
    incapacitated = "incapacitated"
    missing = "missing"
    imprisoned = "imprisoned"
    unknown = "unknown"


class GuardianType(StrEnum):
    parent = "parent"
    grandparent = "grandparent"
    other_relative = "other_relative"
    other_adult = "other_adult"
    institution = "institution"
    none = "none"


class Capacity(StrEnum):
    full = "full"
    limited = "limited"
    none = "none"


class SelfCare(StrEnum):
    full = "full"
    partial = "partial"
    none = "none"


class LivingArrangement(StrEnum):
    with_family = "with_family"
    spouse_only = "spouse_only"
    alone = "alone"
    with_grandchildren = "with_grandchildren"


class RiskLevel(StrEnum):
    """Ordered: low < medium < high < critical."""

    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"

    @property
    def rank(self) -> int:
        return _LEVEL_RANK[self]

    @property
    def zh(self) -> str:
        return _LEVEL_ZH[self.value]

    @classmethod
    def highest(cls, levels: "list[RiskLevel]") -> "RiskLevel":
        return max(levels, key=_LEVEL_RANK.__getitem__, default=cls.low)


_LEVEL_ORDER = ["low", "medium", "high", "critical"]
_LEVEL_RANK = {name: rank for rank, name in enumerate(_LEVEL_ORDER)}
_LEVEL_ZH = {"low": "低", "medium": "中", "high": "高", "critical": "紧急"}
