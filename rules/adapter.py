"""The durable_rules adapter: the only module that imports the engine.

The engine for one person; its twin for tables is ``rules.vectorized`` (a speed
reason: 270x more persons a second), held equal by tests/rules/test_vectorized.py.

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
  become EngineError, ``raise … from``;
- glibc's malloc is told to keep the engine's per-assert buffer mapped (see
  ``keep_engine_buffers_mapped``): without it every assertion page-faults a
  fresh buffer in, and evaluation ran 5-7x slower depending on heap layout.

>>> engine = DurableEngine.from_ruleset(load_ruleset())   # doctest: +SKIP
>>> engine.evaluate({"category": "child", "lives_alone": True, "age": 10})   # doctest: +SKIP
['child.lives_alone']
"""

import contextlib
import ctypes
import gc
import itertools
import json
import threading
import uuid
from collections.abc import Callable
from functools import cache
from typing import Any

import durable_rules_engine as core
import orjson

from models.fields import catalogue
from rules.compile_durable import REQUEST_KEY, RESERVED, SENTINEL, compile_rules, engine_value
from rules.errors import EngineError

_NOT_HANDLED = 1
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc mallopt parameters
MMAP_THRESHOLD_BYTES = 8 << 20
TRIM_THRESHOLD_BYTES = 64 << 20


