"""Compile a rule condition (a subset of JSON Schema) into fast Python closures.

Rules are data. A condition is a JSON Schema that a compliant target satisfies;
each place where the target breaks it is a violation with the exact path of the
offending field (or, for a missing field, the path where it should be). We
compile once per run instead of interpreting the schema per target, and we never
generate or execute source code: every schema keyword maps to a closure below.

The subset is documented in README.md; unknown keywords are rejected so that a
typo in a rule fails loudly instead of silently matching everything.

One deliberate difference from JSON Schema: a field set to null counts as not
set (`properties` skips it, `required` wants a value). That is how Kubernetes
reads manifests, and what the Pod Security Standards mean by "undefined/nil".
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any, Protocol

import re2

from kubeaudit.model import Path, format_path
from kubeaudit.violation import MISSING, Check, Out, Violation, short


class ConditionError(ValueError):
    """A condition that cannot be compiled; path is where in the schema."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(f"{format_path(path) or '(condition)'}: {message}")
        self.schema_path = path


ANNOTATION_KEYWORDS = frozenset({"description", "title", "$comment", "examples", "default", "x-message"})
SUPPORTED_KEYWORDS = frozenset(
    {
        "type", "const", "enum", "not", "allOf", "anyOf", "oneOf", "if", "then", "else",
        "properties", "patternProperties", "additionalProperties", "required", "propertyNames",
        "minProperties", "maxProperties", "items", "contains", "minItems", "maxItems",
        "uniqueItems", "pattern", "minLength", "maxLength", "minimum", "maximum",
        "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "$ref", "$defs",
    }
)  # fmt: skip
_TYPE_WORDS = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}
_JSON_TYPES = frozenset(_TYPE_WORDS)


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def json_equal(a: Any, b: Any) -> bool:
    """Equality as JSON sees it: true is not 1, 1 equals 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def _is_integer(v: Any) -> bool:
    if isinstance(v, int):
        return not isinstance(v, bool)
    return isinstance(v, float) and v.is_integer()


# One test per JSON type, as json_type names them (an integral float is an integer).
_TYPE_TESTS: dict[str, Callable[[Any], bool]] = {
    "null": lambda v: v is None,
    "boolean": lambda v: isinstance(v, bool),
    "integer": _is_integer,
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


class _Compiler:
    def __init__(self, root: Any) -> None:
        self.defs: dict[str, Any] = {}
        if isinstance(root, dict) and isinstance(root.get("$defs"), dict):
            self.defs = root["$defs"]
        self.compiled_defs: dict[str, Check] = {}
        self.compiling: list[str] = []  # definitions being compiled, outermost first

    def compile(self, schema: Any, where: Path) -> Check:
        if schema is True:
            return _accept
        if schema is False:
            return _reject
        if not isinstance(schema, dict):
            raise ConditionError(where, f"a condition must be a mapping or a boolean, not {json_type(schema)}")
        unknown = set(schema) - SUPPORTED_KEYWORDS - ANNOTATION_KEYWORDS
        if unknown:
            raise ConditionError(where, f"unsupported keyword(s): {', '.join(sorted(unknown))}")
        checks: list[Check] = []
        for keyword in schema:
            builder = _BUILDERS.get(keyword)
            if builder is not None:
                check = builder(self, schema, where + (keyword,))
                if check is not None:
                    checks.append(check)
        if "if" in schema:
            checks.append(self._if_then_else(schema, where))
        return _all_of(checks)

    def _if_then_else(self, schema: dict[str, Any], where: Path) -> Check:
        condition = self.compile(schema["if"], where + ("if",))
        then = self.compile(schema.get("then", True), where + ("then",))
        otherwise = self.compile(schema.get("else", True), where + ("else",))

        def check(value: Any, path: Path, out: Out) -> bool:
            if condition(value, path, None):
                return then(value, path, out)
            return otherwise(value, path, out)

        return check

    def ref(self, target: Any, where: Path) -> Check:
        if not isinstance(target, str) or not target.startswith("#/$defs/"):
            raise ConditionError(where, "$ref must point into this condition's $defs: '#/$defs/<name>'")
        name = target[len("#/$defs/") :]
        if name not in self.defs:
            raise ConditionError(where, f"$ref to unknown definition {name!r}")
        if name in self.compiling:
            # A definition that leads back to itself would recurse while evaluating, without end
            # when no keyword between steps into the value, and past the interpreter's stack
            # on deep input otherwise: refused when the rule is loaded.
            cycle = [*self.compiling[self.compiling.index(name) :], name]
            raise ConditionError(where, f"$ref cycle: {' -> '.join(cycle)}; a definition may not refer to itself")
        if name not in self.compiled_defs:
            self.compiling.append(name)
            try:
                self.compiled_defs[name] = self.compile(self.defs[name], ("$defs", name))
            finally:
                self.compiling.pop()
        return self.compiled_defs[name]


def _accept(value: Any, path: Path, out: Out) -> bool:
    return True


def _reject(value: Any, path: Path, out: Out) -> bool:
    if out is not None:
        out.append(Violation(path, value, "is not allowed"))
    return False


def _all_of(checks: list[Check]) -> Check:
    if not checks:
        return _accept
    if len(checks) == 1:
        return checks[0]

    def check(value: Any, path: Path, out: Out) -> bool:
        ok = True
        for sub in checks:
            if not sub(value, path, out):
                ok = False
                if out is None:
                    return False
        return ok

    return check


def _leaf(test: Callable[[Any], bool], reason: str, applies: Callable[[Any], bool] | None = None) -> Check:
    """A keyword that judges the value itself, reporting at the value's path."""

    def check(value: Any, path: Path, out: Out) -> bool:
        if test(value):
            return True
        if out is not None:
            out.append(Violation(path, value, reason))
        return False

    if applies is None:  # most keywords apply to any value: no test of that on every call
        return check

    def guarded(value: Any, path: Path, out: Out) -> bool:
        return not applies(value) or check(value, path, out)

    return guarded


