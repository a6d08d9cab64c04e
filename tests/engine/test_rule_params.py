"""Rule parameters that change what a rule is: `severity`, and `requires` (off while empty)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kubeaudit.config import load_config
from kubeaudit.engine.loader import RuleError, load_rules
from kubeaudit.scan import scan_manifests
from tests.conftest import REPO

POD = """\
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: app
      image: quay.io/team/app:1.0
"""


def _rule(rule_id: str, params: dict[str, object] | None = None):  # type: ignore[no-untyped-def]
    [rule] = [r for r in load_rules(params={rule_id: params} if params else None) if r.id == rule_id]
    return rule


def test_severity_parameter_raises_image_not_pinned(tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text(POD)
    assert _rule("image-not-pinned").severity.value == "low"
    raised = _rule("image-not-pinned", {"severity": "high"})
    [finding] = scan_manifests([str(tmp_path)], [raised]).findings
    assert finding.severity.value == "high" and finding.line == 7


def test_bad_severity_parameter_is_an_error_naming_the_rule() -> None:
    with pytest.raises(RuleError, match=r"rules.params.image-not-pinned.severity: 'urgent' is not one of"):
        _rule("image-not-pinned", {"severity": "urgent"})


def test_registry_allow_list_is_off_while_empty_and_judges_once_set(tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text(POD)
    assert scan_manifests([str(tmp_path)], [_rule("image-registry-not-allowed")]).findings == []
    strict = _rule("image-registry-not-allowed", {"allowed_registries": ["ghcr.io"]})
    [finding] = scan_manifests([str(tmp_path)], [strict]).findings
    assert "quay.io" in finding.message and finding.line == 7
    allowed = _rule("image-registry-not-allowed", {"allowed_registries": ["quay.io/team"]})
    assert scan_manifests([str(tmp_path)], [allowed]).findings == []


def test_requires_must_name_a_declared_parameter(tmp_path: Path) -> None:
    rule = yaml.safe_load((REPO / "rules/images/image-registry-not-allowed.yaml").read_text())
    rule["requires"] = ["allowed_registrys"]
    (tmp_path / "image-registry-not-allowed.yaml").write_text(yaml.safe_dump(rule))
    with pytest.raises(RuleError, match="requires: unknown parameter"):
        load_rules([tmp_path], include_builtin=False)


def test_deploy_configmap_sets_the_registry_allow_list(tmp_path: Path) -> None:
    configmap = yaml.safe_load((REPO / "deploy/configmap.yaml").read_text())
    config_file = tmp_path / "kubeaudit.yaml"
    config_file.write_text(configmap["data"]["kubeaudit.yaml"])
    config = load_config(config_file)
    allowed = config.params["image-registry-not-allowed"]["allowed_registries"]
    rule = _rule("image-registry-not-allowed", {"allowed_registries": allowed})
    cronjob = (REPO / "deploy/cronjob.yaml").read_text()
    (tmp_path / "cronjob.yaml").write_text(cronjob)
    assert scan_manifests([str(tmp_path / "cronjob.yaml")], [rule]).findings == []  # its own image is allowed
    assert "/etc/kubeaudit/kubeaudit.yaml" in cronjob
