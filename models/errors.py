"""liushou's errors, one tree (each raised on purpose, with a message that says what to do)::

    LiushouError                    models.errors
    ├── RulesError                  rules.errors: rule data refused at load time
    │   └── RuleFileError           names the file and the key
    ├── PeriodError                 rules.errors: no parameter values in force on a date
    ├── EngineError                 rules.errors: the rules engine failed on one assessment
    ├── ModelError                  evaluation.artifact: a model file cannot be used
    ├── OverrideError               evaluation.overrides: an analyst's override is refused
    ├── SheetError                  models.sheets.files: a file cannot be read as a spreadsheet
    │   └── SheetTooLarge           over one of the sheet limits (413)
    └── TaskError                   service.tasks: a follow-up task refused
        ├── TaskNotFound, TaskForbidden, TaskInvalid
        └── TaskConflict            a stale version (409)

The delivery layer turns them into problem+json (service.problems, and for now some
routes catch their own: one handler per kind is still to come) and the CLI into exit
codes. Validation errors of the contract stay pydantic's ValidationError.
"""


class LiushouError(Exception):
    """Base of every error liushou raises on purpose."""
