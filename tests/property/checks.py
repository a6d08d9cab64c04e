"""What every generated scan must satisfy, whatever the objects: the engine never raises, errors are
one line naming the file, every finding's path exists in its object (or is the nearest present
parent of a missing field), and no finding comes from data the scan did not read."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml

from kubeaudit.engine.loader import load_rules
from kubeaudit.model import Path as DocPath
from kubeaudit.safetext import printable
from kubeaudit.scan import run_scan
from kubeaudit.sources.manifests import ManifestSource

RULES = load_rules()


class PartlyRead(ManifestSource):
    def __init__(self, paths: list[str], unavailable: dict[str, str]) -> None:
        super().__init__(paths)
        self.unavailable = unavailable

    def unavailable_kinds(self) -> dict[str, str]:
        return self.unavailable


def present(data: Any, path: DocPath) -> bool:
    for part in path:
        if (isinstance(data, dict) and part in data) or (
            isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        ):
            data = data[part]
        else:
            return False
    return True


def nearest_present(data: Any, path: DocPath) -> int:
    """How many steps of path exist in data."""
    for depth in range(len(path), -1, -1):
        if present(data, path[:depth]):
            return depth
    return 0


def assert_properties(objects: list[dict[str, Any]], unread: set[str]) -> None:
    """Scan `objects` (one multi-document file) as if the kinds in `unread` could not be read (a
    cluster's 403), and check every property."""
    for index, item in enumerate(objects):
        if isinstance(item.get("metadata"), dict) and not isinstance(item["metadata"].get("name"), str):
            # An identity for the checks below (wrong types are tried elsewhere); a name the strategy
            # chose (istiod, the istio ConfigMap) is kept, as views find those objects by name.
            item["metadata"]["name"] = f"r{index}"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "generated.yaml"
        path.write_text(yaml.safe_dump_all(objects, sort_keys=False))
        # As if these kinds could not be read (a cluster's 403): rules needing them must not assert.
        result = run_scan([PartlyRead([str(path)], {kind: "forbidden (403)" for kind in unread})], RULES)
    for error in result.errors:  # wrong types are reported, naming the file, as one line in the console
        assert error.source == "generated.yaml" or error.source.endswith("/generated.yaml"), error
        assert "\n" not in printable(str(error))
    for finding in result.findings:
        origin = finding.resource.origin
        document = objects[origin.document or 0]
        assert present(document, origin.base_path)
        data = document
        for part in origin.base_path:
            data = data[part]
        depth = nearest_present(data, finding.path)
        # The path is the offending field, or a field missing under one that exists: never a
        # path through a value that is not there.
        assert depth >= len(finding.path) - 1 or _missing_under_inherited(finding.path, data), (
            finding.rule_id,
            finding.path,
        )
    # Never assert from data not read: a rule listed as not evaluated made no finding there.
    for rule_id, refs in result.not_evaluated_targets.items():
        assert not [f for f in result.findings if f.rule_id == rule_id and f.resource.ref in refs]


def _missing_under_inherited(path: DocPath, data: Any) -> bool:
    """Container rules that read an inherited setting (effectiveSecurityContext) point at the
    container's own field even when its securityContext is not set: two steps under what exists."""
    depth = nearest_present(data, path)
    return "securityContext" in path[depth:] and len(path) - depth <= 2
