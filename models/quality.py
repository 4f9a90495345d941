"""Data quality of a village list (3.4: 不重报、不漏报、不错报), each problem in its own list.

>>> q = check_quality([])
>>> q.duplicates, q.age_conflicts
([], [])
"""

from dataclasses import dataclass, field

from models.sheet import Problem, Record, column_label

# An age outside these bounds contradicts the category (a warning; the person is still scored).
CATEGORY_AGES = {"child": (0, 17), "elder": (60, 130), "woman": (18, 130)}


@dataclass
class Quality:
    duplicates: list[Problem] = field(default_factory=list)
    invalid_ids: list[Problem] = field(default_factory=list)
    age_conflicts: list[Problem] = field(default_factory=list)
    missing_values: list[Problem] = field(default_factory=list)


def split_duplicates(records: list[Record]) -> tuple[list[Record], list[Problem]]:
    """Keep the first row of each identity number; later rows are duplicates (不重报)."""
    first: dict[str, int] = {}
    kept, duplicates = [], []
    for record in records:
        number = record.person.id_number
        if number and number in first:
            duplicates.append(
                Problem(
                    record.row,
                    column_label("id_number"),
                    f"duplicate identity number (first on row {first[number]})",
                )
            )
            continue
        if number:
            first[number] = record.row
        kept.append(record)
    return kept, duplicates


def check_quality(
    records: list[Record],
    rejected: list[Problem] = (),
    duplicates: list[Problem] = (),
    gaps: dict[int, list[str]] | None = None,
) -> Quality:
    quality = Quality(duplicates=list(duplicates))
    quality.invalid_ids = [
        p for p in rejected if "id_number" in p.column and "identity" in p.reason
    ]
    for record in records:
        person = record.person
        low, high = CATEGORY_AGES[person.category]
        if person.age is not None and not low <= person.age <= high:
            quality.age_conflicts.append(
                Problem(
                    record.row,
                    column_label("age"),
                    f"age {person.age} contradicts category {person.category} ({low}-{high})",
                )
            )
    for row, fields in (gaps or {}).items():
        quality.missing_values.append(
            Problem(
                row, "; ".join(column_label(f) for f in fields), "unknown, needed by a safety rule"
            )
        )
    return quality
