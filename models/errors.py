"""liushou's errors, one tree (each raised on purpose, with a message that says what to do)::

    LiushouError                    models.errors
    ├── RulesError                  rules.errors: rule data refused at load time
    │   └── RuleFileError           names the file and the key
    ├── PeriodError                 rules.errors: no parameter values in force on a date
    ├── UnknownRule                 rules.errors: no rule with this id (404)
    ├── EngineError                 rules.errors: the rules engine failed on one assessment
    ├── ModelError                  evaluation.artifact: a model file cannot be used
    ├── OverrideError               evaluation.overrides: an analyst's override is refused
    ├── SheetError                  models.sheets.files: a file cannot be read as a spreadsheet
    │   ├── SheetTooLarge           over one of the sheet limits (413)
    │   └── TaskSheetError          service.tasks_xlsx: not a tasks sheet
    ├── TaskError                   service.tasks: a follow-up task refused
    │   ├── TaskNotFound, TaskForbidden, TaskInvalid
    │   └── TaskConflict            a stale version (409)
    ├── ReviewNotFound              service.store: no review this key may see (404)
    └── ProblemError                service.problems: what only HTTP knows of (keys, limits)

``service.problems.as_problem`` is the one translation into problem+json (status,
title, fields), used by the API's one handler and by the web pages; routes do not
catch these (tests/service/test_responses.py). The CLI turns them into exit codes.
Validation errors of the contract stay pydantic's ValidationError.
"""


class LiushouError(Exception):
    """Base of every error liushou raises on purpose."""
