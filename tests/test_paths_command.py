"""`kubeaudit paths`: the attack paths of the fixture application (fixtures/attack-paths), listed
in the console, as JSON and as a Graphviz graph, filtered with --from and --to, from files and from
the test API server."""

from __future__ import annotations

import json
from typing import Any

import pydot
import pytest
from conftest import FIXTURES, REPO, RunCli

from tests.apiserver import running_apiserver

APP = "fixtures/attack-paths"
FRONTEND, OPS, NAMESPACES = (f"{APP}/{name}.yaml" for name in ("frontend", "ops", "namespaces"))


def listing(run_cli: RunCli, *args: str) -> dict[str, Any]:
    run = run_cli("paths", *args, "-f", "json", "--no-config", cwd=REPO)
    assert run.code == 0, run.err
    doc: dict[str, Any] = json.loads(run.out)
    return doc


def _ref(resource: dict[str, Any]) -> str:
    namespace = f"{resource['namespace']}/" if resource["namespace"] else ""
    return f"{resource['kind']}/{namespace}{resource['name']}"


def summary(doc: dict[str, Any]) -> list[tuple[str, str, str, int]]:
    return [(p["entry"]["kind"], _ref(p["entry"]["resource"]), p["target"], p["length"]) for p in doc["paths"]]


def test_every_path_to_a_node_with_its_entry_point(run_cli: RunCli) -> None:
    doc = listing(run_cli, APP, "--to", "node")
    assert doc["complete"] is True
    assert sorted(summary(doc)) == [
        ("Service", "Service/shop/web", "node", 5),
        ("Subject", "RoleBinding/ops/frontend-deploys-jobs", "node", 2),
        ("Workload", "DaemonSet/ops/node-agent", "node", 1),
        ("Workload", "Deployment/shop/frontend", "node", 3),
    ]


def test_from_exposed_to_node_is_the_one_path_with_its_steps_and_lines(run_cli: RunCli) -> None:
    doc = listing(run_cli, APP, "--from", "exposed", "--to", "node")
    [path] = doc["paths"]
    assert path["entry"]["exposed"] is True
    assert path["entry"]["location"]["line"] == 7
    assert path["severity"] == "high"
    assert [(s["location"]["source"], s["location"]["line"], s["path"]) for s in path["steps"]] == [
        (FRONTEND, 7, "spec.type"),
        (FRONTEND, 8, "spec.selector"),
        (FRONTEND, 35, "spec.template.spec.serviceAccountName"),
        (OPS, 7, "subjects[0]"),
        (NAMESPACES, 11, "metadata.name"),
    ]
    assert path["route"].startswith("clients outside the cluster → Service shop/web → Deployment shop/frontend")


def test_exposed_paths_include_the_metadata_service(run_cli: RunCli) -> None:
    doc = listing(run_cli, APP, "--from", "service")
    assert summary(doc) == [
        ("Service", "Service/shop/web", "node", 5),
        ("Service", "Service/shop/web", "cloud-metadata", 3),
    ]


def test_console_lists_each_path_with_its_steps(run_cli: RunCli) -> None:
    run = run_cli("paths", APP, "--from", "subject", "--no-config", cwd=REPO)
    assert run.code == 0
    assert run.out.splitlines() == [
        f"HIGH     a node (container escape)  from RoleBinding/ops/frontend-deploys-jobs [binding subject] ({OPS}:7), "
        "2 steps",
        "    ServiceAccount shop/frontend → pods created in namespace ops → a node (container escape)",
        f"      1. {OPS}:7  RoleBinding frontend-deploys-jobs binds ServiceAccount shop/frontend to ClusterRole edit",
        f"      2. {NAMESPACES}:11  namespace ops enforces no Pod Security level: a privileged pod is admitted",
        "1 attack path (1 to a node (container escape))",
    ]


# pydot's parser (pyparsing) warns about its own use of deprecated pyparsing names.
PYPARSING_WARNINGS = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@PYPARSING_WARNINGS
def test_dot_export_is_a_graph_graphviz_reads(run_cli: RunCli) -> None:
    run = run_cli("paths", APP, "--from", "exposed", "--to", "node", "-f", "dot", "--no-config", cwd=REPO)
    assert run.code == 0
    [graph] = pydot.graph_from_dot_data(run.out)
    labels = {node.get_name(): node.get_label().strip('"') for node in graph.get_nodes()}
    chain = [(labels[e.get_source()], labels[e.get_destination()]) for e in graph.get_edges()]
    assert chain == [
        ("outside", "Service/shop/web"),
        ("Service/shop/web", "Deployment/shop/frontend"),
        ("Deployment/shop/frontend", "RoleBinding/ops/frontend-deploys-jobs"),
        ("RoleBinding/ops/frontend-deploys-jobs", "Namespace/ops"),
        ("Namespace/ops", "a node (container escape)"),
    ]


@PYPARSING_WARNINGS
def test_names_with_quotes_cannot_break_the_graph(run_cli: RunCli, tmp_path: Any) -> None:
    subject = '{kind: User, name: "ev\\"il\\\\ \\u202e}", apiGroup: rbac.authorization.k8s.io}'
    (tmp_path / "odd.yaml").write_text(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n"
        f'metadata: {{name: "odd"}}\nsubjects:\n  - {subject}\n'
        "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\n",
        encoding="utf-8",
    )
    run = run_cli("paths", str(tmp_path), "-f", "dot", "--no-config")
    assert run.code == 0, run.err
    [graph] = pydot.graph_from_dot_data(run.out)
    targets = {node.get_label().strip('"') for node in graph.get_nodes()}
    assert targets == {"ClusterRoleBinding/odd", "cluster-admin", "every Secret in the cluster"}
    assert len(graph.get_edges()) == 2
    assert "\u202e" not in run.out


def test_the_test_api_server_gives_the_same_paths(run_cli: RunCli) -> None:
    files = listing(run_cli, APP)
    with running_apiserver([FIXTURES / "attack-paths"], implicit=False, defaulting=False) as api:
        live = listing(run_cli, "--cluster", "--kubeconfig", str(api.kubeconfig_path))
    assert live["complete"] is True
    steps = lambda doc: sorted(  # noqa: E731
        (p["target"], tuple((_ref(s["resource"]), s["path"]) for s in p["steps"])) for p in doc["paths"]
    )
    assert steps(live) == steps(files)
    assert all(s["location"]["source"] == "cluster:kubeaudit-test" for p in live["paths"] for s in p["steps"])


def test_an_unreadable_kind_makes_the_list_incomplete(run_cli: RunCli) -> None:
    with running_apiserver([FIXTURES / "attack-paths"], implicit=False, defaulting=False, forbid=["namespaces"]) as api:
        run = run_cli("paths", "--cluster", "--kubeconfig", str(api.kubeconfig_path), "--no-config", cwd=REPO)
    assert run.code == 2
    assert "not evaluated: Namespace could not be read" in run.out
    assert "0 attack paths" in run.out


@pytest.mark.parametrize("args", [("--to", "the-moon"), ("--from", "outer-space")])
def test_an_unknown_filter_is_a_usage_error(run_cli: RunCli, args: tuple[str, str]) -> None:
    run = run_cli("paths", APP, *args, cwd=REPO)
    assert run.code == 2
    assert "invalid choice" in run.err


def test_readme_example_is_what_paths_prints(run_cli: RunCli) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    start = readme.index("$ kubeaudit paths fixtures/attack-paths --from subject")
    shown = readme[start : readme.index("```", start)].splitlines()
    run = run_cli(*shown[0].split()[2:], "--no-config", cwd=REPO)
    assert run.out.splitlines() == shown[1:]
