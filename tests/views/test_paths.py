"""Attack paths on the fixture application (fixtures/attack-paths): an exposed frontend whose
service account can create pods in a namespace without Pod Security enforcement, and a
privileged DaemonSet there. Exactly the expected paths, steps and lines, from the files and from
the test API server; breaking any one link removes the path."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import FIXTURES, REPO, RunCli

from tests.apiserver import running_apiserver

APP = FIXTURES / "attack-paths"
SARIF_SCHEMA = json.loads((REPO / "tests" / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
NAMESPACES, FRONTEND, OPS = (
    "fixtures/attack-paths/namespaces.yaml",
    "fixtures/attack-paths/frontend.yaml",
    ("fixtures/attack-paths/ops.yaml"),
)
# (file, line, resource, field) of each step, in order
EXPOSED_STEPS = [
    (FRONTEND, 7, "Service/shop/web", "spec.type"),
    (FRONTEND, 8, "Service/shop/web", "spec.selector"),
    (FRONTEND, 35, "Deployment/shop/frontend", "spec.template.spec.serviceAccountName"),
    (OPS, 7, "RoleBinding/ops/frontend-deploys-jobs", "subjects[0]"),
    (NAMESPACES, 11, "Namespace/ops", "metadata.name"),
]
EXPECTED = {
    ("path-exposed-node-escape", FRONTEND, 7): EXPOSED_STEPS,
    ("path-pod-creation-escape", OPS, 7): EXPOSED_STEPS[3:],
}


def _ref(resource: dict[str, Any]) -> str:
    namespace = f"{resource['namespace']}/" if resource["namespace"] else ""
    return f"{resource['kind']}/{namespace}{resource['name']}"


def path_findings(report: dict[str, Any]) -> dict[tuple[str, str, int | None], list[tuple[Any, ...]]]:
    found = {}
    for finding in report["findings"]:
        if finding["ruleId"].startswith("path-"):
            key = (finding["ruleId"], finding["location"]["source"], finding["location"].get("line"))
            steps = [
                (s["location"]["source"], s["location"].get("line"), _ref(s["resource"]), s["path"])
                for s in finding["steps"]
            ]
            assert key not in found, f"{key} reported twice"
            found[key] = steps
    return found


def scan_json(run_cli: RunCli, *args: str, cwd: Path = REPO) -> dict[str, Any]:
    run = run_cli("scan", *args, "-f", "json", "--no-config", cwd=cwd)
    assert run.code in (0, 1), run.err
    report: dict[str, Any] = json.loads(run.out)
    return report


def test_the_fixture_application_yields_exactly_the_expected_paths(run_cli: RunCli) -> None:
    report = scan_json(run_cli, "fixtures/attack-paths")
    assert path_findings(report) == EXPECTED
    exposed = next(f for f in report["findings"] if f["ruleId"] == "path-exposed-node-escape")
    assert exposed["severity"] == "high"
    assert exposed["message"] == (
        "Service web (LoadBalancer) reaches a node in 5 steps: clients outside the cluster → Service shop/web → "
        "Deployment shop/frontend → ServiceAccount shop/frontend → pods created in namespace ops → "
        "a node (container escape)."
    )
    assert [s["message"] for s in exposed["steps"]][2:4] == [
        "Deployment shop/frontend runs as ServiceAccount shop/frontend, its token mounted",
        "RoleBinding frontend-deploys-jobs binds ServiceAccount shop/frontend to ClusterRole edit",
    ]
    # The privileged DaemonSet is exposed by nothing: no path starts there.
    starts = {f["resource"]["kind"] for f in report["findings"] if f["ruleId"].startswith("path-")}
    assert starts == {"Service", "RoleBinding"}


def test_console_prints_the_steps_under_the_finding(run_cli: RunCli) -> None:
    run = run_cli("scan", "fixtures/attack-paths", "--no-config", cwd=REPO)
    lines = run.out.splitlines()
    start = next(i for i, line in enumerate(lines) if "path-exposed-node-escape" in line)
    assert [line.strip() for line in lines[start + 1 : start + 6]] == [
        "1. line 7  Service web is exposed outside the cluster (LoadBalancer)",
        "2. line 8  Service web selects the pods of Deployment shop/frontend",
        "3. line 35  Deployment shop/frontend runs as ServiceAccount shop/frontend, its token mounted",
        "4. fixtures/attack-paths/ops.yaml:7  RoleBinding frontend-deploys-jobs binds ServiceAccount shop/frontend "
        "to ClusterRole edit",
        "5. fixtures/attack-paths/namespaces.yaml:11  namespace ops enforces no Pod Security level: a privileged "
        "pod is admitted",
    ]
    assert lines[start + 6].strip().startswith("fix: ")


def test_sarif_carries_the_steps_as_code_flows_and_validates(run_cli: RunCli) -> None:
    run = run_cli("scan", "fixtures/attack-paths", "--no-config", "-f", "sarif", cwd=REPO)
    log = json.loads(run.out)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
    result = next(r for r in log["runs"][0]["results"] if r["ruleId"] == "path-exposed-node-escape")
    flow = result["codeFlows"][0]["threadFlows"][0]["locations"]
    where = [
        (
            step["location"]["physicalLocation"]["artifactLocation"]["uri"],
            step["location"]["physicalLocation"]["region"]["startLine"],
        )
        for step in flow
    ]
    assert where == [(file, line) for file, line, _ref, _field in EXPOSED_STEPS]
    assert [loc["id"] for loc in result["relatedLocations"]] == [1, 2, 3, 4, 5]
    assert result["relatedLocations"][4]["message"]["text"].startswith("namespace ops enforces no Pod Security level")


def _broken_copy(tmp_path: Path, file: str, old: str, new: str) -> Path:
    copy = tmp_path / "attack-paths"
    shutil.copytree(APP, copy)
    target = copy / file
    text = target.read_text(encoding="utf-8")
    assert old in text
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    return copy


ISOLATE_FRONTEND = """---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: frontend-from-ingress-controller
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: frontend
  ingress:
    - from:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: ingress
