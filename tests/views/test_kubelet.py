"""The kubelet view: KubeletConfiguration judged with the kubelet's own defaults for absent fields."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubeaudit.engine.loader import load_rules
from kubeaudit.scan import scan_manifests
from kubeaudit.views.kubelet import go_duration_seconds

KUBELET_RULES = [r for r in load_rules() if r.view == "kubelet"]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("4h0m0s", 14400.0), ("5m", 300.0), ("1.5h", 5400.0), ("300ms", 0.3), ("0", 0.0), ("0s", 0.0),
     ("-5m", -300.0), ("1h30m", 5400.0), ("forever", None), ("5", None), ("", None), ("m5", None), (300, None)],
)  # fmt: skip
def test_go_durations_parse_as_the_kubelet_parses_them(text: object, seconds: float | None) -> None:
    assert go_duration_seconds(text) == seconds


def _scan(tmp_path: Path, text: str) -> tuple[dict[str, list[int]], list[str]]:
    path = tmp_path / "kubelet.yaml"
    path.write_text(text, encoding="utf-8")
    result = scan_manifests([str(path)], KUBELET_RULES)
    lines: dict[str, list[int]] = {}
    for finding in result.findings:
        lines.setdefault(finding.rule_id, []).append(finding.line or 0)
    return lines, [e.message for e in result.errors]


def test_an_empty_configuration_is_judged_by_the_file_defaults_not_the_flag_defaults(tmp_path: Path) -> None:
    found, errors = _scan(tmp_path, "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n")
    assert not errors
    # anonymous auth off, Webhook, read-only port 0, 4h idle timeout, 50 events/s, iptables chains,
    # TLS 1.2 minimum: the file defaults are safe; rotation and kernel protection are off by default.
    assert found == {
        "kubelet-certificate-rotation": [2],
        "kubelet-server-certificate-rotation": [2],
        "kubelet-protect-kernel-defaults": [2],
        "kubelet-tls-cipher-suites": [2],
    }


def test_an_absent_setting_is_reported_at_its_nearest_written_parent(tmp_path: Path) -> None:
    text = (
        "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"
        "featureGates:\n  RotateKubeletServerCertificate: false\n"
    )
    found, _ = _scan(tmp_path, text)
    assert found["kubelet-server-certificate-rotation"] == [2, 4]  # serverTLSBootstrap absent; the gate


def test_the_finding_says_whether_a_value_was_written_or_defaulted(tmp_path: Path) -> None:
    path = tmp_path / "kubelet.yaml"
    path.write_text(
        "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nmetadata: {name: pool-a}\n"
        "readOnlyPort: 10255\n",
        encoding="utf-8",
    )
    result = scan_manifests([str(path)], KUBELET_RULES)
    messages = {f.rule_id: f.message for f in result.findings}
    assert messages["kubelet-read-only-port"] == (
        "Kubelet (KubeletConfiguration pool-a): readOnlyPort is 10255 (must be 0; as written)."
    )
    assert messages["kubelet-certificate-rotation"] == (
        "Kubelet (KubeletConfiguration pool-a): rotateCertificates is false (must be true; the kubelet's default)."
    )


def test_wrongly_typed_settings_make_the_configuration_not_scanned(tmp_path: Path) -> None:
    text = (
        "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nmetadata: {name: a}\n"
        "authentication: {anonymous: {enabled: 'false'}}\n---\n"
        "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nmetadata: {name: b}\n"
        "streamingConnectionIdleTimeout: forever\n"
    )
    found, errors = _scan(tmp_path, text)
    assert found == {}  # nothing asserted about what the kubelet would refuse to load
    assert len(errors) == 2
    assert "authentication.anonymous.enabled must be true or false" in errors[0]
    assert "streamingConnectionIdleTimeout must be a Go duration" in errors[1]
