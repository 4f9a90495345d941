"""Compile condition trees to durable_rules' JSON ruleset form.

Pure data in, pure data out: no engine import here (rules.adapter registers it).
Every rule is guarded by ``$ex rid`` and its category, which only request facts
satisfy (the session state the engine re-asserts after each action never does),
and the ruleset ends with a lowest-priority sentinel that matches every request.

>>> from rules.conditions import Compare
>>> condition(Compare("age", "lt", 16), {})
{'$lt': {'age': 16}}
"""

import json
from typing import Any

from rules.conditions import AllOf, AnyOf, Condition, Known, OneOf, resolve

REQUEST_KEY = "rid"
RESERVED = frozenset({"sid", "id", REQUEST_KEY})
SENTINEL = "__sentinel__"
RULE_PRIORITY = 1
SENTINEL_PRIORITY = 65535  # "pri" is an unsigned short; larger runs later
_DURABLE_OPS = {"lt": "$lt", "le": "$lte", "gt": "$gt", "ge": "$gte"}


def engine_value(value: Any) -> bool | int | float | str:
    """A value the C core reads as we mean it: real booleans, no exponent floats.

    >>> engine_value(4000.0), engine_value(1234.567)
    (4000, 1234.57)
    """
    if isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return int(value)
        rounded = round(value, 2)
        text = json.dumps(rounded)
        if "e" in text or "E" in text or "inf" in text.lower() or "nan" in text.lower():
            raise ValueError(f"number {value!r} cannot be passed to the engine ({text})")
        return int(rounded) if rounded.is_integer() else rounded
    raise TypeError(f"value {value!r} of type {type(value).__name__} cannot be a fact")


def _exists(field: str) -> dict:
    return {"$ex": {field: 1}}


def condition(node: Condition, params: dict[str, Any]) -> dict:
    """One condition tree as a durable_rules expression."""
    if isinstance(node, AllOf | AnyOf):
        key = "$and" if isinstance(node, AllOf) else "$or"
        return {key: [condition(item, params) for item in node.items]}
    if isinstance(node, Known):
        return _exists(node.field) if node.known else {"$nex": {node.field: 1}}
    if isinstance(node, OneOf):
        branches = [{node.field: engine_value(v)} for v in node.values]
        return branches[0] if len(branches) == 1 else {"$or": branches}
    value = engine_value(resolve(node.value, params))
    if node.op == "eq":
        return {node.field: value}
    if node.op == "ne":  # unknown never satisfies "not equal" either
        return {"$and": [_exists(node.field), {"$neq": {node.field: value}}]}
    return {_DURABLE_OPS[node.op]: {node.field: value}}


def rule_expression(category: str, node: Condition, params: dict[str, Any]) -> dict:
    """The guarded match for one rule: a request fact, of this category, meeting ``node``."""
    return {"$and": [_exists(REQUEST_KEY), {"category": category}, condition(node, params)]}


def compile_rules(rules: list, params: dict[str, Any]) -> dict[str, dict]:
    """``{rule id: {"all": [{"m": …}], "pri": …}}`` plus the sentinel; no actions yet."""
    compiled = {
        rule.id: {
            "all": [{"m": rule_expression(rule.category, rule.when, params)}],
            "pri": RULE_PRIORITY,
        }
        for rule in rules
    }
    compiled[SENTINEL] = {"all": [{"m": _exists(REQUEST_KEY)}], "pri": SENTINEL_PRIORITY}
    return compiled
