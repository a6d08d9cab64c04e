"""The rule condition language: a JSON Schema subset compiled to closures."""

from __future__ import annotations

from typing import Any

import pytest

from kubeaudit.condition import (
    MISSING,
    ConditionError,
    compile_condition,
    substitute_params,
    violations,
)


def check(schema: dict[str, Any], doc: Any) -> list[tuple[tuple[Any, ...], Any]]:
    return [(v.path, v.value) for v in violations(compile_condition(schema), doc)]


def test_violation_points_at_the_offending_field() -> None:
    schema = {"properties": {"spec": {"properties": {"hostPID": {"not": {"const": True}}}}}}
    assert check(schema, {"spec": {"hostPID": True}}) == [(("spec", "hostPID"), True)]
    assert check(schema, {"spec": {"hostPID": False}}) == []


def test_missing_required_field_points_at_where_it_should_be() -> None:
    schema = {"properties": {"sc": {"required": ["runAsNonRoot"]}}, "required": ["sc"]}
    assert check(schema, {}) == [(("sc",), MISSING)]
    assert check(schema, {"sc": {}}) == [(("sc", "runAsNonRoot"), MISSING)]


def test_null_counts_as_not_set() -> None:
    schema = {"properties": {"a": {"const": 1}}, "required": ["b"]}
    assert check(schema, {"a": None, "b": 2}) == []
    assert check(schema, {"b": None}) == [(("b",), MISSING)]


def test_every_offending_item_is_reported_with_its_index() -> None:
    schema = {"properties": {"caps": {"items": {"enum": ["CHOWN", "KILL"]}}}}
    assert check(schema, {"caps": ["KILL", "SYS_ADMIN", "CHOWN", "NET_RAW"]}) == [
        (("caps", 1), "SYS_ADMIN"),
        (("caps", 3), "NET_RAW"),
    ]


def test_json_equality_does_not_confuse_true_and_one() -> None:
    assert check({"const": True}, 1) != []
    assert check({"enum": [1]}, True) != []
    assert check({"const": 1}, 1.0) == []


def test_if_then_else_and_contains() -> None:
    schema = {
        "if": {"properties": {"name": {"pattern": "(?i)password"}}, "required": ["name"]},
        "then": {"properties": {"value": {"maxLength": 0}}},
    }
    assert check(schema, {"name": "DB_PASSWORD", "value": "hunter2"}) == [(("value",), "hunter2")]
    assert check(schema, {"name": "LOG_LEVEL", "value": "debug"}) == []
    drops = {"contains": {"const": "ALL"}}
    assert check(drops, ["NET_RAW"]) == [((), ["NET_RAW"])]
    assert check(drops, ["ALL"]) == []


def test_additional_and_pattern_properties_point_at_the_key() -> None:
    schema = {"properties": {"name": True, "emptyDir": True}, "additionalProperties": False}
    assert check(schema, {"name": "v", "hostPath": {"path": "/"}}) == [(("hostPath",), {"path": "/"})]
    annotations = {"patternProperties": {"^apparmor/": {"enum": ["runtime/default"]}}}
    assert check(annotations, {"apparmor/app": "unconfined", "other": "x"}) == [
        (("apparmor/app",), "unconfined")
    ]


def test_local_refs_and_params() -> None:
    schema = substitute_params(
        {"$defs": {"port": {"enum": {"$param": "allowed"}}}, "items": {"$ref": "#/$defs/port"}},
        {"allowed": [80, 443]},
    )
    assert check(schema, [80, 8080]) == [((1,), 8080)]


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ({"propertys": {}}, "unsupported keyword(s): propertys"),
        ({"type": "str"}, "unknown type"),
        ({"pattern": "("}, "invalid regular expression"),
        ({"$ref": "#/$defs/nope"}, "unknown definition"),
        ({"properties": {"a": {"exec": "rm -rf /"}}}, "properties.a: unsupported keyword(s): exec"),
    ],
)
def test_broken_conditions_are_rejected_with_their_location(schema: dict[str, Any], message: str) -> None:
    with pytest.raises(ConditionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        compile_condition(schema)


def test_unknown_param_is_an_error() -> None:
    with pytest.raises(ConditionError, match="unknown parameter 'nope'"):
        substitute_params({"enum": {"$param": "nope"}}, {})
