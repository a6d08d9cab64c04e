"""Failures to connect are one clear line each on stderr and exit 2, never a traceback."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.apiserver import ApiServerHandle
from tests.cluster.conftest import report, serve, write_kubeconfig
from tests.conftest import RunCli


def _error_lines(err: str) -> list[str]:
    assert "Traceback" not in err
    return [line for line in err.splitlines() if line.strip()]


def test_rejected_token_is_one_line(cluster: ApiServerHandle, run_cli: RunCli, tmp_path: Path) -> None:
    kubeconfig = cluster.write_kubeconfig(tmp_path / "bad-token.yaml", token="expired-token")
    run = run_cli("scan", "--cluster", "--kubeconfig", str(kubeconfig), "--no-config")
    assert run.code == 2
    assert _error_lines(run.err) == [
        f"kubeaudit: error: context kubeaudit-test ({cluster.url}): credentials rejected (401 Unauthorized): "
        "the token or client certificate is invalid or has expired"
    ]
    assert run.out == ""


def test_wrong_ca_is_one_line(cluster: ApiServerHandle, run_cli: RunCli) -> None:
    run = run_cli("scan", "--cluster", "--kubeconfig", str(cluster.wrong_ca_kubeconfig_path), "--no-config")
    assert run.code == 2
    [line] = _error_lines(run.err)
    assert line.startswith(f"kubeaudit: error: context kubeaudit-test ({cluster.url}): TLS verification failed: ")
    assert "certificate verify failed" in line


def test_unreachable_server_is_one_line(cluster: ApiServerHandle, run_cli: RunCli, tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    kubeconfig = cluster.write_kubeconfig(tmp_path / "closed.yaml", server=f"https://127.0.0.1:{port}")
    run = run_cli("scan", "--cluster", "--kubeconfig", str(kubeconfig), "--no-config")
    assert run.code == 2
    assert _error_lines(run.err) == [
        f"kubeaudit: error: context kubeaudit-test (https://127.0.0.1:{port}): cannot connect: connection refused"
    ]


def test_missing_kubeconfig_and_unknown_context(cluster: ApiServerHandle, run_cli: RunCli, tmp_path: Path) -> None:
    missing = run_cli("scan", "--cluster", "--kubeconfig", str(tmp_path / "nope.yaml"))
    assert missing.code == 2
    assert _error_lines(missing.err) == [f"kubeaudit: error: kubeconfig not found: {tmp_path / 'nope.yaml'}"]
    unknown = run_cli("scan", "--cluster", "--kubeconfig", str(cluster.kubeconfig_path), "--context", "prod",
                      "--context", "kubeaudit-test", "--context", "staging")  # fmt: skip
    assert unknown.code == 2
    lines = _error_lines(unknown.err)
    assert len(lines) == 2
    assert lines[0].startswith("kubeaudit: error: no context 'prod' in kubeconfig")
    assert lines[0].endswith("available: kubeaudit-test")


def test_no_kubeconfig_anywhere(run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    run = run_cli("scan", "--cluster")
    assert run.code == 2
    [line] = _error_lines(run.err)
    assert line.startswith("kubeaudit: error: no kubeconfig")


def test_paths_and_cluster_options_are_checked(run_cli: RunCli) -> None:
    assert run_cli("scan").code == 2
    both = run_cli("scan", "deploy/", "--cluster")
    assert both.code == 2 and "either PATHs or --cluster" in both.err
    stray = run_cli("scan", "deploy/", "--context", "prod")
    assert stray.code == 2 and "add --cluster" in stray.err


def test_kubeconfig_env_with_several_files_and_several_contexts(
    cluster: ApiServerHandle, run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve([], implicit=False) as empty:
        first = write_kubeconfig(tmp_path / "a.yaml", {"prod": cluster}, current="prod")
        second = write_kubeconfig(tmp_path / "b.yaml", {"empty": empty}, current="empty")
        monkeypatch.setenv("KUBECONFIG", f"{first}:{tmp_path / 'missing.yaml'}:{second}")
        current = run_cli("scan", "--cluster", "--no-config", "-f", "json")
        both = run_cli("scan", "--cluster", "--no-config", "-f", "json", "--context", "empty", "--context", "prod")
    assert report(current.out)["inputs"] == ["cluster:prod"]  # the first file's current-context wins
    doc = report(both.out)
    assert doc["inputs"] == ["cluster:empty", "cluster:prod"]
    # Resource findings come from the cluster that has resources; a cluster-level fact (no
    # image-signature admission control) is true of the empty cluster too.
    per_resource = [f for f in doc["findings"] if f["resource"]["kind"] != "Cluster"]
    assert per_resource and {f["location"]["context"] for f in per_resource} == {"prod"}
    assert both.code == 1


def test_token_with_a_line_break_is_one_line_without_the_token(
    cluster: ApiServerHandle, run_cli: RunCli, tmp_path: Path
) -> None:
    kubeconfig = cluster.write_kubeconfig(tmp_path / "newline.yaml", token="s3cret-value\nx")
    run = run_cli("scan", "--cluster", "--kubeconfig", str(kubeconfig), "--no-config")
    assert run.code == 2
    [line] = _error_lines(run.err)
    assert line.startswith(f"kubeaudit: error: context kubeaudit-test ({cluster.url}): cannot send the request")
    assert "s3cret-value" not in run.err


def test_one_context_that_cannot_connect_stops_the_whole_run(
    cluster: ApiServerHandle, run_cli: RunCli, tmp_path: Path
) -> None:
    """Documented: every context is checked before any is scanned; one that cannot be reached is one
    line and exit 2, and nothing is scanned, so a report never silently covers fewer clusters than asked."""
    with serve([], implicit=False) as down:
        kubeconfig = write_kubeconfig(tmp_path / "two.yaml", {"prod": cluster, "staging": down}, current="prod")
        url = down.url
    cluster.clear_requests()
    run = run_cli("scan", "--cluster", "--kubeconfig", str(kubeconfig), "--no-config", "-f", "json",
                  "--context", "prod", "--context", "staging")  # fmt: skip
    assert run.code == 2 and run.out == ""
    assert _error_lines(run.err) == [f"kubeaudit: error: context staging ({url}): cannot connect: connection refused"]
    assert [r["path"] for r in cluster.requests()] == ["/version"]  # prod answered, and was not listed