def _need(cond: bool, where: Path, message: str) -> None:
    if not cond:
        raise ConditionError(where, message)


def _list_of(value: Any, where: Path, item_type: type | tuple[type, ...], what: str) -> list[Any]:
    _need(isinstance(value, list) and all(isinstance(v, item_type) for v in value), where, f"must be {what}")
    return list(value)


def _b_type(c: _Compiler, s: dict[str, Any], where: Path) -> Check:
    names = s["type"] if isinstance(s["type"], list) else [s["type"]]
    _need(all(n in _JSON_TYPES for n in names), where, f"unknown type; use {sorted(_JSON_TYPES)}")
    # null means "not set" in Kubernetes, so it is not worth naming when other types are allowed.
    shown = [_TYPE_WORDS[n] for n in names if n != "null" or len(names) == 1]
    reason = f"must be {' or '.join(shown)}"
    if all(n in _PLAIN_TYPES for n in names):  # most: one isinstance, not a test per type
        return _instance_leaf(tuple(_PLAIN_TYPES[n] for n in names), reason)
    tests = [_TYPE_TESTS[n] for n in names]
    test = tests[0] if len(tests) == 1 else _any_test(tests)
    return _leaf(test, reason)


# JSON types that are exactly the values of some Python types (a bool is not an integer for JSON,
# but no test here lets one through as another type: the integer tests are not among these).
_PLAIN_TYPES: dict[str, type] = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}


def _any_test(tests: list[Callable[[Any], bool]]) -> Callable[[Any], bool]:
    def test(value: Any) -> bool:
        for one in tests:  # noqa: SIM110  (a loop: any() over a generator costs more per call)
            if one(value):
                return True
        return False

    return test


def _instance_leaf(kind: type | tuple[type, ...], reason: str) -> Check:
    """_leaf(lambda v: isinstance(v, kind), reason) without a second call per value."""

    def check(value: Any, path: Path, out: Out) -> bool:
        if isinstance(value, kind):
            return True
        if out is not None:
            out.append(Violation(path, value, reason))
        return False

    return check


