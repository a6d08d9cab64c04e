"""Resource governance: quantities and QoS classes as Kubernetes computes them, in the JSON report."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from kubeaudit.semantics.resources import parse_quantity, qos_class
from tests.conftest import RunCli


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("500m", "0.5"),
        ("1", "1"),
        ("1.5", "1.5"),
        ("1Gi", str(2**30)),
        ("1G", "1e9"),
        ("1e3", "1000"),
        ("100Mi", str(100 * 2**20)),
    ],
)
def test_quantities_parse_as_kubernetes_reads_them(text: str, value: str) -> None:
    assert parse_quantity(text) == Decimal(value)


@pytest.mark.parametrize("text", ["abc", "1Qi", "", "1.2.3", True])
def test_what_is_not_a_quantity_is_ignored(text: object) -> None:
    assert parse_quantity(text) is None


def _pod(*containers: dict[str, object], init: tuple[dict[str, object], ...] = ()) -> dict[str, object]:
    return {"containers": list(containers), "initContainers": list(init)}


def test_qos_classes() -> None:
    full = {"resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}
    assert qos_class(_pod(full)) == "Guaranteed"  # requests default to limits
    assert (
        qos_class(
            _pod(
                {
                    "resources": {
                        "requests": {"cpu": "1", "memory": "1Gi"},
                        "limits": {"cpu": "1000m", "memory": "1024Mi"},
                    }
                }
            )
        )
        == "Guaranteed"
    )
    assert qos_class(_pod(full, init=({},))) == "Burstable"  # init containers count
    assert qos_class(_pod({"resources": {"requests": {"cpu": "100m"}}})) == "Burstable"
    assert qos_class(_pod({}, {"resources": {"requests": {"ephemeral-storage": "1Gi"}}})) == "BestEffort"


def test_json_report_lists_each_workloads_qos_class(tmp_path: Path, run_cli: RunCli) -> None:
    (tmp_path / "pods.yaml").write_text(
        """apiVersion: v1
kind: Pod
metadata: {name: besteffort, namespace: shop}
spec: {containers: [{name: a, image: "example.com/a:1.0.0"}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: guaranteed, namespace: shop}
spec:
  selector: {matchLabels: {app: g}}
  template:
    metadata: {labels: {app: g}}
    spec:
      containers: [{name: g, image: "example.com/g:1.0.0", resources: {limits: {cpu: "1", memory: 1Gi}}}]
""",
        encoding="utf-8",
    )
    run = run_cli("scan", str(tmp_path), "--no-config", "-f", "json")
    workloads = {(w["kind"], w["name"]): w["qosClass"] for w in json.loads(run.out)["workloads"]}
    assert workloads == {("Pod", "besteffort"): "BestEffort", ("Deployment", "guaranteed"): "Guaranteed"}
