"""Label selectors written as text, the syntax of `kubectl get -l` and of Kustomize's
`labelSelector`/`annotationSelector` (k8s.io/apimachinery `labels.Parse`), turned into a
metav1.LabelSelector so that kubeaudit.semantics.labels matches them with the API server's
semantics.

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
from typing import Any

from kubeaudit.semantics.labels import SelectorError

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
