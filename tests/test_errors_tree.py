"""Every error liushou raises on purpose is a LiushouError (models/errors.py draws the tree)."""

from evaluation.artifact import ModelError
from evaluation.overrides import OverrideError
from models.errors import LiushouError
from models.sheets.files import SheetError, SheetTooLarge
from rules.errors import EngineError, PeriodError, RuleFileError, RulesError
from service.tasks import TaskConflict, TaskError, TaskForbidden, TaskInvalid, TaskNotFound


def test_one_tree():
    for error in (
        RulesError,
        RuleFileError,
        PeriodError,
        EngineError,
        ModelError,
        OverrideError,
        SheetError,
        SheetTooLarge,
        TaskError,
        TaskNotFound,
        TaskForbidden,
        TaskInvalid,
        TaskConflict,
    ):
        assert issubclass(error, LiushouError), error
    assert issubclass(SheetError, ValueError) and issubclass(OverrideError, ValueError)
