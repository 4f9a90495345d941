"""Every error liushou raises on purpose is a LiushouError (models/errors.py draws the tree)."""

from evaluation.artifact import ModelError
from evaluation.overrides import OverrideError
from models.errors import LiushouError
from models.sheets.files import SheetError, SheetTooLarge
from rules.errors import EngineError, PeriodError, RuleFileError, RulesError, UnknownRule
from service.problems import ProblemError
from service.store import ReviewNotFound
from service.tasks import TaskConflict, TaskError, TaskForbidden, TaskInvalid, TaskNotFound
from service.tasks_xlsx import TaskSheetError


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
        UnknownRule,
        ReviewNotFound,
        ProblemError,
    ):
        assert issubclass(error, LiushouError), error
    assert issubclass(SheetError, ValueError) and issubclass(OverrideError, ValueError)
    assert issubclass(TaskSheetError, SheetError) and issubclass(UnknownRule, KeyError)
