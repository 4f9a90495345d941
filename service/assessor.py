"""The one place the assessor is built, for the API and the CLI alike: the rules of
the settings, compiled, and the optional model passed in (rules.seams.ModelScorer).

    assessor, model_error = build_assessor(Settings())
"""

from evaluation.artifact import ModelError
from evaluation.artifact import load as load_model
from evaluation.serving import ModelScorer
from rules.assess import Assessor
from rules.loader import DATA_DIR, load_ruleset
from service.settings import Settings


def build_assessor(
    settings: Settings, assessor: Assessor | None = None
) -> tuple[Assessor, str | None]:
    """The assessor (``assessor``, or the rules of ``settings.rules_dir`` compiled) with
    the model of ``settings.model_path`` when one is configured. A model file that is
    refused gives the rules-only assessor and the reason (the API fails readiness with
    it, the CLI exits 2); a bad rule file raises RulesError."""
    assessor = assessor or Assessor.build(load_ruleset(settings.rules_dir or DATA_DIR))
    if settings.model_path is None:
        return assessor, None
    try:
        loaded = load_model(settings.model_path)
    except ModelError as exc:
        return assessor.with_model(None), str(exc)
    return assessor.with_model(ModelScorer(loaded, assessor.ruleset.values)), None
