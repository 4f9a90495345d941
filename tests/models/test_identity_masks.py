"""The column-wise masks (models.identity.mask_columns) equal the per-value ones."""

import numpy as np

from models.identity import mask_columns, mask_id_number, mask_name

TEXTS = [
    None, "", "王", "王小明", "欧阳小明", "O'Brien", "a", "12", "1234567", "12345678",
    "340422201603150032", "11010519491231002X", "３4042220160315003２", "𠀋𠀋𠀋", " 王 ",
]  # fmt: skip


def test_column_masks_equal_the_value_masks():
    values = np.array(TEXTS, dtype=object)
    names, numbers = mask_columns(values, values)
    assert list(names) == [mask_name(v) for v in TEXTS]
    assert list(numbers) == [mask_id_number(v) for v in TEXTS]
