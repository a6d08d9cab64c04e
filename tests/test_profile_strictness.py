"""A stricter profile never reports less: every finding of `--profile baseline` is also
a finding of `--profile restricted`, on the same field, at the same or a higher severity
and with the same message (issue 8: a pod adding SYS_ADMIN with a hostPath `/` passed
`--profile restricted --fail-on high` because the restricted rules that tighten the
baseline ones carried a lower severity and a vaguer message)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import RULE_FIXTURES, RunCli

from kubeaudit.engine.loader import load_rules
from kubeaudit.engine.rule import Rule
from kubeaudit.engine.selection import select_rules
from kubeaudit.model import Finding
from kubeaudit.scan import scan_manifests

PSS_FIXTURES = sorted(p for p in RULE_FIXTURES.glob("pss-*/*.yaml"))


def _family(rules: list[Rule]) -> dict[str, str]:
    """Rule id -> the family it belongs to: a restricted rule that tightens a baseline
    rule is of the baseline rule's family."""
    family = {r.id: r.id for r in rules}
    for rule in rules:
        for old in rule.supersedes:
            family[rule.id] = old
    return family


def _by_place(findings: list[Finding], family: dict[str, str]) -> dict[tuple[object, ...], list[Finding]]:
    out: dict[tuple[object, ...], list[Finding]] = {}
    for f in findings:
        origin = f.resource.origin
        key = (family[f.rule_id], origin.document, f.resource.ref, f.path)
        out.setdefault(key, []).append(f)
    return out


def test_there_are_pss_fixtures() -> None:
    assert len(PSS_FIXTURES) >= 19 * 2


@pytest.mark.parametrize("fixture", PSS_FIXTURES, ids=[f"{p.parent.name}/{p.name}" for p in PSS_FIXTURES])
def test_restricted_reports_everything_baseline_reports(fixture: Path) -> None:
    rules = load_rules()
    family = _family(rules)
    baseline = scan_manifests([str(fixture)], select_rules(rules, "baseline"))
    restricted = scan_manifests([str(fixture)], select_rules(rules, "restricted"))
    stricter = _by_place(restricted.findings, family)
    for place, found in _by_place(baseline.findings, family).items():
        assert place in stricter, f"restricted lost {place}"
        for looser in found:
            matches = [f for f in stricter[place] if f.severity.rank >= looser.severity.rank]
            assert matches, f"restricted weakened {place}: {[f.severity.value for f in stricter[place]]}"
            assert any(f.message == looser.message for f in matches), f"restricted is vaguer at {place}"


def test_restricted_profile_fails_the_gate_where_baseline_does(tmp_path: Path, run_cli: RunCli) -> None:
    pod = tmp_path / "pod.yaml"
    pod.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: x}\nspec:\n"
        "  containers:\n  - name: app\n    image: nginx:1.0\n"
        "    securityContext: {capabilities: {add: [SYS_ADMIN]}}\n"
        "    volumeMounts: [{name: root, mountPath: /host}]\n"
        "  volumes: [{name: root, hostPath: {path: /}}]\n"
    )
    for profile in ("baseline", "restricted", "all"):
        run = run_cli("scan", "--no-config", "--profile", profile, "--fail-on", "high", str(pod))
        assert run.code == 1, (profile, run.out)
        assert "SYS_ADMIN" in run.out, profile
