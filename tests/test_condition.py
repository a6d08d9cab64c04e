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


def test_a_chain_of_single_fields_reports_the_whole_path_and_skips_what_is_not_there() -> None:
    # One field per level down to the judged one: the shape most rule conditions have.
    schema = {"properties": {"spec": {"properties": {"sc": {"properties": {"privileged": {"const": False}}}}}}}
    assert check(schema, {"spec": {"sc": {"privileged": True}}}) == [(("spec", "sc", "privileged"), True)]
    # A level unset, null or not a mapping holds, as `properties` does at each level.
    for doc in ({}, {"spec": None}, {"spec": {"sc": None}}, {"spec": "text"}, {"spec": {"sc": []}}, []):
        assert check(schema, doc) == []
    assert compile_condition(schema)({"spec": {"sc": {"privileged": True}}}, (), None) is False


def test_a_chain_ending_in_several_keywords_reports_each_at_the_full_path() -> None:
    schema = {"properties": {"a": {"properties": {"b": {"required": ["c"], "properties": {"d": {"type": "string"}}}}}}}
    assert check(schema, {"a": {"b": {"d": 1}}}) == [(("a", "b", "c"), MISSING), (("a", "b", "d"), 1)]


def test_a_broken_condition_deep_in_a_chain_is_rejected_at_its_location() -> None:
    schema = {"properties": {"a": {"properties": {"b": {"properties": {"c": {"tyep": "string"}}}}}}}
    with pytest.raises(ConditionError, match=r"^properties\.a\.properties\.b\.properties\.c: unsupported keyword"):
        compile_condition(schema)


def test_type_lists_and_nullable_types() -> None:
    nullable = {"type": ["object", "null"]}
    assert check(nullable, None) == [] and check(nullable, {}) == []
    assert check(nullable, "yes") == [((), "yes")]
    assert check({"type": ["integer", "string"]}, True) == [((), True)]  # a boolean is not an integer
    assert check({"type": ["integer", "string"]}, 2.0) == []  # an integral float is
    assert check({"type": "boolean"}, 0) == [((), 0)]


def test_const_strings_and_booleans_match_only_their_own_type() -> None:
    assert check({"const": False}, 0) == [((), 0)] and check({"const": False}, False) == []
    assert check({"const": "1"}, 1) == [((), 1)] and check({"const": "a"}, "a") == []
