"""Resident identity numbers (GB 11643): checksum, birth date and sex.

>>> parse_id_number("11010519491231002X")
IdentityInfo(number='11010519491231002X', birth_date=datetime.date(1949, 12, 31), sex='female')
"""

from dataclasses import dataclass
from datetime import date

from stdnum import exceptions as stdnum_errors
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
        number = ric.validate(value)
    except stdnum_errors.ValidationError as exc:
        reason = _REASONS.get(type(exc), "is not a valid resident identity number")
        raise ValueError(f"invalid identity number: {reason}") from None
    if len(number) != 18:
        raise ValueError("invalid identity number: must be 18 characters")
    sex = "male" if int(number[16]) % 2 == 1 else "female"
    return IdentityInfo(number=number, birth_date=ric.get_birth_date(number), sex=sex)


def mask_id_number(value: str | None) -> str | None:
    """Keep the region code and the last two characters: ``110105**********2X``."""
    if not value:
        return value
    return value[:6] + "*" * max(len(value) - 8, 0) + value[-2:]
