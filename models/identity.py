"""Resident identity numbers (GB 11643): checksum, birth date and sex.

>>> parse_id_number("11010519491231002X")
IdentityInfo(number='11010519491231002X', birth_date=datetime.date(1949, 12, 31), sex='female')
"""

import re
from dataclasses import dataclass
from datetime import date

import numpy as np
from stdnum import exceptions as stdnum_errors
from stdnum import numdb
from stdnum.cn import ric

from models import reasons


@dataclass(frozen=True)
class IdentityInfo:
    number: str
    birth_date: date
    sex: str


_REASONS = {
    stdnum_errors.InvalidChecksum: reasons.ID_CHECK_DIGIT,
    stdnum_errors.InvalidLength: reasons.ID_LENGTH,
    stdnum_errors.InvalidFormat: reasons.ID_FORMAT,
    stdnum_errors.InvalidComponent: reasons.ID_COMPONENT,
}


def parse_id_number(value: str) -> IdentityInfo:
    """Validate an 18-character identity number; raise ValueError saying what is wrong."""
    try:
        number = _validate(value)
    except stdnum_errors.ValidationError as exc:
        raise ValueError(_REASONS.get(type(exc), reasons.ID_INVALID)()) from None
    if len(number) != 18:
        raise ValueError(reasons.ID_LENGTH())
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


def mask_columns(names: np.ndarray, numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``mask_name`` and ``mask_id_number`` on whole columns (object arrays of text or
    None), in Arrow; tests/models/test_identity_masks.py holds them equal."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def joined(*parts):
        return pc.binary_join_element_wise(*parts, "")

    name = pa.array(names, pa.string(), from_pandas=True)
    stars = pc.binary_repeat("*", pc.max_element_wise(pc.subtract(pc.utf8_length(name), 1), 0))
    masked_names = joined(pc.utf8_slice_codeunits(name, 0, 1), stars)
    number = pa.array(numbers, pa.string(), from_pandas=True)
    stars = pc.binary_repeat("*", pc.max_element_wise(pc.subtract(pc.utf8_length(number), 8), 0))
    tail = pc.utf8_slice_codeunits(number, -2, 2**31 - 1)
    masked_numbers = joined(pc.utf8_slice_codeunits(number, 0, 6), stars, tail)
    empty_names = pc.fill_null(pc.equal(name, ""), False).to_numpy(zero_copy_only=False)
    empty_numbers = pc.fill_null(pc.equal(number, ""), False).to_numpy(zero_copy_only=False)
    out_names = masked_names.to_numpy(zero_copy_only=False).astype(object)
    out_numbers = masked_numbers.to_numpy(zero_copy_only=False).astype(object)
    out_names[empty_names] = ""  # an empty text is its own mask
    out_numbers[empty_numbers] = ""
    return out_names, out_numbers


_DIGIT_RUN = re.compile(r"\d{11,}[\dXx]?")  # identity numbers (15/18), phone numbers (11)
_NAME_LIKE = re.compile(r"^[\u4e00-\u9fff·]{2,4}$")  # a whole cell of 2-4 Chinese characters
# The most common family names (about 85 % of people): a 2-4 character cell starting
# with one is taken for a name; "三天" or "在外" (a mistyped value) is quoted as it is.
FAMILY_NAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺"
    "顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿"
    "关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华"
    "喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗"
    "瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
QUOTE_CHARS = 40


def masked_text(text: str) -> str:
    """``text`` with every run of 11+ digits masked as an identity number is (a second
    line of defence for messages and logs).

    >>> masked_text("row 3: 11010519491231002X again")
    'row 3: 110105**********2X again'
    """
    return _DIGIT_RUN.sub(lambda m: mask_id_number(m.group()) or "", text)


def quoted(text: str) -> str:
    """A cell's text as an error message may quote it: an identity-number-like run of
    digits or a name-like cell masked, cut to QUOTE_CHARS characters.

    >>> quoted("王小明"), quoted("三天"), quoted("x" * 50)[-2:]
    ('王**', '三天', 'x…')
    """
    if _NAME_LIKE.match(text) and text[0] in FAMILY_NAMES:
        return mask_name(text) or ""
    text = masked_text(text)
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1] + "…"
