"""Each durable_rules pitfall (shared/docs/durable-rules-notes.md) and the guard against it.

Every test here would fail if its guard were removed from rules/adapter.py or
rules/compile_durable.py.
"""

import copy
import json
import threading

import pytest

from rules.adapter import DurableEngine, strict_fact
from rules.compile_durable import (
    REQUEST_KEY,
    SENTINEL,
    compile_rules,
    condition,
    engine_value,
    rule_expression,
)
from rules.conditions import Known
from rules.errors import EngineError
from rules.loader import Rule

LIVES_ALONE = {"category": "child", "lives_alone": True, "age": 10}
LIVES_ALONE_RULES = ["child.lives_alone"]


@pytest.fixture(scope="module")
def engine(ruleset):
    return DurableEngine.from_ruleset(ruleset)


def test_no_background_dispatch_thread(ruleset):
    before = set(threading.enumerate())
    DurableEngine.from_ruleset(ruleset)
    started = [t for t in threading.enumerate() if t not in before]
    assert started == [], f"the engine started threads: {started}"


def test_more_sessions_than_the_engine_keeps_alive(engine):
    # The engine keeps at most 1,024 live sessions per ruleset: each state must be deleted.
    for _ in range(1_100):
        assert engine.evaluate(LIVES_ALONE) == LIVES_ALONE_RULES


def test_no_match_fact_is_handled_and_deleted(engine):
    # A fact that matches no rule raised MessageNotHandled and crashed delete_state: the
    # sentinel makes every request fact match something.
    for _ in range(1_100):
        assert engine.evaluate({"category": "child", "age": 10}) == []


def test_every_rule_is_guarded_by_request_only_fields(ruleset):
    compiled = compile_rules(ruleset.rules, ruleset.values)
    for rule_id, rule in compiled.items():
        expression = rule["all"][0]["m"]
        guards = expression["$and"][:2] if "$and" in expression else [expression]
        assert {"$ex": {REQUEST_KEY: 1}} in guards, rule_id
    assert compiled[SENTINEL]["pri"] > max(r["pri"] for k, r in compiled.items() if k != SENTINEL)


def _actions_taken(compiled: dict, fact: dict) -> list[str]:
    engine = DurableEngine(compiled, list(compiled))
    message = json.dumps({**fact, "sid": "t", REQUEST_KEY: "t"})
    handle = engine.handle_for(fact["category"])
    try:
        return engine._run(handle, message)
    finally:
        engine._delete(handle, "t")


def test_session_state_fires_unguarded_rules_and_the_guard_stops_it():
    # The engine also matches the session state it keeps ({"sid", "id", "$s"}): a rule the
    # state can satisfy fires for it too (with the Python Host, forever).
    node = Known("guardian_type", False)
    sentinel = {"all": [{"m": {"$ex": {REQUEST_KEY: 1}}}], "pri": 65535}
    unguarded = {"r": {"all": [{"m": condition(node, {})}]}, SENTINEL: sentinel}
    guarded = {"r": {"all": [{"m": rule_expression("child", node, {})}]}, SENTINEL: sentinel}
    fact = {"category": "child"}
    assert _actions_taken(unguarded, fact).count("r") == 2, "pitfall gone: revisit the guard"
    assert _actions_taken(guarded, fact).count("r") == 1


def test_actions_per_fact_are_bounded(ruleset):
    engine = DurableEngine.from_ruleset(ruleset)
    engine.max_actions = 1
    with pytest.raises(EngineError, match="more than 1 actions"):
        engine.evaluate({"category": "child", "missing": True, "lives_alone": True, "age": 3})
    engine.max_actions = len(ruleset.rules) + 1
    assert engine.evaluate(LIVES_ALONE) == LIVES_ALONE_RULES


def test_engine_errors_are_translated():
    # An unknown operator fails in the C core with an opaque "error code: 202".
    bad = {"r": {"all": [{"m": {"$ne": {"age": 1}}}]}}
    with pytest.raises(EngineError, match="refused the ruleset") as excinfo:
        DurableEngine(bad, ["r"])
    assert "202" in str(excinfo.value.__cause__)


def test_or_branches_fire_a_rule_once(engine):
    fact = {
        "category": "child",
        "age": 13,
        "suspected_injury": True,
        "suspected_unlawful_harm": True,
    }
    assert engine.evaluate(fact) == ["child.injury_or_unlawful_harm"]


def test_exception_inside_an_action_is_surfaced_and_state_still_deleted(ruleset):
    class Failing(DurableEngine):
        def _record(self, message):
            name = super()._record(message)
            if name == "child.missing":
                raise RuntimeError("boom")
            return name

    failing = Failing.from_ruleset(ruleset)
    with pytest.raises(EngineError, match="a rule action failed"):
        failing.evaluate({"category": "child", "missing": True})
    for _ in range(1_100):  # every failed session was deleted too
        assert failing.evaluate(LIVES_ALONE) == LIVES_ALONE_RULES


@pytest.mark.parametrize(
    ("fact", "words"),
    [
        ({"category": "child", "age": "9"}, "`age` must be int"),  # "9" > 200 compares as text
        ({"category": "child", "lives_alone": 1}, "`lives_alone` must be bool"),  # 1 == true
        ({"category": "child", "lives_alone": "true"}, "`lives_alone` must be bool"),
        ({"category": "child", "sid": "x"}, "reserved"),
        ({"category": "child", "id": "x"}, "reserved"),
        ({"category": "child", "colour": "red"}, "not in the child catalogue"),
        ({"category": "child", "father_status": "abroad"}, "`father_status` must be enum"),
        ({"category": "robot"}, "unknown category"),
        ({"category": "elder", "annual_income": float("inf")}, "cannot be passed"),
    ],
)
def test_values_are_strictly_typed_before_assert(fact, words):
    with pytest.raises(EngineError, match=words):
        strict_fact(fact)