def _b_const(c: _Compiler, s: dict[str, Any], where: Path) -> Check:
    expected = s["const"]
    reason = str(s.get("x-message", f"must be {short(expected)}"))
    if isinstance(expected, bool) or type(expected) is str:
        # What json_equal says of a boolean (only the same boolean) and of a string (a string,
        # equal), tested in the check itself: these are most consts, met at every target.
        boolean = isinstance(expected, bool)

        def check(value: Any, path: Path, out: Out) -> bool:
            if value is expected if boolean else (type(value) is str and value == expected):
                return True
            if out is not None:
                out.append(Violation(path, value, reason))
            return False

        return check
    return _leaf(lambda v: json_equal(v, expected), reason)


def _b_enum(c: _Compiler, s: dict[str, Any], where: Path) -> Check:
    options = _list_of(s["enum"], where, object, "a list of values")
    hashable = all(isinstance(o, str) for o in options)
    shown = ", ".join(short(o) for o in options[:12]) + (", ..." if len(options) > 12 else "")
    reason = str(s.get("x-message", f"must be one of: {shown}" if options else "no value is allowed"))
    if hashable:
        allowed = frozenset(options)

        def check(value: Any, path: Path, out: Out) -> bool:
            if isinstance(value, str) and value in allowed:
                return True
            if out is not None:
                out.append(Violation(path, value, reason))
            return False

        return check
    return _leaf(lambda v: any(json_equal(v, o) for o in options), reason)


def _b_not(c: _Compiler, s: dict[str, Any], where: Path) -> Check:
    inner = c.compile(s["not"], where)
    reason = str(s.get("x-message", "is not allowed"))

    def check(value: Any, path: Path, out: Out) -> bool:
        if not inner(value, (), None):
            return True
        if out is not None:
            out.append(Violation(path, value, reason))
        return False

    return check


def _b_all_of(c: _Compiler, s: dict[str, Any], where: Path) -> Check:
    subs = _list_of(s["allOf"], where, (dict, bool), "a list of conditions")
    return _all_of([c.compile(sub, where + (i,)) for i, sub in enumerate(subs)])


def _b_any_of(c: _Compiler, s: dict[str, Any], where: Path) -> Check:
    subs = [c.compile(sub, where + (i,)) for i, sub in enumerate(_list_of(s["anyOf"], where, (dict, bool), "a list"))]
    reason = str(s.get("x-message", "does not match any of the allowed forms"))
    return _leaf(lambda v: any(sub(v, (), None) for sub in subs), reason)


def _b_one_of(c: _Compiler, s: dict[str, Any], where: Path) -> Check:
    subs = [c.compile(sub, where + (i,)) for i, sub in enumerate(_list_of(s["oneOf"], where, (dict, bool), "a list"))]
    return _leaf(lambda v: sum(1 for sub in subs if sub(v, (), None)) == 1, "must match exactly one allowed form")


def _b_properties(c: _Compiler, s: dict[str, Any], where: Path) -> Check:
    props = s["properties"]
    _need(isinstance(props, dict), where, "must be a mapping of field name to condition")
    if len(props) == 1:  # most are: often a chain of them down to one field (container.securityContext.x)
        name, sub = next(iter(props.items()))
        rest, leaf = _single_property_chain(sub)
        leaf_where = where + (name,) + tuple(part for below in rest for part in ("properties", below))
        return _property_chain((name, *rest), c.compile(leaf, leaf_where))
    compiled = [(name, c.compile(sub, where + (name,))) for name, sub in props.items()]

    def check(value: Any, path: Path, out: Out) -> bool:
        if not isinstance(value, dict):
            return True
        if out is None:  # only whether it holds: paths are for violations, none is collected
            for name, sub in compiled:
                item = value.get(name)
                if item is not None and not sub(item, path, None):
                    return False
            return True
        ok = True
        for name, sub in compiled:
            item = value.get(name)
            if item is not None and not sub(item, (*path, name), out):
                ok = False
                if out is None:
                    return False
        return ok

    return check


