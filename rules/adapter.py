"""The durable_rules adapter: the only module that imports the engine.

It drives durable_rules' C core (``durable_rules_engine``, compiled by the
durable-rules package) directly: the package's Python ``Host`` adds ~100 µs of
per-action glue (closures, state re-serialisation) and a background thread, and
we need neither. It guards every pitfall measured in
shared/docs/durable-rules-notes.md:

- no background dispatch thread: no ``Host`` is created at all;
- one lock per engine around assert + actions + delete (the C core is not
  thread-safe and never releases the GIL);
- a fresh session id per evaluation, its state deleted in ``finally``
  (at most 1,024 live sessions per ruleset);
- every rule guarded by ``$ex rid`` and the category (rules.compile_durable),
  so the session state, which the engine also matches, never fires a rule;
  the number of actions per fact is bounded besides;
- a lowest-priority sentinel, so no fact goes unhandled (a no-match fact
  leaves state whose deletion crashed the process);
- ``$or`` branches fire a rule once each: hits are de-duplicated;
- a failure while handling an action is raised as EngineError, never
  swallowed, and the action is abandoned;
- values strictly typed against the field catalogue before assert;
- the ruleset is serialised, never handed over to be mutated, and each engine
  is registered under a new name (a name lives for the whole process);
- the engine's own errors (e.g. "error code: 202" for an unknown operator)
  become EngineError, ``raise … from``.

>>> engine = DurableEngine.from_ruleset(load_ruleset())   # doctest: +SKIP
>>> engine.evaluate({"category": "child", "lives_alone": True, "age": 10})   # doctest: +SKIP
['child.lives_alone']
"""

import itertools
import json
import threading
import uuid
from collections.abc import Callable
from functools import cache
from typing import Any

import durable_rules_engine as core
from pydantic_core import to_json

from models.fields import catalogue
from rules.compile_durable import REQUEST_KEY, RESERVED, SENTINEL, compile_rules, engine_value
from rules.errors import EngineError

_NOT_HANDLED = 1


class DurableEngine:
    """Evaluate one fact at a time; return the ids of the rules that fire, in rule order."""

    def __init__(self, compiled: dict[str, dict], order: list[str]):
        self.name = f"liushou_{uuid.uuid4().hex}"
        self.order = order
        self.max_actions = len(compiled) + 1
        self._lock = threading.Lock()
        self._sids = itertools.count()
        try:
            self._handle = core.create_ruleset(self.name, json.dumps(compiled, ensure_ascii=False))
        except Exception as exc:
            raise EngineError(f"durable_rules refused the ruleset: {exc}") from exc

    @classmethod
    def from_ruleset(cls, ruleset) -> "DurableEngine":
        return cls(compile_rules(ruleset.rules, ruleset.values), [r.id for r in ruleset.rules])

    def evaluate(self, fact: dict[str, Any]) -> list[str]:
        """Rule ids that fire for ``fact`` (de-duplicated, in rule order)."""
        payload = strict_fact(fact)
        with self._lock:
            sid = f"s{next(self._sids)}"
            payload["sid"] = payload[REQUEST_KEY] = sid
            message = to_json(payload).decode()
            try:
                names = self._run(message)
            finally:
                self._delete(sid)
        if SENTINEL not in names:
            raise EngineError("the engine did not process the fact (sentinel did not fire)")
        hits = set(names)
        return [rule_id for rule_id in self.order if rule_id in hits]

    def _run(self, message: str) -> list[str]:
        """Assert the fact, then take every action the engine schedules for its state."""
        try:
            code, state = core.assert_fact(self._handle, message)
        except Exception as exc:
            raise EngineError(f"durable_rules failed on assert: {exc}") from exc
        if code == _NOT_HANDLED:
            raise EngineError("no rule handled the fact")
        names: list[str] = []
        action = core.start_action_for_state(self._handle, state)
        while action:
            try:
                names.append(self._record(action[1]))
                if len(names) > self.max_actions:
                    raise EngineError(f"more than {self.max_actions} actions for one fact")
            except Exception as exc:
                core.abandon_action(self._handle, state)
                raise EngineError(f"a rule action failed: {exc}") from exc
            following = core.complete_and_start_action(self._handle, state)
            action = (None, following) if following else None
        return names

    def _record(self, message: str) -> str:
        """The rule name of one scheduled action: ``{"<rule id>": {"m": …}}``."""
        return message[2 : message.index('"', 2)]

    def _delete(self, sid: str) -> None:
        try:
            core.delete_state(self._handle, sid)
        except Exception as exc:
            raise EngineError(f"durable_rules failed to delete a session: {exc}") from exc


def strict_fact(fact: dict[str, Any]) -> dict[str, Any]:
    """Check every value's type against the catalogue and make it engine-safe.

    Strings compare as text in the engine ("9" > 200) and 1 == true matches, so a
    value of the wrong type is refused here rather than silently misread.
    """
    category = fact.get("category")
    checks = _checks(category)
    payload: dict[str, Any] = {"category": category}
    for name, value in fact.items():
        if name == "category" or value is None:
            continue
        check = checks.get(name)
        if check is None:
            where = (
                "reserved by the engine" if name in RESERVED else f"not in the {category} catalogue"
            )
            raise EngineError(f"fact field `{name}` is {where}")
        payload[name] = check(name, value)
    return payload


@cache
def _checks(category: Any) -> dict[str, Callable[[str, Any], Any]]:
    """One checker per field of the category: returns the engine value or raises."""
    try:
        fields = catalogue(category)
    except (KeyError, TypeError):
        raise EngineError(f"unknown category {category!r}") from None
    return {name: _checker(spec) for name, spec in fields.items() if name not in RESERVED}


def _checker(spec) -> Callable[[str, Any], Any]:
    exact = {"bool": (bool,), "int": (int,), "number": (int, float), "str": (str,), "enum": (str,)}
    types = exact[spec.kind]
    allowed = frozenset(spec.values)

    def check(name: str, value: Any) -> Any:
        if type(value) not in types or (allowed and value not in allowed):
            raise EngineError(f"fact field `{name}` must be {spec.kind}, got {value!r}")
        if type(value) is float:
            try:
                return engine_value(value)
            except ValueError as exc:
                raise EngineError(f"fact field `{name}`: {exc}") from exc
        return value

    return check
