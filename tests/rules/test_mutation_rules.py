"""tests/mutation_rules.py (make mutation) does what it says, on a few mutants."""

from tests import mutation_rules


def test_mutants_cover_every_rule_action_and_parameter(ruleset):
    labels = [m.label for m in mutation_rules.all_mutants()]
    assert sum(label.startswith("rule ") for label in labels) == len(ruleset.rules)
    assert sum(label.startswith("action ") for label in labels) == 4 * len(ruleset.actions)
    assert "parameter deadline.court_application: 720 -> 721" in labels
    assert "rule child.lives_alone: level critical -> high" in labels


def test_the_shipped_data_agree_with_the_table(ruleset):
    assert mutation_rules.table_differences(ruleset) == []


def test_a_mutant_is_run_against_the_cases_and_the_table(tmp_path, monkeypatch):
    monkeypatch.setattr(mutation_rules, "_BASE", tmp_path)
    mutation_rules._start()
    by_label = {m.label: m for m in mutation_rules.all_mutants()}

    def outcome(label):
        return mutation_rules.run((0, by_label[label]))[1]

    assert outcome("rule child.lives_alone: level critical -> high") == "cases"
    # the table catches it; once case rows assert deadlines, they will first
    assert outcome("parameter deadline.court_application: 720 -> 721") in ("cases", "table")
    unmutated = mutation_rules.Mutant("unmutated", "actions.yaml", lambda parsed: None)
    assert mutation_rules.run((0, unmutated))[1] == "survived"
