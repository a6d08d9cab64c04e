"""Big files: late line look-ups never re-parse a file once per finding.

Node trees are dropped once a file's own rules have run; the NetworkPolicy views and
suppression notices find their lines later. The copies the views keep record their
positions before the tree goes, and what a record cannot answer re-reads a file once for
all its findings. Counting how often the parser composes a file (the operation whose
repetition made a 4,000-pod file take minutes) keeps this linear without timing anything.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from kubeaudit.api import ScanOptions, run
from kubeaudit.engine.loader import load_rules
from kubeaudit.scan import scan_manifests
from kubeaudit.sources import manifests

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: pod-{i}
  namespace: team-{ns}
  annotations:
    kubeaudit.io/ignore: netpol-workload-ingress
    kubeaudit.io/ignore-reason: legacy
    kubeaudit.io/ignore-until: "2020-01-01"
  labels:
    app: app-{i}
spec:
  containers:
    - name: app
      image: nginx:1.25
"""
LABELS_LINE = POD.splitlines().index("  labels:") + 1
IGNORE_LINE = next(i for i, line in enumerate(POD.splitlines(), 1) if "kubeaudit.io/ignore:" in line)


def multi_document(count: int) -> str:
    return "---\n".join(POD.format(i=i, ns=i % 3) for i in range(count))


def kind_list(count: int) -> str:
    """A `kubectl get pods -o json` style dump: a PodList whose items omit their kind."""
    items = [yaml.safe_load(POD.format(i=i, ns=i % 3)) for i in range(count)]
    for item in items:
        del item["kind"]
    return json.dumps({"apiVersion": "v1", "kind": "PodList", "items": items}, indent=1)


@pytest.fixture
def compose_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the parser runs over manifest text (the real parser still does the work)."""
    calls: list[int] = []
    real = manifests.compose_documents

    def counting(text: str):  # type: ignore[no-untyped-def]
        calls.append(len(text))
        return real(text)

    monkeypatch.setattr(manifests, "compose_documents", counting)
    return calls


def network_rules():  # type: ignore[no-untyped-def]
    return [r for r in load_rules() if r.view in ("podnetwork", "namespace")]


@pytest.mark.parametrize(("render", "name"), [(multi_document, "pods.yaml"), (kind_list, "pods.json")])
def test_cross_resource_findings_parse_a_big_file_once_whatever_its_size(
    tmp_path: Path, compose_calls: list[int], render: Callable[[int], str], name: str
) -> None:
    parses = {}
    for count in (30, 120):
        path = tmp_path / f"{count}-{name}"
        path.write_text(render(count))
        compose_calls.clear()
        result = scan_manifests([str(path)], network_rules())
        workload_findings = [f for f in result.findings if f.rule_id.startswith("netpol-workload-")]
        assert len(workload_findings) == 2 * count  # ingress and egress, for every pod
        assert all(f.line is not None for f in result.findings)
        parses[count] = len(compose_calls)
    # read once: the lines of every late finding were recorded while the tree was there
    assert parses == {30: 1, 120: 1}


def test_late_findings_point_at_each_pods_own_labels(tmp_path: Path) -> None:
    (tmp_path / "pods.yaml").write_text(multi_document(40))
    result = scan_manifests([str(tmp_path)], network_rules())
    lines = {f.resource.name: f.line for f in result.findings if f.rule_id == "netpol-workload-egress"}
    assert lines == {f"pod-{i}": LABELS_LINE + i * (len(POD.splitlines()) + 1) for i in range(40)}


def test_suppression_notices_in_a_big_file_parse_it_once(tmp_path: Path, compose_calls: list[int]) -> None:
    (tmp_path / "pods.yaml").write_text(multi_document(100))
    result = run(ScanOptions(paths=[str(tmp_path)], use_config=False))
    expired = [n for n in result.notices if "expired" in n.message]
    assert len(expired) == 100
    assert all(n.line is not None for n in expired)
    assert len(compose_calls) == 1


def test_what_no_record_answers_re_reads_a_big_file_once_for_all(tmp_path: Path, compose_calls: list[int]) -> None:
    # Without network, mesh, admission, governance and attack-path rules no pod is kept for a cross-resource
    # view: nothing records the annotation lines of the expired suppressions: the file is read
    # once more, for all 100.
    (tmp_path / "pods.yaml").write_text(multi_document(100).replace("netpol-workload-ingress", "pss-restricted-*"))
    toggles = [("disable", p) for p in ("netpol-*", "mesh-*", "pss-namespace-*", "resources-*", "path-*")]
    result = run(ScanOptions(paths=[str(tmp_path)], use_config=False, toggles=toggles))
    expired = [n for n in result.notices if "expired" in n.message]
    assert len(expired) == 100
    assert [n.line for n in expired] == [IGNORE_LINE + i * (len(POD.splitlines()) + 1) for i in range(100)]
    assert len(compose_calls) == 2


def test_standard_input_keeps_its_text_not_its_trees_and_late_lines_match_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, compose_calls: list[int]
) -> None:
    """Standard input cannot be read twice: once its own rules have run its node trees go, and
    the look-ups no record answers compose its kept text again (once for all of them), with the
    lines a scan of the same file gives."""
    text = multi_document(40).replace("netpol-workload-ingress", "pss-restricted-*")
    (tmp_path / "pods.yaml").write_text(text)
    toggles = [("disable", p) for p in ("netpol-*", "mesh-*", "pss-namespace-*", "resources-*", "path-*")]

    def expired_lines(paths: list[str]) -> list[int | None]:
        result = run(ScanOptions(paths=paths, use_config=False, toggles=toggles))
        return [n.line for n in result.notices if "expired" in n.message]

    from_file = expired_lines([str(tmp_path / "pods.yaml")])
    compose_calls.clear()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    assert expired_lines(["-"]) == from_file == [IGNORE_LINE + i * (len(POD.splitlines()) + 1) for i in range(40)]
    assert len(compose_calls) == 2  # the scan, then once more for every late look-up
