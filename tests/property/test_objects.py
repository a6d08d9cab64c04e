"""Property-based tests: Kubernetes-shaped objects, with valid and wrongly typed values at the fields
the rules and views read, never make the scanner raise, and every finding points into its object.

The objects go through the real pipeline: written as YAML, read by the manifest source, judged by
every built-in rule (those off by default included). Kinds come from the view registry, so a new
rule family's kinds are generated too (with junk specs) as soon as its view is registered; the
families' own shapes are in test_families.py.

The default run is short, for CI (the same examples every time); KUBEAUDIT_HYPOTHESIS_EXAMPLES=2000
(for example) runs longer and explores new examples each run.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.property.checks import assert_properties
from tests.property.strategies import resources, run_settings


@run_settings
@given(resources, st.sets(st.sampled_from(["NetworkPolicy", "Namespace", "ClusterRole", "RoleBinding", "Pod"])))
def test_generated_objects_never_crash_the_scan_and_findings_point_into_them(
    objects: list[dict[str, Any]], unread: set[str]
) -> None:
    assert_properties(objects, unread)
