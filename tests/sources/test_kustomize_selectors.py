"""Label selectors written as text (kubectl -l, Kustomize labelSelector), matched as the API
server matches the LabelSelector they stand for."""

from __future__ import annotations

import pytest

from kubeaudit.semantics.labels import matches as api_server_matches
from kubeaudit.sources.kustomize_selectors import SelectorError, matches, parse_selector

LABELS = {"app": "web", "tier": "front", "example.com/team": "storefront"}


@pytest.mark.parametrize(
    ("text", "selected"),
    [
        ("", True),
        ("tier=front", True),
        ("tier==front", True),
        ("tier=back", False),
        ("tier!=back", True),
        ("env!=prod", True),  # absent counts as different
        ("tier in (front, back)", True),
        ("tier notin (front)", False),
        ("app=web,tier in (back)", False),
        ("example.com/team", True),
        ("!example.com/team", False),
        ("!env", True),
        (" app = web , tier ", True),
        ("tier=", False),  # an empty value: the label is empty
    ],
)
def test_selector_text_selects_what_the_api_server_would(text: str, selected: bool) -> None:
    selector = parse_selector(text)
    assert matches(selector, LABELS) is selected
    assert api_server_matches(selector, LABELS) is selected  # the LabelSelector it stands for


@pytest.mark.parametrize("text", ["=front", "a,,b", "tier in (front", "tier>1", "tier in (a b)"])
def test_text_that_is_no_selector_is_refused(text: str) -> None:
    with pytest.raises(SelectorError):
        parse_selector(text)
