"""`--jobs N`: manifest files read and checked by worker processes, the same report as a serial scan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FIXTURES, RunCli

from kubeaudit.parallel import can_fork

pytestmark = pytest.mark.skipif(not can_fork(), reason="--jobs runs serially where processes cannot fork")

FORMATS = ["json", "sarif", "junit", "console", "html"]


def _reports(run_cli: RunCli, target: Path, out: Path, jobs: str) -> dict[str, bytes]:
    args = ["scan", str(target), "--no-color", "--no-config", "--jobs", jobs]
    for fmt in FORMATS:
        args += ["-f", fmt, "-o", str(out / f"report-{jobs}.{fmt}")]
    result = run_cli(*args)
    assert result.code in (1, 2), result.err
    return {fmt: (out / f"report-{jobs}.{fmt}").read_bytes() for fmt in FORMATS}


# A Namespace in flow style that pins its pods' Pod Security version.
PINNED_NAMESPACE = (
    "{apiVersion: v1, kind: Namespace, metadata: {name: pinned, labels: "
    "{pod-security.kubernetes.io/enforce-version: v1.30}}}\n"
)


def _privileged_versions_serial_and_parallel(run_cli: RunCli, corpus: Path, tmp_path: Path) -> dict[str, str]:
    """Each pod's policy version in the privileged rule's findings, after requiring the
    --jobs 2 reports to be the serial ones byte for byte."""
    serial = _reports(run_cli, corpus, tmp_path, "1")
    assert _reports(run_cli, corpus, tmp_path, "2") == serial
    return {
        f["resource"]["name"]: f["policyVersion"]
        for f in json.loads(serial["json"])["findings"]
        if f["ruleId"] == "pss-baseline-privileged"
    }


def test_jobs_2_writes_the_same_reports_as_a_serial_scan(run_cli: RunCli, tmp_path: Path) -> None:
    serial = _reports(run_cli, FIXTURES, tmp_path, "1")
    parallel = _reports(run_cli, FIXTURES, tmp_path, "2")
    for fmt in FORMATS:
        assert parallel[fmt] == serial[fmt], fmt
    assert len(json.loads(serial["json"])["findings"]) > 1000


POD = """\
apiVersion: v1
kind: Pod
metadata: {{name: {name}, namespace: pinned}}
spec:
  containers:
  - name: app
    image: registry.example/app:1.0
    securityContext: {{privileged: true}}
"""


def test_a_namespace_only_a_worker_sees_still_pins_the_pods_after_it(run_cli: RunCli, tmp_path: Path) -> None:
    # A Namespace in flow style is not found by the cheap look at the file's bytes, so it is read
    # among the other files, in order: pods before it are judged at the default policy version,
    # pods after it at the version it pins, with or without workers.
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(20):
        (corpus / f"{i:02d}-pod.yaml").write_text(POD.format(name=f"pod-{i:02d}"))
    (corpus / "10-namespace.yaml").write_text(PINNED_NAMESPACE)
    versions = _privileged_versions_serial_and_parallel(run_cli, corpus, tmp_path)
    assert versions["pod-09"] == versions["pod-00"] != "v1.30"
    assert versions["pod-10"] == versions["pod-19"] == "v1.30"


def test_a_namespace_an_overlay_renders_alongside_the_workers_still_pins_the_files_they_read(
    run_cli: RunCli, tmp_path: Path
) -> None:
    # The overlay's Namespace is in flow style, so the cheap look at its files misses it and it is
    # rendered while the workers read the plain files: their pods were judged without its labels,
    # so the scan judges them again itself, as a serial scan would.
    corpus = tmp_path / "corpus"
    overlay = corpus / "a-overlay"
    overlay.mkdir(parents=True)
    (overlay / "kustomization.yaml").write_text("resources: [namespace.yaml]\n")
    (overlay / "namespace.yaml").write_text(PINNED_NAMESPACE)
    for i in range(20):
        (corpus / f"{i:02d}-pod.yaml").write_text(POD.format(name=f"pod-{i:02d}"))
    versions = _privileged_versions_serial_and_parallel(run_cli, corpus, tmp_path)
    assert set(versions.values()) == {"v1.30"} and len(versions) == 20
