"""Resident identity numbers (GB 11643): checksum, birth date and sex.

>>> parse_id_number("11010519491231002X")
IdentityInfo(number='11010519491231002X', birth_date=datetime.date(1949, 12, 31), sex='female')
"""

from dataclasses import dataclass
from datetime import date

import numpy as np
from stdnum import exceptions as stdnum_errors
from stdnum import numdb
from stdnum.cn import ric


@dataclass(frozen=True)
class IdentityInfo:
    number: str
    birth_date: date
    sex: str


_REASONS = {
    stdnum_errors.InvalidChecksum: "check digit does not match (corrupted or mistyped number)",
    stdnum_errors.InvalidLength: "must be 18 characters",
    stdnum_errors.InvalidFormat: "must be 17 digits followed by a digit or X",
    stdnum_errors.InvalidComponent: "birth date or region code is not valid",
}


def parse_id_number(value: str) -> IdentityInfo:
    """Validate an 18-character identity number; raise ValueError saying what is wrong."""
    try:
        number = _validate(value)
    except stdnum_errors.ValidationError as exc:
        reason = _REASONS.get(type(exc), "is not a valid resident identity number")
        raise ValueError(f"invalid identity number: {reason}") from None
    if len(number) != 18:
        raise ValueError("invalid identity number: must be 18 characters")
    sex = "male" if int(number[16]) % 2 == 1 else "female"
    return IdentityInfo(number=number, birth_date=ric.get_birth_date(number), sex=sex)


def _validate(value: str) -> str:
    """ric.validate, without its check that the region code existed in the birth year.

    A number keeps the region code of the county where it was first issued, often
    years after birth: Shou County's 341521 (1999–2015) is on numbers of people born
    long before 1999, and stdnum refuses those. We keep the checksum, the birth date
    and "the region code is a known county code at some time".
    """
    try:
        return ric.validate(value)
    except stdnum_errors.InvalidComponent:
        number = ric.compact(value)
        ric.get_birth_date(number)  # raises InvalidComponent for an impossible date
        matched = numdb.get("cn/loc").info(number[:6])  # [(province), (county)] when known
        if len(matched) < 2:
            raise
        return number


ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
ID_CHECK = np.array(list("10X98765432"))


def check_characters(digits: np.ndarray) -> np.ndarray:
    """The GB 11643 check character of each row of 17 digits (shape (n, 17), ints)."""
    return ID_CHECK[(digits @ ID_WEIGHTS) % 11]


def mask_id_number(value: str | None) -> str | None:
    """Keep the region code and the last two characters: ``110105**********2X``."""
    if not value:
        return value
    return value[:6] + "*" * max(len(value) - 8, 0) + value[-2:]


def mask_name(name: str | None) -> str | None:
    """Keep the family name: ``王小明`` -> ``王**``."""
    return name[0] + "*" * (len(name) - 1) if name else name
