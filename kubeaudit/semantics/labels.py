"""Kubernetes label selectors (metav1.LabelSelector), with the API server's semantics.

Used by the cross-resource views: NetworkPolicy `podSelector` and ClusterRole
`aggregationRule.clusterRoleSelectors`.

- `matchLabels` and `matchExpressions` are ANDed; a selector with neither
  (`{}`) selects everything.
- `In`: the label is present and its value is one of `values` (which must not be empty).
- `NotIn`: the label is absent, or its value is not one of `values` (which must not be empty).
- `Exists` / `DoesNotExist`: the key is present / absent (`values` must be empty).
- Anything else (an unknown operator, `In` without values, `Exists` with values,
  a field of the wrong type) is an invalid selector, which the API server rejects;
  callers treat it as selecting nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


class SelectorError(ValueError):
    """A selector the API server would reject."""


def labels_of(metadata: Any) -> dict[str, str]:
    """The string labels of an object's metadata (other values are not valid labels)."""
    labels = metadata.get("labels") if isinstance(metadata, dict) else None
    if not isinstance(labels, dict):
        return {}
    return {k: v for k, v in labels.items() if isinstance(k, str) and isinstance(v, str)}


def selects_everything(selector: Any) -> bool:
    """True for `{}` (and a missing selector): no requirement at all."""
    if selector is None:
        return True
    return isinstance(selector, dict) and not selector.get("matchLabels") and not selector.get("matchExpressions")


def matches(selector: Any, labels: Mapping[str, str]) -> bool:
    """Whether a label selector selects an object with these labels. Raises SelectorError."""
    if selector is None:
        return True
    return _parts_match(*_parts(selector), labels)


def selector_matcher(selector: Any) -> Callable[[Mapping[str, str]], bool]:
    """`safe_matches` for one selector against many label sets: the selector is checked once."""
    if selector is None:
        return lambda labels: True
    try:
        match_labels, expressions = _parts(selector)
    except SelectorError:
        return lambda labels: False
    return lambda labels: _parts_match(match_labels, expressions, labels)


def _parts_match(
    match_labels: dict[Any, Any], expressions: list[tuple[str, str, list[Any]]], labels: Mapping[str, str]
) -> bool:
    if any(labels.get(key) != value for key, value in match_labels.items()):
        return False
    return all(_expression_matches(key, operator, values, labels) for key, operator, values in expressions)


def _parts(selector: Any) -> tuple[dict[Any, Any], list[tuple[str, str, list[Any]]]]:
    """Check a selector's shape; its matchLabels and its (key, operator, values) requirements."""
    if not isinstance(selector, dict):
        raise SelectorError("a label selector must be a mapping")
    match_labels = selector.get("matchLabels") or {}
    if not isinstance(match_labels, dict):
        raise SelectorError("matchLabels must be a mapping")
    raw = selector.get("matchExpressions") or []
    if not isinstance(raw, list):
        raise SelectorError("matchExpressions must be a list")
    expressions = []
    for expression in raw:
        if not isinstance(expression, dict) or not isinstance(expression.get("key"), str):
            raise SelectorError("a match expression needs a key")
        operator = expression.get("operator")
        values = expression.get("values") or []
        if not isinstance(values, list):
            raise SelectorError("values must be a list")
        if operator in ("In", "NotIn") and not values:
            raise SelectorError(f"operator {operator} needs at least one value")
        if operator in ("Exists", "DoesNotExist") and values:
            raise SelectorError(f"operator {operator} takes no values")
        if operator not in ("In", "NotIn", "Exists", "DoesNotExist"):
            raise SelectorError(f"unknown operator {operator!r}")
        expressions.append((expression["key"], operator, values))
    return match_labels, expressions


def _expression_matches(key: str, operator: str, values: list[Any], labels: Mapping[str, str]) -> bool:
    if operator == "In":
        return key in labels and labels[key] in values
    if operator == "NotIn":
        return key not in labels or labels[key] not in values
    if operator == "Exists":
        return key in labels
    return key not in labels  # DoesNotExist


def safe_matches(selector: Any, labels: Mapping[str, str]) -> bool:
    """`matches`, with an invalid selector selecting nothing."""
    try:
        return matches(selector, labels)
    except SelectorError:
        return False


def is_valid(selector: Any) -> bool:
    try:
        if selector is not None:
            _parts(selector)
    except SelectorError:
        return False
    return True
