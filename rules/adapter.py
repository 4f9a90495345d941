"""The durable_rules adapter: the only module that imports the engine.

It guards every pitfall measured in shared/docs/durable-rules-notes.md:

- no background dispatch thread (``_QuietHost._run`` does nothing);
- one lock per engine around assert + delete (the C core is not thread-safe);
- a fresh session id per evaluation, its state deleted in ``finally``
  (at most 1,024 live sessions per ruleset);
- every rule guarded by ``$ex rid`` (rules.compile_durable), so the state the
  engine re-asserts after an action can never loop;
- a lowest-priority sentinel, so no fact goes unhandled;
- ``$or`` branches fire a rule once each: hits are de-duplicated;
- exceptions swallowed inside actions are read back from the state and raised;
- values strictly typed against the field catalogue before assert;
- the definition deep-copied before registration (the engine deletes ``run``),
  and each engine registered under a new ruleset name (a name lives for the
  whole process).

>>> engine = DurableEngine.from_ruleset(load_ruleset())   # doctest: +SKIP
>>> engine.evaluate({"category": "child", "lives_alone": True, "age": 10})   # doctest: +SKIP
['child.lives_alone']
"""

import copy
import itertools
import threading
import uuid
import warnings
from collections.abc import Callable
from typing import Any

from models.fields import catalogue
from rules.compile_durable import REQUEST_KEY, RESERVED, SENTINEL, compile_rules, engine_value
from rules.errors import EngineError

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from durable import engine as durable_engine


class _QuietHost(durable_engine.Host):
    """A host without the 0.2 s background dispatch threads (they crash under load)."""

    def _run(self) -> None:
        return None


class DurableEngine:
    """Evaluate one fact at a time; return the ids of the rules that fire, in rule order."""

    def __init__(self, compiled: dict[str, dict], order: list[str]):
        self.name = f"liushou_{uuid.uuid4().hex}"
        self.order = order
        self._lock = threading.Lock()
        self._sids = itertools.count()
        self._hits: list[tuple[str, str]] = []
        self._seen: set[str] = set()
        definition = copy.deepcopy(compiled)
        for rule_id, rule in definition.items():
            rule["run"] = self._action(rule_id)
        self._host = _QuietHost()
        try:
            self._host.register_rulesets({self.name: definition})
        except Exception as exc:
            raise EngineError(f"durable_rules refused the ruleset: {exc}") from exc

    @classmethod
    def from_ruleset(cls, ruleset) -> "DurableEngine":
        return cls(compile_rules(ruleset.rules, ruleset.values), [r.id for r in ruleset.rules])

    def _action(self, rule_id: str) -> Callable[[Any], None]:
        def action(c):  # one argument: two would make durable_rules treat it as async
            self._record(rule_id, c)

        return action

    def _record(self, rule_id: str, c: Any) -> None:
        rid = c.m[REQUEST_KEY]
        if rule_id == SENTINEL:
            self._seen.add(rid)
        else:
            self._hits.append((rid, rule_id))

    def evaluate(self, fact: dict[str, Any]) -> list[str]:
        """Rule ids that fire for ``fact`` (de-duplicated, in rule order)."""
        payload = strict_fact(fact)
        with self._lock:
            sid = f"s{next(self._sids)}"
            self._hits, self._seen = [], set()
            try:
                state = self._assert({**payload, "sid": sid, REQUEST_KEY: sid})
            finally:
                self._host.delete_state(self.name, sid)
            hits = {rule_id for rid, rule_id in self._hits if rid == sid}
            seen = sid in self._seen
        if isinstance(state, dict) and state.get("exception"):
            raise EngineError(f"a rule action failed: {str(state['exception'])[:200]}")
        if not seen:
            raise EngineError("the engine did not process the fact (sentinel did not fire)")
        return [rule_id for rule_id in self.order if rule_id in hits]

    def _assert(self, fact: dict[str, Any]) -> Any:
        try:
            return self._host.assert_fact(self.name, fact)
        except durable_engine.MessageNotHandledException as exc:
            raise EngineError("no rule handled the fact") from exc
        except Exception as exc:
            raise EngineError(f"durable_rules failed: {exc}") from exc


def strict_fact(fact: dict[str, Any]) -> dict[str, Any]:
    """Check every value's type against the catalogue and make it engine-safe.

    Strings compare as text in the engine ("9" > 200) and 1 == true matches, so a
    value of the wrong type is refused here rather than silently misread.
    """
    category = fact.get("category")
    try:
        fields = catalogue(category)
    except KeyError:
        raise EngineError(f"unknown category {category!r}") from None
    payload: dict[str, Any] = {"category": category}
    for name, value in fact.items():
        if name == "category" or value is None:
            continue
        if name in RESERVED:
            raise EngineError(f"fact field `{name}` is reserved by the engine")
        spec = fields.get(name)
        if spec is None:
            raise EngineError(f"fact field `{name}` is not in the {category} catalogue")
        if not spec.accepts(value) or (spec.kind == "int" and not isinstance(value, int)):
            raise EngineError(f"fact field `{name}` must be {spec.kind}, got {value!r}")
        try:
            payload[name] = engine_value(value)
        except (TypeError, ValueError) as exc:
            raise EngineError(f"fact field `{name}`: {exc}") from exc
    return payload
