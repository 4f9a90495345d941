"""Identity numbers (GB 11643) and the agreement of id, birth date, sex and age."""

from datetime import date

import pytest
from pydantic import ValidationError

from models.identity import mask_id_number, parse_id_number
from models.person import PERSON_ADAPTER

STANDARD_EXAMPLE = "11010519491231002X"  # the standard's published example


def test_standard_example_parses_to_birth_date_and_sex():
    info = parse_id_number(STANDARD_EXAMPLE)
    assert info.birth_date == date(1949, 12, 31)
    assert info.sex == "female"  # 17th digit 2 is even


def test_lowercase_check_character_is_accepted():
    assert parse_id_number(STANDARD_EXAMPLE.lower()).number == STANDARD_EXAMPLE


@pytest.mark.parametrize(
    ("number", "words"),
    [
        ("110105194912310021", "check digit does not match"),  # corrupted checksum
        ("11010519491231002", "18 characters"),
        ("1101051949123100AX", "17 digits"),
        ("11010519491331002X", "check digit"),  # month 13 also breaks the checksum
    ],
)
def test_invalid_numbers_are_refused_with_the_reason(number, words):
    with pytest.raises(ValueError, match=words):
        parse_id_number(number)


def test_region_code_issued_after_birth_is_accepted():
    # 341521 (Shou County, 1999-2015) on the number of a man born in 1948: real, and
    # refused by stdnum's own birth-year check, which we relax.
    info = parse_id_number("341521194803020133")
    assert (info.birth_date, info.sex) == (date(1948, 3, 2), "male")


def test_unknown_region_code_is_refused():
    base = "99999919480302013"
    valid_checksum = next(base + d for d in "0123456789X" if _checksum_ok(base + d))
    with pytest.raises(ValueError, match="region code"):
        parse_id_number(valid_checksum)


def _checksum_ok(number: str) -> bool:
    from stdnum.cn import ric

    return ric.calc_check_digit(number) == number[-1]


def test_mask_keeps_region_and_last_two():
    assert mask_id_number(STANDARD_EXAMPLE) == "110105**********2X"


def _errors(**fields):
    with pytest.raises(ValidationError) as excinfo:
        PERSON_ADAPTER.validate_python(
            {"category": "elder", "assessment_date": "2026-11-28", **fields}
        )
    return [(e["loc"][-1], e["msg"]) for e in excinfo.value.errors()]


def test_age_is_taken_at_assessment_date():
    p = PERSON_ADAPTER.validate_python(
        {"category": "elder", "id_number": STANDARD_EXAMPLE, "assessment_date": "2026-12-31"}
    )
    assert (p.age, p.sex, p.birth_date) == (77, "female", date(1949, 12, 31))
    p = PERSON_ADAPTER.validate_python(
        {"category": "elder", "id_number": STANDARD_EXAMPLE, "assessment_date": "2026-12-30"}
    )
    assert p.age == 76


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"id_number": STANDARD_EXAMPLE, "sex": "male"}, "sex", "contradicts id_number"),
        (
            {"id_number": STANDARD_EXAMPLE, "birth_date": "1950-01-01"},
            "birth_date",
            "contradicts id_number",
        ),
        ({"id_number": STANDARD_EXAMPLE, "age": 60}, "age", "contradicts birth_date/id_number"),
        ({"birth_date": "1950-06-01", "age": 70}, "age", "which give age 76"),
        ({"birth_date": "2030-01-01"}, "birth_date", "after assessment_date"),
        ({"id_number": "110105194912310021"}, "id_number", "check digit"),
        ({"children_count": 1, "children_away_count": 2}, "elder", "exceeds children_count"),
        ({"annual_income": -5}, "annual_income", "greater than or equal to 0"),
        ({"self_care": "some"}, "self_care", "'full', 'partial' or 'none'"),
    ],
)
def test_contradictions_name_the_field(fields, field, words):
    errors = _errors(**fields)
    assert any(loc == field and words in msg for loc, msg in errors), errors


def test_unknown_is_kept_unknown():
    p = PERSON_ADAPTER.validate_python({"category": "child"})
    assert p.lives_alone is None and p.age is None
