"""The view registry: every view declares its name, the kinds it reads and its document's
fields, and those declarations match what the views build for every fixture we ship."""

from __future__ import annotations

from collections import defaultdict

import pytest
from conftest import FIXTURES

from kubeaudit.engine.loader import load_rules
from kubeaudit.inventory import Inventory
from kubeaudit.model import Resource
from kubeaudit.semantics.workloads import WORKLOAD_KINDS
from kubeaudit.sources.manifests import ManifestSource
from kubeaudit.views import ShapeError, check_resource_shape, known_views, resource_targets
from kubeaudit.views.base import Target
from kubeaudit.views.pod import slim_resource
from kubeaudit.views.registry import VIEWS, InventoryView, ResourceView, View


def _fixture_resources() -> list[Resource]:
    resources = []
    for batch in ManifestSource([str(FIXTURES)]).batches():
        for resource in batch.resources:
            try:
                check_resource_shape(resource)
            except ShapeError:
                continue  # malformed on purpose (bad-input fixtures): never reaches a view
            resources.append(resource)
    return resources


RESOURCES = _fixture_resources()


def _documents(view: View) -> list[dict[str, object]]:
    """The documents `view` builds for the fixtures, as the pipeline would build them."""
    if isinstance(view, ResourceView):
        docs = []
        for resource in RESOURCES:
            try:
                targets = resource_targets(resource, frozenset({view.name}))
            except ShapeError:
                continue
            docs.extend(t.doc for t in targets.get(view.name, ()))
        return docs
    assert isinstance(view, InventoryView)
    inventory = Inventory(view.all_kinds | (frozenset() if view.keep else view.optional_kinds))
    for resource in RESOURCES:
        if view.keep is not None and resource.kind in view.optional_kinds and view.keep(resource):
            inventory.add(resource)  # kept whole, as scan.py does
        elif inventory.wants(resource.kind):
            # As scan.py keeps them: workloads slimmed once their own rules have run.
            inventory.add(slim_resource(resource) if resource.kind in WORKLOAD_KINDS else resource)
    return [t.doc for t in view.build(inventory)]


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_declared_fields_are_the_fields_the_view_builds(name: str) -> None:
    view = VIEWS[name]
    docs = _documents(view)
    assert docs, f"no fixture gives the {name} view a target"
    built: set[str] = set()
    for doc in docs:
        built |= doc.keys()
    if isinstance(view, ResourceView) and view.open_document:
        # The resource as written: any field may be there; the declared ones must occur.
        assert view.fields <= built, sorted(view.fields - built)
    else:
        assert built == view.fields, (sorted(built - view.fields), sorted(view.fields - built))
        for doc in docs:
            assert doc.keys() == view.fields, sorted(view.fields ^ doc.keys())


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_a_view_only_makes_targets_of_the_kinds_it_declares(name: str) -> None:
    view = VIEWS[name]
    if view.kinds is None:
        return
    if isinstance(view, ResourceView):
        for resource in RESOURCES:
            if resource.kind not in view.kinds:
                assert resource_targets(resource, frozenset({name})) == {}
    else:
        assert isinstance(view, InventoryView)
        inventory = Inventory(view.kinds)
        kinds_read = set()
        for resource in RESOURCES:
            if inventory.wants(resource.kind):
                inventory.add(resource)
        for target in view.build(inventory):
            kinds_read.add(target.resource.kind)
        assert kinds_read <= view.kinds


def test_every_rule_targets_a_registered_view_and_every_view_has_rules() -> None:
    by_view: dict[str, list[str]] = defaultdict(list)
    for rule in load_rules():
        by_view[rule.view].append(rule.id)
    assert set(by_view) <= set(known_views())
    assert set(known_views()) == set(VIEWS) == set(by_view), sorted(set(VIEWS) - set(by_view))


def test_a_view_name_is_registered_once() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        from kubeaudit.views.registry import register

        register(VIEWS["pod"])


def test_a_view_registered_after_resources_were_judged_is_built_too() -> None:
    """resource_views() is worked out once; a registration (a plugin's view, after a scan in the
    same process) must start it again, or the new view's rules would silently find nothing."""
    from kubeaudit.views import registry

    resource = next(r for r in RESOURCES if r.kind == "Pod")
    resource_targets(resource, frozenset({"pod"}))  # the per-resource views are worked out now
    probe = ResourceView(
        name="review-probe",
        kinds=frozenset({"Pod"}),
        fields=frozenset({"name"}),
        build=lambda r, shared: [Target(view="review-probe", resource=r, doc={"name": r.name})],
    )
    registry.register(probe)
    try:
        found = resource_targets(resource, frozenset({"review-probe"}))
        assert [t.doc for t in found["review-probe"]] == [{"name": resource.name}]
    finally:  # other tests of this worker see the registry as shipped
        del VIEWS["review-probe"]
        registry._resource_views.clear()