"""
BROKEN_LINKS = {
    # (file, old text, new text, the path rules whose finding must be gone)
    "networkpolicy": ("frontend.yaml", "      targetPort: 8443\n", "      targetPort: 8443\n" + ISOLATE_FRONTEND,
                      {"path-exposed-node-escape"}),
    "automount-pod": ("frontend.yaml", "      serviceAccountName: frontend\n",
                      "      serviceAccountName: frontend\n      automountServiceAccountToken: false\n",
                      {"path-exposed-node-escape"}),
    "automount-serviceaccount": ("frontend.yaml", "  name: frontend\n  namespace: shop\n---",
                                 "  name: frontend\n  namespace: shop\nautomountServiceAccountToken: false\n---",
                                 {"path-exposed-node-escape"}),
    "binding-removed": ("ops.yaml", "  - kind: ServiceAccount\n    name: frontend\n    namespace: shop\n", "  []\n",
                        {"path-exposed-node-escape", "path-pod-creation-escape"}),
    "psa-enforce": ("namespaces.yaml", "  name: ops\n",
                    "  name: ops\n  labels:\n    pod-security.kubernetes.io/enforce: baseline\n",
                    {"path-exposed-node-escape", "path-pod-creation-escape"}),
}  # fmt: skip


@pytest.mark.parametrize("link", sorted(BROKEN_LINKS))
def test_breaking_one_link_removes_the_path(link: str, tmp_path: Path, run_cli: RunCli) -> None:
    file, old, new, gone = BROKEN_LINKS[link]
    folder = _broken_copy(tmp_path, file, old, new)
    if link == "binding-removed":
        text = (folder / file).read_text(encoding="utf-8").replace("subjects:\n  []\n", "subjects: []\n")
        (folder / file).write_text(text, encoding="utf-8")
    report = scan_json(run_cli, "attack-paths", cwd=tmp_path)
    assert report["errors"] == []
    found = {rule for rule, _file, _line in path_findings(report)}
    assert found == {rule for rule, _file, _line in EXPECTED} - gone


def _by_resource(found: dict[tuple[str, str, int | None], list[tuple[Any, ...]]]) -> set[tuple[Any, ...]]:
    """Paths named by rule and steps (resource and field), which files and a cluster share."""
    return {(key[0], tuple((ref, field) for _file, _line, ref, field in steps)) for key, steps in found.items()}


def test_the_test_api_server_yields_the_same_paths(run_cli: RunCli) -> None:
    with running_apiserver([APP], implicit=False, defaulting=False) as api:
        report = scan_json(run_cli, "--cluster", "--kubeconfig", str(api.kubeconfig_path))
    assert report["complete"], report["gaps"]
    live = path_findings(report)
    assert _by_resource(live) == _by_resource(EXPECTED)
    assert {(rule, source) for rule, source, _line in live} == {
        ("path-exposed-node-escape", "cluster:kubeaudit-test"),
        ("path-pod-creation-escape", "cluster:kubeaudit-test"),
    }


def test_a_network_policy_the_cluster_scan_cannot_read_leaves_paths_not_evaluated(run_cli: RunCli) -> None:
    forbid = ["networkpolicies.networking.k8s.io"]
    with running_apiserver([APP], implicit=False, defaulting=False, forbid=forbid) as api:
        run = run_cli("scan", "--cluster", "--kubeconfig", str(api.kubeconfig_path), "-f", "json", "--no-config")
    report = json.loads(run.out)
    assert run.code == 2
    assert path_findings(report) == {}
    not_evaluated = {item["ruleId"]: item for item in report["notEvaluated"]}
    assert "NetworkPolicy could not be read" in not_evaluated["path-exposed-node-escape"]["reason"]
    assert "Service/shop/web" in not_evaluated["path-exposed-node-escape"]["targets"]


def test_readme_example_is_what_the_scan_prints(run_cli: RunCli) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    start = readme.index("$ kubeaudit scan fixtures/attack-paths")
    shown = readme[start : readme.index("```", start)].splitlines()[1:]
    out = run_cli("scan", "fixtures/attack-paths", "--no-config", cwd=REPO).out.splitlines()
    for line in shown:
        if line.strip() not in ("...", ""):
            assert line in out, line