def _single_property_chain(schema: Any) -> tuple[tuple[str, ...], Any]:
    """The field names of a chain of conditions that are each nothing but `properties` of one
    field ({properties: {b: {properties: {c: X}}}}: (b, c)), and the condition at its end (X)."""
    names: list[str] = []
    while (
        isinstance(schema, dict)
        and set(schema) - ANNOTATION_KEYWORDS == {"properties"}
        and isinstance(schema["properties"], dict)
        and len(schema["properties"]) == 1
    ):
        name, schema = next(iter(schema["properties"].items()))
        names.append(name)
    return tuple(names), schema


def _property_chain(names: tuple[str, ...], sub: Check) -> Check:
    """`properties` nested one field per level down `names`, then `sub`: one closure instead of
    one per level (a condition is called about 170,000 times in a scan of 10,000 resources). A
    level that is not a mapping, or a field unset or null, holds, as `properties` does there."""
    if len(names) == 1:
        (name,) = names

        def one(value: Any, path: Path, out: Out) -> bool:
            if not isinstance(value, dict):
                return True
            item = value.get(name)
            if item is None:
                return True
            return sub(item, path, None) if out is None else sub(item, (*path, name), out)

        return one

    def check(value: Any, path: Path, out: Out) -> bool:
        node = value
        for name in names:
            if not isinstance(node, dict):
                return True
            node = node.get(name)
            if node is None:
                return True
        return sub(node, path, None) if out is None else sub(node, (*path, *names), out)

    return check


def _b_pattern_properties(c: _Compiler, s: dict[str, Any], where: Path) -> Check:
    props = s["patternProperties"]
    _need(isinstance(props, dict), where, "must be a mapping of regular expression to condition")
    compiled = [(_regex(p, where + (p,)), c.compile(sub, where + (p,))) for p, sub in props.items()]

    def check(value: Any, path: Path, out: Out) -> bool:
        if not isinstance(value, dict):
            return True
        ok = True
        for key, item in value.items():
            for regex, sub in compiled:
                if item is None or not isinstance(key, str) or not regex.search(key):
                    continue
                if not sub(item, (*path, key), out):
                    ok = False
                    if out is None:
                        return False
        return ok

    return check


def _b_additional_properties(c: _Compiler, s: dict[str, Any], where: Path) -> Check:
    known = set(s.get("properties", {}) or {})
    patterns = [_regex(p, where) for p in (s.get("patternProperties") or {})]
    sub = c.compile(s["additionalProperties"], where)

    def check(value: Any, path: Path, out: Out) -> bool:
        if not isinstance(value, dict):
            return True
        ok = True
        for key, item in value.items():
            if item is None or key in known or (isinstance(key, str) and any(p.search(key) for p in patterns)):
                continue
            if not sub(item, (*path, key), out):
                ok = False
                if out is None:
                    return False
        return ok

    return check


def _b_required(c: _Compiler, s: dict[str, Any], where: Path) -> Check:
    names = _list_of(s["required"], where, str, "a list of field names")

    def check(value: Any, path: Path, out: Out) -> bool:
        if not isinstance(value, dict):
            return True
        ok = True
        for name in names:
            if value.get(name) is None:
                ok = False
                if out is None:
                    return False
                out.append(Violation((*path, name), MISSING, f"{name} must be set"))
        return ok

    return check


def _b_property_names(c: _Compiler, s: dict[str, Any], where: Path) -> Check:
    sub = c.compile(s["propertyNames"], where)

    def check(value: Any, path: Path, out: Out) -> bool:
        if not isinstance(value, dict):
            return True
        ok = True
        for key in value:
            if not sub(key, (), None):
                ok = False
                if out is None:
                    return False
                out.append(Violation((*path, key), key, f"field name {short(key)} is not allowed"))
        return ok

    return check


