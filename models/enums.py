"""The closed vocabularies of the scoring contract (../shared/docs/contract.md)."""

from enum import Enum


class Category(str, Enum):
    child = "child"
    elder = "elder"
    woman = "woman"


class Sex(str, Enum):
    male = "male"
    female = "female"


class ParentStatus(str, Enum):
    home = "home"
    migrant = "migrant"
    deceased = "deceased"
    incapacitated = "incapacitated"
    missing = "missing"
    imprisoned = "imprisoned"
    unknown = "unknown"


class GuardianType(str, Enum):
    parent = "parent"
    grandparent = "grandparent"
    other_relative = "other_relative"
    other_adult = "other_adult"
    institution = "institution"
    none = "none"


class Capacity(str, Enum):
    full = "full"
    limited = "limited"
    none = "none"


class SelfCare(str, Enum):
    full = "full"
    partial = "partial"
    none = "none"


class LivingArrangement(str, Enum):
    with_family = "with_family"
    spouse_only = "spouse_only"
    alone = "alone"
    with_grandchildren = "with_grandchildren"


class RiskLevel(str, Enum):
    """Ordered: low < medium < high < critical."""

    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"

    @property
    def rank(self) -> int:
        return _LEVEL_ORDER.index(self.value)

    @property
    def zh(self) -> str:
        return _LEVEL_ZH[self.value]

    @classmethod
    def highest(cls, levels: "list[RiskLevel]") -> "RiskLevel":
        return max(levels, key=lambda level: level.rank, default=cls.low)


_LEVEL_ORDER = ["low", "medium", "high", "critical"]
_LEVEL_ZH = {"low": "低", "medium": "中", "high": "高", "critical": "紧急"}
