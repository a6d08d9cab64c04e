"""An empty cluster scan says what it scanned, not "Scanned 0 files"."""

from __future__ import annotations

from tests.cluster.conftest import serve
from tests.conftest import RunCli


def test_an_empty_cluster_scan_names_the_context(run_cli: RunCli) -> None:
    with serve([], implicit=False) as api:
        run = run_cli("scan", "--cluster", "--kubeconfig", str(api.kubeconfig_path), "--no-config")
    assert "0 files" not in run.out
    assert "Scanned 0 resources from " in run.out and "kubeaudit-test" in run.out