def _b_items(c: _Compiler, s: dict[str, Any], where: Path) -> Check:
    sub = c.compile(s["items"], where)

    def check(value: Any, path: Path, out: Out) -> bool:
        if not isinstance(value, list):
            return True
        if out is None:  # only whether it holds: paths are for violations, none is collected
            for item in value:  # noqa: SIM110  (a loop: all() over a generator costs a third more here)
                if not sub(item, path, None):
                    return False
            return True
        ok = True
        for index, item in enumerate(value):
            if not sub(item, (*path, index), out):
                ok = False
                if out is None:
                    return False
        return ok

    return check


def _b_contains(c: _Compiler, s: dict[str, Any], where: Path) -> Check:
    sub = c.compile(s["contains"], where)
    reason = str(s.get("x-message", "must contain a matching item"))
    return _leaf(lambda v: any(sub(item, (), None) for item in v), reason, applies=lambda v: isinstance(v, list))


def _number(s: dict[str, Any], key: str, where: Path) -> float:
    value = s[key]
    _need(isinstance(value, (int, float)) and not isinstance(value, bool), where, "must be a number")
    try:
        number = float(value)
    except OverflowError:  # an integer beyond float range: no Kubernetes field is compared with one
        number = math.inf
    _need(math.isfinite(number), where, "must be a finite number (not .inf, .nan or a number that large)")
    return number


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _sized(key: str, kind: Callable[[Any], bool], size: Callable[[Any], int], minimum: bool, what: str) -> Any:
    def builder(c: _Compiler, s: dict[str, Any], where: Path) -> Check:
        limit = _number(s, key, where)
        if minimum:
            return _leaf(lambda v: size(v) >= limit, f"must have at least {int(limit)} {what}", kind)
        return _leaf(lambda v: size(v) <= limit, f"must have at most {int(limit)} {what}", kind)

    return builder


def _bound(key: str, op: Callable[[float, float], bool], words: str) -> Any:
    def builder(c: _Compiler, s: dict[str, Any], where: Path) -> Check:
        limit = _number(s, key, where)
        shown = int(limit) if limit.is_integer() else limit
        return _leaf(lambda v: op(v, limit), f"must be {words} {shown}", _is_num)

    return builder


def _b_multiple_of(c: _Compiler, s: dict[str, Any], where: Path) -> Check:
    step = _number(s, "multipleOf", where)
    _need(step > 0, where, "must be greater than 0")
    exact_step = Fraction(repr(step))  # the step as written in decimal: 0.1 is one tenth

    def multiple(v: int | float) -> bool:
        if isinstance(v, int):  # exact, however large: v / step could overflow a float
            return (Fraction(v) / exact_step).denominator == 1
        if not math.isfinite(v):
            return False  # .inf and .nan are nobody's multiple
        quotient = v / step
        return math.isfinite(quotient) and math.isclose(quotient, round(quotient))

    return _leaf(multiple, f"must be a multiple of {step:g}", _is_num)


def _b_unique_items(c: _Compiler, s: dict[str, Any], where: Path) -> Check | None:
    if not s["uniqueItems"]:
        return None

    def unique(v: list[Any]) -> bool:
        # One pass with a set of canonical forms, not a comparison of every pair: 30,000 items
        # would take 450 million comparisons.
        seen: set[Any] = set()
        for item in v:
            key = _canonical(item)
            if key in seen:
                return False
            seen.add(key)
        return True

    return _leaf(unique, "must not repeat items", lambda v: isinstance(v, list))


class Regex(Protocol):
    def search(self, text: str) -> object | None: ...


def _canonical(value: Any) -> Any:
    """A hashable form that is equal exactly when json_equal says so: true is not 1, 1 is 1.0."""
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, (int, float)):
        return ("n", value)  # Python already hashes 1 and 1.0 alike and finds them equal
    if isinstance(value, list):
        return ("a", tuple(_canonical(item) for item in value))
    if isinstance(value, dict):
        return ("o", frozenset((k, _canonical(v)) for k, v in value.items()))
    return (type(value).__name__, value)


