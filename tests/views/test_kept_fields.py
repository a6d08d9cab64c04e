"""Each cross-resource view declares what it reads of the workloads the inventory keeps
(InventoryView.pod_fields) and of other kinds (kind_fields); the pipeline keeps no more. A view
that reads a field it did not declare fails here: built from copies trimmed to its own
declarations, it must make exactly the targets it makes from whole resources, over every
fixture we ship.

Set KUBEAUDIT_KEPT_FIELDS_CORPUS to a folder of manifests (e.g. the bench corpus) to check it
over that too (slow at 10,000 resources: minutes).
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Any

import pytest
from conftest import FIXTURES

from kubeaudit.engine.loader import load_rules
from kubeaudit.inventory import Inventory
from kubeaudit.model import Resource
from kubeaudit.scan import RuleIndex
from kubeaudit.semantics.fieldtree import trimmed, union
from kubeaudit.semantics.workloads import WORKLOAD_KINDS
from kubeaudit.sources.manifests import ManifestSource
from kubeaudit.views import ShapeError, check_resource_shape
from kubeaudit.views.pod import slim_resource
from kubeaudit.views.registry import VIEWS, InventoryView, kept_pod_fields

INVENTORY_VIEWS = sorted(name for name, view in VIEWS.items() if isinstance(view, InventoryView))
CORPUS = os.environ.get("KUBEAUDIT_KEPT_FIELDS_CORPUS")


def _resources(folder: str) -> list[Resource]:
    found = []
    for batch in ManifestSource([folder]).batches():
        for resource in batch.resources:
            try:
                check_resource_shape(resource)
            except ShapeError:
                continue  # malformed on purpose: never reaches a view
            found.append(resource)
    return found


FOLDERS = [str(FIXTURES), *([CORPUS] if CORPUS else [])]
RESOURCES = {folder: _resources(folder) for folder in FOLDERS}


def _trimmed(view: InventoryView, resource: Resource) -> Resource:
    """The resource trimmed to what `view` alone declares it reads."""
    if resource.kind in WORKLOAD_KINDS:
        return slim_resource(resource, view.pod_fields or {})
    fields = view.kind_fields.get(resource.kind)
    return resource if fields is None else replace(resource, data=trimmed(resource.data, fields))


def _targets(view: InventoryView, resources: list[Resource], trim: bool) -> list[tuple[Any, ...]]:
    """What the view makes of `resources`, workloads kept trimmed to its own pod_fields (or whole)."""
    inventory = Inventory(view.all_kinds | (frozenset() if view.keep else view.optional_kinds))
    for resource in resources:
        if view.keep is not None and resource.kind in view.optional_kinds and view.keep(resource):
            inventory.add(resource)  # kept whole, as scan.py does
        elif inventory.wants(resource.kind):
            inventory.add(_trimmed(view, resource) if trim else resource)
    return [
        (
            t.resource.ref,
            t.doc,
            t.prefixes,
            t.container,
            t.unread,
            [(s.message, s.resource.ref, s.path) for s in t.steps],
        )
        for t in view.build(inventory)
    ]


@pytest.mark.parametrize("folder", FOLDERS)
@pytest.mark.parametrize("name", INVENTORY_VIEWS)
def test_a_view_reads_no_field_it_did_not_declare(name: str, folder: str) -> None:
    view = VIEWS[name]
    assert isinstance(view, InventoryView)
    whole = _targets(view, RESOURCES[folder], trim=False)
    assert _targets(view, RESOURCES[folder], trim=True) == whole


def test_attack_paths_and_resource_facts_are_made_from_trimmed_workloads() -> None:
    """The views that read pod specs are in the fixtures' checks above (they have targets), and
    what a kept workload holds of its pod spec is their declarations and nothing else."""
    with_pod_fields = {n for n in INVENTORY_VIEWS if VIEWS[n].pod_fields is not None}  # type: ignore[attr-defined]
    assert with_pod_fields == {"namespace", "path"}
    privileged = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "serviceAccountName": "web",
                    "dnsPolicy": "ClusterFirst",
                    "volumes": [
                        {"name": "cfg", "configMap": {"name": "cfg"}},
                        {"name": "root", "hostPath": {"path": "/"}},
                    ],
                    "containers": [
                        {
                            "name": "web",
                            "image": "nginx:1.27",
                            "env": [{"name": "TOKEN", "value": "x"}],
                            "resources": {"limits": {"cpu": "1"}},
                            "securityContext": {"privileged": True, "runAsUser": 1000},
                            "volumeMounts": [{"name": "root", "mountPath": "/host"}],
                        }
                    ],
                },
            }
        },
    }
    resource = _resources(str(FIXTURES))[0]
    slim = slim_resource(replace(resource, kind="Deployment", data=privileged), kept_pod_fields())
    assert slim.data["spec"]["template"]["spec"] == {
        "serviceAccountName": "web",
        "volumes": [{"name": "cfg"}, {"name": "root", "hostPath": {"path": "/"}}],
        "containers": [
            {
                "name": "web",
                "resources": {"limits": {"cpu": "1"}},
                "securityContext": {"privileged": True},
                "volumeMounts": [{"name": "root"}],
            }
        ],
    }
    assert slim.data["spec"]["template"]["metadata"] == {"labels": {"app": "web"}}


def test_a_secret_is_kept_without_its_values_and_a_configmap_without_its_data() -> None:
    """Views read Secrets by name only: the scan keeps no Secret value (nor, of a ConfigMap,
    anything but an Istio mesh config), whatever rules run."""
    index = RuleIndex(load_rules())
    assert {"Secret", "ConfigMap"} <= index.inventory_kinds
    metadata = {"name": "db", "namespace": "shop", "annotations": {"team": "a"}}
    secret = replace(
        RESOURCES[str(FIXTURES)][0],
        kind="Secret",
        data={"apiVersion": "v1", "kind": "Secret", "metadata": metadata, "data": {"password": "aHVudGVyMg=="},
              "stringData": {"token": "hunter2"}, "type": "Opaque"},
    )  # fmt: skip
    assert index.kept_copy(secret).data == {"apiVersion": "v1", "kind": "Secret", "metadata": metadata}
    config = replace(secret, kind="ConfigMap", name="istio", data={"kind": "ConfigMap", "metadata": metadata,
                     "data": {"mesh": "outboundTrafficPolicy: {}", "big": "x" * 1000}})  # fmt: skip
    assert index.kept_copy(config).data == {
        "kind": "ConfigMap",
        "metadata": metadata,
        "data": {"mesh": "outboundTrafficPolicy: {}"},
    }


def test_field_trees_keep_lists_item_by_item_and_values_of_another_type_as_written() -> None:
    tree = {"containers": {"name": True}}
    kept = trimmed({"containers": [{"name": "a", "image": "b"}, "odd"], "x": 1}, tree)
    assert kept == {"containers": [{"name": "a"}, "odd"]}
    assert trimmed({"containers": "not a list"}, tree) == {"containers": "not a list"}
    assert union({"a": {"b": True}}, {"a": True, "c": {"d": True}}) == {"a": True, "c": {"d": True}}