def keep_engine_buffers_mapped() -> bool:
    """Tune glibc malloc so durable_rules' large per-assert buffer is reused.

    durable_rules allocates and memsets a buffer of a few hundred KiB on every
    assert. Above glibc's mmap threshold (128 KiB) it is mmap'ed and unmapped on
    free, and in the heap it may be trimmed back to the OS: either way each
    assertion page-faults it in again (perf: memset -> page faults in
    handleMessageCore). Raising both thresholds keeps it mapped. Process-wide,
    glibc only; returns False where mallopt is not available.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    mmap_ok = libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
    trim_ok = libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)
    return bool(mmap_ok and trim_ok)


MALLOC_TUNED = keep_engine_buffers_mapped()


def release_free_memory() -> bool:
    """Give freed heap memory back to the OS now (glibc ``malloc_trim``).

    The thresholds above keep up to 64 MiB of free heap and every block under 8 MiB
    in the heap; after a large column-wise job (a county's review) that is hundreds
    of MiB of freed, fragmented heap. Call it between the big phases of such a job.
    """
    try:
        return bool(ctypes.CDLL("libc.so.6").malloc_trim(0))
    except (OSError, AttributeError):
        return False


# Young objects allowed between two collections while a bulk job runs (Python's default:
# 700). Unit: container objects. Source: benchmarks/review.py (a 200,000-row review spent
# a third of its time in the collector, which walks the whole young heap every 700 new
# dicts and lists: a batch's patterns, problems and rows are many and none is a cycle).
BULK_GC_THRESHOLD = 50_000
_bulk_lock = threading.Lock()
_bulk_depth = 0
_saved_thresholds: tuple[int, ...] = ()


@contextlib.contextmanager
def collecting_less():
    """Collect cyclic garbage less often while a bulk job runs (``BULK_GC_THRESHOLD``);
    the usual thresholds come back when the last such job in the process ends.

    The thresholds are the process's: in the server, requests served while a village's
    review runs see them too (fewer young collections, each of more objects: a few
    milliseconds at most, benchmarks/api.py's p99 is the figure to watch)."""
    global _bulk_depth, _saved_thresholds
    with _bulk_lock:
        if _bulk_depth == 0:
            _saved_thresholds = gc.get_threshold()
            gc.set_threshold(max(BULK_GC_THRESHOLD, _saved_thresholds[0]), *_saved_thresholds[1:])
        _bulk_depth += 1
    try:
        yield
    finally:
        with _bulk_lock:
            _bulk_depth -= 1
            if _bulk_depth == 0:
                gc.set_threshold(*_saved_thresholds)


ANY_CATEGORY = "*"


class DurableEngine:
    """Evaluate one fact at a time; return the ids of the rules that fire, in rule order.

    ``compiled`` is one durable_rules ruleset, or ``{category: ruleset}``: a fact is
    then matched only against its category's rules (half the time for a quiet fact).
    """

    def __init__(self, compiled: dict[str, dict], order: list[str], *, by_category: bool = False):
        self.name = f"liushou_{uuid.uuid4().hex}"
        self.order = order
        parts = compiled if by_category else {ANY_CATEGORY: compiled}
        self.max_actions = max(len(part) for part in parts.values()) + 1
        self._lock = threading.Lock()
        self._sids = itertools.count()
        self._handles = {
            key: self._create(f"{self.name}_{key}", part) for key, part in parts.items()
        }

    @staticmethod
    def _create(name: str, compiled: dict) -> int:
        try:
            return core.create_ruleset(name, json.dumps(compiled, ensure_ascii=False))
        except Exception as exc:
            raise EngineError(f"durable_rules refused the ruleset: {exc}") from exc

    @classmethod
    def from_ruleset(cls, ruleset, values: dict[str, Any] | None = None) -> "DurableEngine":
        """The ruleset compiled with ``values`` (default: ``ruleset.values``) as literals."""
        values = ruleset.values if values is None else values
        categories = sorted({rule.category for rule in ruleset.rules} | {"child", "elder", "woman"})
        compiled = {c: compile_rules(ruleset.for_category(c), values) for c in categories}
        return cls(compiled, [r.id for r in ruleset.rules], by_category=True)

    def handle_for(self, category: str) -> int:
        handle = self._handles.get(category, self._handles.get(ANY_CATEGORY))
        if handle is None:
            raise EngineError(f"no ruleset for category {category!r}")
        return handle

    def evaluate(self, fact: dict[str, Any]) -> list[str]:
        """Rule ids that fire for ``fact`` (de-duplicated, in rule order)."""
        payload = strict_fact(fact)
        handle = self.handle_for(payload["category"])
        with self._lock:
            sid = f"s{next(self._sids)}"
            payload["sid"] = payload[REQUEST_KEY] = sid
            message = orjson.dumps(payload).decode()
            try:
                names = self._run(handle, message)
            finally:
                self._delete(handle, sid)
        if SENTINEL not in names:
            raise EngineError("the engine did not process the fact (sentinel did not fire)")
        hits = set(names)
        return [rule_id for rule_id in self.order if rule_id in hits]

    def _run(self, handle: int, message: str) -> list[str]:
        """Assert the fact, then take every action the engine schedules for its state."""
        try:
            code, state = core.assert_fact(handle, message)
        except Exception as exc:
            raise EngineError(f"durable_rules failed on assert: {exc}") from exc
        if code == _NOT_HANDLED:
            raise EngineError("no rule handled the fact")
        names: list[str] = []
        action = core.start_action_for_state(handle, state)
        while action:
            try:
                names.append(self._record(action[1]))
                if len(names) > self.max_actions:
                    raise EngineError(f"more than {self.max_actions} actions for one fact")
            except Exception as exc:
                core.abandon_action(handle, state)
                raise EngineError(f"a rule action failed: {exc}") from exc
            following = core.complete_and_start_action(handle, state)
            action = (None, following) if following else None
        return names

    def _record(self, message: str) -> str:
        """The rule name of one scheduled action: ``{"<rule id>": {"m": …}}``."""
        return message[2 : message.index('"', 2)]

    def _delete(self, handle: int, sid: str) -> None:
        try:
            core.delete_state(handle, sid)
        except Exception as exc:
            raise EngineError(f"durable_rules failed to delete a session: {exc}") from exc


class DatedEngine:
    """One DurableEngine per parameter period, each compiled when first needed.

    durable_rules holds a condition's threshold as a literal of the compiled ruleset,
    so the values in force on a day (``RuleSet.values_at``) need their own ruleset;
    there are as many as the parameters have effective dates (a handful).

    >>> engine = DatedEngine(load_ruleset())                          # doctest: +SKIP
    >>> engine.evaluate(fact, date(2026, 11, 28))                      # doctest: +SKIP
    """

    def __init__(self, ruleset):
        self.ruleset = ruleset
        self._engines: dict[Any, DurableEngine] = {}
        self._lock = threading.Lock()
        self.at(ruleset.as_of)  # the current period compiles now: rule errors show at start-up

    def at(self, day) -> DurableEngine:
        start = self.ruleset.period_of(day)
        engine = self._engines.get(start)
        if engine is None:
            with self._lock:
                engine = self._engines.get(start)
                if engine is None:
                    values = self.ruleset.values_at(start)
                    engine = self._engines[start] = DurableEngine.from_ruleset(self.ruleset, values)
        return engine

    def evaluate(self, fact: dict[str, Any], day=None) -> list[str]:
        """Rule ids that fire for ``fact`` under the values in force on ``day`` (default as_of)."""
        return self.at(self.ruleset.as_of if day is None else day).evaluate(fact)


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
