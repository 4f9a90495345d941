"""The condition language: a small engine-neutral tree over a person's facts.

In YAML a condition is one of::

    {field: age, lt: {param: child.age_limit}}    # eq ne lt le gt ge
    {field: father_status, in: [migrant, missing]}
    {field: guardian_type, known: false}           # known: true | false
    {all: [cond, ...]}   {any: [cond, ...]}

A comparison on an unknown (missing) value is false: a rule never fires on
what we do not know. Numbers must be parameters (``{param: name}``), so every
threshold has a unit and a source. The tree compiles to durable_rules JSON
(rules.compile_durable) and evaluates here in plain Python (``holds``).

>>> node = parse({"field": "lives_alone", "eq": True}, Context("f", "r", {}, {}))
>>> holds(node, {"lives_alone": True}, {}), holds(node, {}, {})
(True, False)
"""

import operator
from dataclasses import dataclass
from typing import Any

from models.fields import FieldSpec
from rules.errors import RuleFileError, did_you_mean

COMPARISONS = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}
OPERATORS = frozenset(COMPARISONS) | {"in", "known"}


@dataclass(frozen=True)
class Param:
    name: str


@dataclass(frozen=True)
class Compare:
    field: str
    op: str
    value: Any  # a constant or a Param


@dataclass(frozen=True)
class OneOf:
    field: str
    values: tuple


@dataclass(frozen=True)
class Known:
    field: str
    known: bool


@dataclass(frozen=True)
class AllOf:
    items: tuple["Condition", ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple["Condition", ...]


Condition = Compare | OneOf | Known | AllOf | AnyOf


@dataclass(frozen=True)
class Context:
    """Where a condition sits, and what it may name."""

    file: str
    where: str
    fields: dict[str, FieldSpec]
    params: dict[str, Any]

    def fail(self, message: str, key: str = "") -> RuleFileError:
        return RuleFileError(self.file, f"{self.where}{key}", message)


def parse(raw: Any, ctx: Context) -> Condition:
    """Turn the YAML form into a checked tree; errors name the file and the key."""
    if not isinstance(raw, dict):
        raise ctx.fail(f"a condition must be a mapping, got {raw!r}")
    if "all" in raw or "any" in raw:
        return _group(raw, ctx)
    if "field" not in raw:
        raise ctx.fail("a condition needs `field` with one operator, or `all`/`any`")
    ops = [k for k in raw if k != "field"]
    if len(ops) != 1:
        raise ctx.fail(f"a condition takes exactly one operator, got {ops}")
    op = ops[0]
    if op not in OPERATORS:
        raise ctx.fail(f"unknown operator `{op}`.{did_you_mean(str(op), OPERATORS)}", f".{op}")
    spec = _field(raw["field"], ctx)
    if op == "known":
        if not isinstance(raw[op], bool):
            raise ctx.fail("`known` takes true or false", ".known")
        return Known(spec.name, raw[op])
    if op == "in":
        return _one_of(spec, raw[op], ctx)
    return Compare(spec.name, op, _operand(spec, op, raw[op], ctx))


def _group(raw: dict, ctx: Context) -> Condition:
    if len(raw) != 1:
        raise ctx.fail(f"`all`/`any` stands alone in its mapping, got {sorted(raw)}")
    ((kind, items),) = raw.items()
    if not isinstance(items, list) or not items:
        raise ctx.fail(f"`{kind}` takes a non-empty list of conditions", f".{kind}")
    parsed = tuple(
        parse(item, Context(ctx.file, f"{ctx.where}.{kind}[{i}]", ctx.fields, ctx.params))
        for i, item in enumerate(items)
    )
    return AllOf(parsed) if kind == "all" else AnyOf(parsed)


def _field(name: Any, ctx: Context) -> FieldSpec:
    if name not in ctx.fields:
        raise ctx.fail(f"unknown field `{name}`.{did_you_mean(str(name), ctx.fields)}", ".field")
    return ctx.fields[name]


def _operand(spec: FieldSpec, op: str, value: Any, ctx: Context) -> Any:
    if isinstance(value, dict):
        if set(value) != {"param"}:
            raise ctx.fail("a reference is written {param: name}", f".{op}")
        name = value["param"]
        if name not in ctx.params:
            raise ctx.fail(
                f"unknown parameter `{name}`.{did_you_mean(str(name), ctx.params)}", f".{op}"
            )
        if spec.kind not in ("int", "number"):
            raise ctx.fail(f"field `{spec.name}` is {spec.kind}; a parameter is a number", f".{op}")
        return Param(name)
    if spec.kind in ("int", "number") and not isinstance(value, bool):
        raise ctx.fail(
            f"numbers must be named parameters: write {{param: …}} instead of {value!r}", f".{op}"
        )
    if op not in ("eq", "ne"):
        raise ctx.fail(f"`{op}` compares numbers; field `{spec.name}` is {spec.kind}", f".{op}")
    if not spec.accepts(value):
        raise ctx.fail(
            f"{value!r} is not a valid value of `{spec.name}` ({_allowed(spec)})", f".{op}"
        )
    return value


def _one_of(spec: FieldSpec, values: Any, ctx: Context) -> OneOf:
    if not isinstance(values, list) or not values:
        raise ctx.fail("`in` takes a non-empty list", ".in")
    for value in values:
        if spec.kind in ("int", "number") or not spec.accepts(value):
            raise ctx.fail(
                f"{value!r} is not a valid value of `{spec.name}` ({_allowed(spec)})", ".in"
            )
    return OneOf(spec.name, tuple(values))


def _allowed(spec: FieldSpec) -> str:
    return "one of " + ", ".join(spec.values) if spec.kind == "enum" else spec.kind


def resolve(value: Any, params: dict[str, Any]) -> Any:
    """A constant, or the value of the named parameter in ``params``."""
    return params[value.name] if isinstance(value, Param) else value


def holds(node: Condition, fact: dict[str, Any], params: dict[str, Any]) -> bool:
    """Evaluate in Python; unknown values make comparisons false."""
    if isinstance(node, AllOf):
        return all(holds(item, fact, params) for item in node.items)
    if isinstance(node, AnyOf):
        return any(holds(item, fact, params) for item in node.items)
    if isinstance(node, Known):
        return (fact.get(node.field) is not None) == node.known
    value = fact.get(node.field)
    if value is None:
        return False
    if isinstance(node, OneOf):
        return value in node.values
    return COMPARISONS[node.op](value, resolve(node.value, params))


def fields_of(node: Condition) -> set[str]:
    """Every field a condition reads."""
    if isinstance(node, AllOf | AnyOf):
        return set().union(*(fields_of(item) for item in node.items))
    return {node.field}


def params_of(node: Condition) -> set[str]:
    """Every parameter a condition names."""
    if isinstance(node, AllOf | AnyOf):
        return set().union(*(params_of(item) for item in node.items))
    value = getattr(node, "value", None)
    return {value.name} if isinstance(value, Param) else set()


def to_data(node: Condition) -> Any:
    """Back to the YAML form (for /v1/rules)."""
    if isinstance(node, AllOf | AnyOf):
        return {"all" if isinstance(node, AllOf) else "any": [to_data(i) for i in node.items]}
    if isinstance(node, Known):
        return {"field": node.field, "known": node.known}
    if isinstance(node, OneOf):
        return {"field": node.field, "in": list(node.values)}
    value = {"param": node.value.name} if isinstance(node.value, Param) else node.value
    return {"field": node.field, node.op: value}