def _regex(pattern: Any, where: Path) -> Regex:
    """A rule's (or a parameter's) pattern, compiled with RE2: its matching time grows linearly with
    the text, whatever the pattern, so no pattern (`(a+)+$`) can hang a scan. RE2 has no
    backreferences and no lookaround; a pattern that uses them is refused here, at load time."""
    _need(isinstance(pattern, str), where, "a pattern must be a string")
    try:
        return re2.compile(pattern, options=_RE2_OPTIONS)
    except re2.error as exc:
        reason = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise ConditionError(where, f"invalid regular expression (RE2 syntax, see README): {reason}") from exc


_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # errors are raised to us; RE2 would also print them to stderr


def _b_pattern(c: _Compiler, s: dict[str, Any], where: Path) -> Check:
    regex = _regex(s["pattern"], where)
    reason = str(s.get("x-message", f"must match {s['pattern']}"))
    return _leaf(lambda v: regex.search(v) is not None, reason, lambda v: isinstance(v, str))


def _b_ref(c: _Compiler, s: dict[str, Any], where: Path) -> Check:
    return c.ref(s["$ref"], where)


def _b_defs(c: _Compiler, s: dict[str, Any], where: Path) -> None:
    _need(isinstance(s["$defs"], dict), where, "must be a mapping of name to condition")
    return None


def _str_len(v: Any) -> int:
    return len(v)


_BUILDERS: dict[str, Callable[[_Compiler, dict[str, Any], Path], Check | None]] = {
    "type": _b_type,
    "const": _b_const,
    "enum": _b_enum,
    "not": _b_not,
    "allOf": _b_all_of,
    "anyOf": _b_any_of,
    "oneOf": _b_one_of,
    "properties": _b_properties,
    "patternProperties": _b_pattern_properties,
    "additionalProperties": _b_additional_properties,
    "required": _b_required,
    "propertyNames": _b_property_names,
    "items": _b_items,
    "contains": _b_contains,
    "minItems": _sized("minItems", lambda v: isinstance(v, list), _str_len, True, "items"),
    "maxItems": _sized("maxItems", lambda v: isinstance(v, list), _str_len, False, "items"),
    "minProperties": _sized("minProperties", lambda v: isinstance(v, dict), _str_len, True, "fields"),
    "maxProperties": _sized("maxProperties", lambda v: isinstance(v, dict), _str_len, False, "fields"),
    "minLength": _sized("minLength", lambda v: isinstance(v, str), _str_len, True, "characters"),
    "maxLength": _sized("maxLength", lambda v: isinstance(v, str), _str_len, False, "characters"),
    "minimum": _bound("minimum", lambda v, n: v >= n, "at least"),
    "maximum": _bound("maximum", lambda v, n: v <= n, "at most"),
    "exclusiveMinimum": _bound("exclusiveMinimum", lambda v, n: v > n, "greater than"),
    "exclusiveMaximum": _bound("exclusiveMaximum", lambda v, n: v < n, "less than"),
    "multipleOf": _b_multiple_of,
    "uniqueItems": _b_unique_items,
    "pattern": _b_pattern,
    "$ref": _b_ref,
    "$defs": _b_defs,
}


def compile_condition(schema: Any) -> Check:
    """Compile a condition; raises ConditionError naming the schema path at fault."""
    return _Compiler(schema).compile(schema, ())


def violations(check: Check, document: Any) -> list[Violation]:
    out: list[Violation] = []
    check(document, (), out)
    return out


def substitute_params(schema: Any, params: dict[str, Any], where: Path = ()) -> Any:
    """Replace every {"$param": name} with the parameter's value."""
    if isinstance(schema, dict):
        if "$param" in schema:
            name = schema["$param"]
            if len(schema) != 1 or not isinstance(name, str):
                raise ConditionError(where, "a parameter reference is exactly {$param: <name>}")
            if name not in params:
                raise ConditionError(where, f"unknown parameter {name!r}")
            return params[name]
        return {k: substitute_params(v, params, (*where, k)) for k, v in schema.items()}
    if isinstance(schema, list):
        return [substitute_params(v, params, (*where, i)) for i, v in enumerate(schema)]
    return schema