def test_floats_never_reach_the_engine_with_an_exponent():
    assert engine_value(1e-05) == 0
    with pytest.raises(ValueError, match="cannot be passed"):
        engine_value(1e20)
    assert engine_value(4199.999) == 4200
    assert engine_value(3999.5) == 3999.5
    payload = strict_fact({"category": "elder", "annual_income": 1e-05})
    assert payload["annual_income"] == 0


def test_float_fact_compares_numerically(ruleset):
    from rules.compile_durable import rule_expression
    from rules.conditions import Compare, Param

    node = Compare("annual_income", "lt", Param("line"))
    expression = rule_expression("elder", node, {"line": 4000.5})
    assert expression["$and"][2] == {"$lt": {"annual_income": 4000.5}}


def test_definition_is_copied_and_each_engine_gets_its_own_name(ruleset):
    compiled = compile_rules(ruleset.rules, ruleset.values)
    pristine = copy.deepcopy(compiled)
    first = DurableEngine(compiled, [r.id for r in ruleset.rules])
    second = DurableEngine(compiled, [r.id for r in ruleset.rules])
    assert compiled == pristine, "registration mutated the caller's definition"
    assert first.name != second.name
    assert first.evaluate(LIVES_ALONE) == second.evaluate(LIVES_ALONE) == LIVES_ALONE_RULES


def test_sentinel_confirms_the_fact_was_processed(ruleset):
    # Without the sentinel a no-match fact is "not handled"; with it, evaluate checks it ran.
    rules = [
        Rule(
            id="child.t",
            title="t",
            clause="3.1.4",
            text="失踪",
            category="child",
            when=Known("missing", True),
            level=None,
            points=None,
            dimension=None,
            interventions=(),
            note=None,
            file="t",
        )
    ]
    engine = DurableEngine(compile_rules(rules, {}), ["child.t"])
    assert engine.evaluate({"category": "child"}) == []
    assert engine.evaluate({"category": "child", "missing": True}) == ["child.t"]


@pytest.mark.slow
def test_concurrent_threads_give_the_sequential_results(engine):
    facts = _varied_facts(2_000)
    expected = [engine.evaluate(f) for f in facts]
    results: dict[int, list] = {}
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            results[n] = [engine.evaluate(f) for f in facts]
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(results[n] == expected for n in range(8))
    assert sum(len(r) for r in expected) > 1_000  # the facts do fire rules


@pytest.mark.slow
def test_memory_stays_flat_over_100k_assessments(engine):
    import gc

    import psutil

    process = psutil.Process()
    facts = _varied_facts(1_000)
    for f in facts:
        engine.evaluate(f)
    gc.collect()
    before = process.memory_info().rss
    for i in range(100_000):
        engine.evaluate(facts[i % len(facts)])
    gc.collect()
    grown = (process.memory_info().rss - before) / 2**20
    assert grown <= 10, f"RSS grew {grown:.1f} MB over 100,000 assessments"


def _varied_facts(n: int) -> list[dict]:
    import random

    rng = random.Random(7)
    flags = [
        "lives_alone",
        "missing",
        "suspected_injury",
        "suspected_unlawful_harm",
        "suspected_domestic_violence",
        "abandoned",
        "serious_harm",
    ]
    facts = []
    for _ in range(n):
        fact = {"category": "child", "age": rng.randint(0, 17)}
        for flag in flags:
            if rng.random() < 0.15:
                fact[flag] = rng.random() < 0.5
        if rng.random() < 0.2:
            fact["guardian_neglect_months"] = rng.randint(0, 12)
        if rng.random() < 0.2:
            fact["guardian_capacity"] = rng.choice(["full", "limited", "none"])
        facts.append(fact)
    return facts


def test_malloc_is_tuned_to_keep_the_engine_buffer_mapped():
    # Without it, each assert page-faults a fresh buffer in: 5-7x slower, depending on
    # heap layout (benchmarks/engine.py shows the figure; no timing in unit tests).
    import platform

    from rules import adapter

    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        pytest.skip("mallopt is glibc's")
    assert adapter.MALLOC_TUNED is True


def test_collecting_less_raises_the_threshold_and_gives_it_back():
    import gc
    import threading

    from rules.adapter import BULK_GC_THRESHOLD, collecting_less

    before = gc.get_threshold()
    inside = []
    with collecting_less():
        inside.append(gc.get_threshold())
        worker = threading.Thread(target=lambda: inside.append(_nested(collecting_less)))
        worker.start()
        worker.join()
        inside.append(gc.get_threshold())  # the other job ended: still raised for this one
    assert inside[0][0] == max(BULK_GC_THRESHOLD, before[0]) and inside[0][1:] == before[1:]
    assert inside[1] == inside[2] == inside[0]
    assert gc.get_threshold() == before
    try:
        with collecting_less():
            raise RuntimeError("a failed review")
    except RuntimeError:
        pass
    assert gc.get_threshold() == before


def _nested(context):
    import gc

    with context():
        return gc.get_threshold()
