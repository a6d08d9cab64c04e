"""The properties of test_objects.py over the newer rule families' own shapes: Istio policies,
gateways and the mesh's configuration (a ConfigMap's mesh text, IstioOperator, Flux and Argo CD
values), istiod, control-plane command lines, kubelet configurations, quotas and limit ranges,
nodes and objects at deprecated API versions, and image-signature admission policies; mixed with
the workloads, namespaces, policies and RBAC they are judged with. Each object is in the API group
its view reads (a junk spec in another group would be ignored, and so prove nothing), with valid
and wrongly typed values at the fields the family reads."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.property.checks import assert_properties
from tests.property.strategies import FAMILY_KINDS, family_resources, run_settings


@run_settings
@given(family_resources, st.sets(st.sampled_from(FAMILY_KINDS), max_size=3))
def test_the_newer_families_never_crash_the_scan_and_their_findings_point_into_their_objects(
    objects: list[dict[str, Any]], unread: set[str]
) -> None:
    assert_properties(objects, unread)
