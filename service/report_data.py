"""What a review report shows, built from a fresh review or from the store."""

from dataclasses import dataclass, field

from models.changes import Changes
from models.identity import mask_id_number, mask_name


@dataclass
class ReportData:
    township: str
    village: str
    period: str
    counts: dict[str, int]
    rows: list[dict] = field(default_factory=list)  # row, person_id, name, id_number, level, …
    problems: list[tuple] = field(default_factory=list)  # (kind, row, column, reason)
    changes: Changes | None = None
    ignored_columns: list[str] = field(default_factory=list)
    # {village: {level: count}} for the township's villages reviewed in the same period
    villages: dict[str, dict[str, int]] = field(default_factory=dict)


def from_result(result, show_personal: bool = False, changes: Changes | None = None) -> ReportData:
    """From a review just run; names and numbers masked unless ``show_personal``."""
    rows = []
    for item in result.scored:
        person = item.record.person
        name = person.name if show_personal else mask_name(person.name)
        number = person.id_number if show_personal else mask_id_number(person.id_number)
        rows.append(
            {
                "row": item.record.row,
                "person_id": person.person_id,
                "name": name or "",
                "id_number": number or "",
                "level": str(item.assessment["risk_level"]),
                "interventions": item.assessment["interventions"],
            }
        )
    problems = [
        (kind, p.row, p.column, p.reason) for kind, items in result.problem_lists() for p in items
    ]
    return ReportData(
        result.township,
        result.village,
        result.period,
        result.counts(),
        rows,
        problems,
        changes,
        result.ignored_columns,
    )


def from_store(review, records, problems, changes: Changes | None) -> ReportData:
    """From stored rows: masked always (the store keeps no names or numbers)."""
    counts = {
        k: getattr(review, k)
        for k in ("rows_in", "scored", "rejected", "critical", "high", "medium", "low")
    }
    rows = [
        {
            "row": r.row,
            "person_id": r.person_id,
            "name": r.name_masked or "",
            "id_number": r.id_masked or "",
            "level": r.risk_level,
            "interventions": r.interventions,
        }
        for r in records
    ]
    return ReportData(
        review.township,
        review.village,
        review.period,
        counts,
        rows,
        [(p.kind, p.row, p.column, p.reason) for p in problems],
        changes,
    )
