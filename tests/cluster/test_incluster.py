"""In-cluster credentials, for real: the `kubernetes` client's own InClusterConfigLoader reads the
test server's token and CA certificate from a service-account directory, and the server address
from KUBERNETES_SERVICE_HOST/PORT, exactly as in a pod. Only the directory differs from a pod's
(credentials.SERVICE_ACCOUNT_DIR, patched here; production keeps /var/run/secrets/...)."""

from __future__ import annotations

import shutil
from pathlib import Path

from kubeaudit.sources.cluster import credentials
from tests.apiserver import ApiServerHandle
from tests.cluster.conftest import report
from tests.conftest import RunCli


def test_production_default_is_where_kubernetes_mounts_the_token() -> None:
    assert credentials.SERVICE_ACCOUNT_DIR == "/var/run/secrets/kubernetes.io/serviceaccount"


def test_scan_with_in_cluster_credentials(pod: Path, cluster: ApiServerHandle, run_cli: RunCli) -> None:
    cluster.clear_requests()
    run = run_cli("scan", "--cluster", "--no-config", "-f", "json")
    assert run.code == 1, run.err
    doc = report(run.out)
    assert doc["inputs"] == ["cluster:in-cluster"]
    assert doc["complete"] is True and doc["findings"]
    assert {f["location"]["context"] for f in doc["findings"]} == {"in-cluster"}
    log = cluster.requests()
    assert log and {r["status"] for r in log} == {200}  # the token from the file was accepted


def test_in_cluster_token_rejected_is_one_line(pod: Path, cluster: ApiServerHandle, run_cli: RunCli) -> None:
    (pod / "token").write_text("expired-token", encoding="utf-8")
    run = run_cli("scan", "--cluster", "--no-config")
    assert run.code == 2 and run.out == ""
    assert run.err.splitlines() == [
        f"kubeaudit: error: context in-cluster (https://127.0.0.1:{cluster.port}): credentials rejected "
        "(401 Unauthorized): the token or client certificate is invalid or has expired"
    ]


def test_in_cluster_without_a_token_file_is_one_line(pod: Path, run_cli: RunCli) -> None:
    (pod / "token").unlink()
    run = run_cli("scan", "--cluster", "--no-config")
    assert run.code == 2 and "Traceback" not in run.err
    [line] = run.err.splitlines()
    assert line.startswith("kubeaudit: error: in-cluster credentials: ")
    assert "token" in line.lower()


def test_in_cluster_with_the_wrong_ca_is_one_line(pod: Path, cluster: ApiServerHandle, run_cli: RunCli) -> None:
    shutil.copy(cluster.wrong_ca_file, pod / "ca.crt")
    run = run_cli("scan", "--cluster", "--no-config")
    assert run.code == 2
    [line] = run.err.splitlines()
    assert "TLS verification failed: certificate verify failed" in line
