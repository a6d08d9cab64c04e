"""Label selectors written as text, the syntax of `kubectl get -l` and of Kustomize's
`labelSelector`/`annotationSelector` (k8s.io/apimachinery `labels.Parse`), turned into a
metav1.LabelSelector's matchExpressions and matched with the API server's semantics (`matches`).

Requirements are separated by commas (outside parentheses) and all must hold:

- `key=value`, `key==value`: the label has that value; `key!=value`: it is absent or has
  another value (NotIn);
- `key in (a,b)`, `key notin (a,b)`;
- `key`: the label exists; `!key`: it does not.

The numeric `key>N` / `key<N` forms, which kustomize also accepts, have no LabelSelector
equivalent and are refused, as is anything else that is not this syntax (SelectorError).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any


class SelectorError(ValueError):
    """Text that is not a label selector (kustomize refuses it)."""


_KEY = r"[A-Za-z0-9][-A-Za-z0-9_./]*"
_VALUE = r"[A-Za-z0-9_.-]*"
_EQUALS = re.compile(rf"^({_KEY})\s*(==|=|!=)\s*({_VALUE})$")
_SET = re.compile(rf"^({_KEY})\s+(in|notin)\s*\(([^()]*)\)$")
_EXISTS = re.compile(rf"^(!?)\s*({_KEY})$")


def parse_selector(text: str) -> dict[str, Any]:
    """The LabelSelector a selector string means (`{}` for an empty one: everything)."""
    expressions: list[dict[str, Any]] = []
    for requirement in _requirements(text):
        found = _EQUALS.match(requirement)
        if found:
            key, operator, value = found.groups()
            expressions.append({"key": key, "operator": "NotIn" if operator == "!=" else "In", "values": [value]})
            continue
        found = _SET.match(requirement)
        if found:
            key, operator, values = found.groups()
            items = [v.strip() for v in values.split(",")]
            if not all(re.fullmatch(_VALUE, v) for v in items):
                raise SelectorError(f"invalid values in {requirement!r}")
            expressions.append({"key": key, "operator": "In" if operator == "in" else "NotIn", "values": items})
            continue
        found = _EXISTS.match(requirement)
        if found:
            negated, key = found.groups()
            expressions.append({"key": key, "operator": "DoesNotExist" if negated else "Exists"})
            continue
        raise SelectorError(f"not a label selector requirement: {requirement!r}")
    return {"matchExpressions": expressions} if expressions else {}


def _requirements(text: str) -> list[str]:
    parts: list[str] = []
    depth, start = 0, 0
    for index, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    stripped = [p.strip() for p in parts]
    if stripped == [""]:
        return []
    if "" in stripped or depth != 0:
        raise SelectorError(f"not a label selector: {text!r}")
    return stripped


def matches(selector: dict[str, Any], labels: Mapping[str, str]) -> bool:
    """Whether every requirement of a parsed selector holds for these labels."""
    for requirement in selector.get("matchExpressions", []):
        key, operator, values = requirement["key"], requirement["operator"], requirement.get("values", [])
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def string_pairs(values: Any) -> dict[str, str]:
    """The string keys and values of a mapping (labels or annotations)."""
    if not isinstance(values, dict):
        return {}
    return {k: v for k, v in values.items() if isinstance(k, str) and isinstance(v, str)}
