"""Pod Security policy versions: the data file, its agreement with the rules and their
fixtures, and how a scan picks the version each pod is judged at."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from conftest import RunCli

from kubeaudit.engine.loader import builtin_rules_dir, load_rules
from kubeaudit.engine.policy_versions import load_policy_versions
from tests.apiserver import running_apiserver

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "rules"
PSS_RULES = {r.id: r for r in load_rules() if r.profile in ("baseline", "restricted")}

POD_WITH_SYSCTL = """\
apiVersion: v1
kind: Pod
metadata: {{name: tuned, namespace: {namespace}}}
spec:
  securityContext:
    sysctls: [{{name: {sysctl}, value: "1"}}]
  containers: [{{name: app, image: nginx}}]
"""


def namespace(name: str, version: str | None) -> str:
    labels = f"{{pod-security.kubernetes.io/enforce-version: {version}}}" if version else "{}"
    return f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {name}, labels: {labels}}}\n"


def test_data_file_names_its_source_date_and_latest_version() -> None:
    data = load_policy_versions()
    assert data.source.startswith("https://github.com/kubernetes/kubernetes/")
    assert data.updated <= dt.date(2026, 12, 1)
    assert data.latest == 37
    assert (builtin_rules_dir() / "data" / "pss-versions.schema.json").is_file()


def test_every_pss_rule_has_its_version_history_and_nothing_else_does() -> None:
    controls = load_policy_versions().controls
    assert set(controls) == set(PSS_RULES)
    for rule_id, control in controls.items():
        assert control.level == PSS_RULES[rule_id].profile, rule_id
        for change in control.changes:
            assert set(change.params) <= set(PSS_RULES[rule_id].params), rule_id


def test_the_latest_parameters_are_the_rule_defaults() -> None:
    """A rule file's parameter defaults (what `rules explain` shows) are the latest version's."""
    for rule_id, control in load_policy_versions().controls.items():
        latest = {}
        for change in control.changes:
            latest.update(change.params)
        for name, value in latest.items():
            assert PSS_RULES[rule_id].params[name] == value, (rule_id, name)


def _differences() -> list[tuple[str, int]]:
    found = []
    for rule_id, control in load_policy_versions().controls.items():
        for change in control.changes:
            if change.since > 0:
                found.append((rule_id, change.since))
    return found


@pytest.mark.parametrize("rule_id,since", _differences(), ids=[f"{r}-v1.{s}" for r, s in _differences()])
def test_each_version_difference_has_fixtures_before_and_at_it(rule_id: str, since: int) -> None:
    names = [p.name for p in (FIXTURES / rule_id).iterdir()]
    for minor in (since - 1, since):
        assert any(re.search(rf"-v1\.{minor}-", n) for n in names), f"{rule_id}: no fixture at v1.{minor}"


def test_version_fixtures_pin_the_version_they_are_named_after() -> None:
    for path in FIXTURES.glob("pss-*/*-v1.*-*.yaml"):
        version = re.search(r"-(v1\.[0-9]+)-", path.name).group(1)  # type: ignore[union-attr]
        assert f"pod-security.kubernetes.io/enforce-version: {version}\n" in path.read_text(), path


def test_pss_version_option_and_config_key(tmp_path: Path, run_cli: RunCli) -> None:
    pod = tmp_path / "pod.yaml"
    pod.write_text(POD_WITH_SYSCTL.format(namespace="team", sysctl="net.ipv4.tcp_notsent_lowat"))
    assert run_cli("scan", "--no-config", "--profile", "baseline", str(pod)).code == 0  # safe at latest, v1.37
    old = run_cli("scan", "--no-config", "--profile", "baseline", "--pss-version", "v1.36", "-f", "json", str(pod))
    assert old.code == 1
    finding = json.loads(old.out)["findings"][0]
    assert finding["policyVersion"] == "v1.36"
    assert finding["message"].endswith("at Pod Security policy v1.36.")
    config = tmp_path / ".kubeaudit.yaml"
    config.write_text("pss-version: v1.36\nprofile: baseline\n")
    assert run_cli("scan", "--config", str(config), str(pod)).code == 1
    config.write_text("pss-version: '1.36'\n")
    bad = run_cli("scan", "--config", str(config), str(pod))
    assert bad.code == 2 and "pss-version" in bad.err
    bad = run_cli("scan", "--no-config", "--pss-version", "v2.1", str(pod))
    assert bad.code == 2 and "not a Pod Security policy version" in bad.err


def test_references_name_the_version_the_run_applies(tmp_path: Path, run_cli: RunCli) -> None:
    pod = tmp_path / "pod.yaml"
    pod.write_text(POD_WITH_SYSCTL.format(namespace="team", sysctl="kernel.msgmax"))
    sarif = json.loads(run_cli("scan", "--no-config", "--pss-version", "v1.30", "-f", "sarif", str(pod)).out)
    rules = {r["id"]: r for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert "Pod Security Standards (policy v1.30), Baseline: Sysctls" in rules["pss-baseline-sysctls"]["help"]["text"]


def test_a_namespace_object_pins_its_pods_version_wherever_it_is_in_the_input(tmp_path: Path, run_cli: RunCli) -> None:
    """The pods' file sorts first, the Namespace's last: the pin still applies."""
    (tmp_path / "a-pods.yaml").write_text(
        POD_WITH_SYSCTL.format(namespace="legacy", sysctl="net.ipv4.tcp_rmem")
        + "---\n"
        + POD_WITH_SYSCTL.format(namespace="current", sysctl="net.ipv4.tcp_rmem").replace("tuned", "tuned2")
    )
    (tmp_path / "z-namespaces.yaml").write_text(namespace("legacy", "v1.31") + "---\n" + namespace("current", None))
    run = run_cli("scan", "--no-config", "--profile", "baseline", "-f", "json", str(tmp_path))
    findings = json.loads(run.out)["findings"]
    assert [(f["resource"]["namespace"], f["policyVersion"]) for f in findings] == [("legacy", "v1.31")]


def test_a_cluster_judges_pods_at_the_server_version_and_at_pinned_versions(tmp_path: Path, run_cli: RunCli) -> None:
    """`latest`, and no label, mean the API server's own version (v1.30 here)."""
    documents = [
        namespace("unlabelled", None),
        namespace("latest", "latest"),
        namespace("pinned", "v1.32"),
        *(POD_WITH_SYSCTL.format(namespace=n, sysctl="net.ipv4.tcp_rmem") for n in ("unlabelled", "latest", "pinned")),
    ]
    (tmp_path / "cluster.yaml").write_text("---\n".join(documents))
    with running_apiserver([tmp_path / "cluster.yaml"], git_version="v1.30.2", implicit=False) as api:
        run = run_cli("scan", "--cluster", "--kubeconfig", str(api.kubeconfig_path), "--no-config",
                      "--profile", "baseline", "-f", "json")  # fmt: skip
    findings = json.loads(run.out)["findings"]
    assert sorted((f["resource"]["namespace"], f["policyVersion"]) for f in findings) == [
        ("latest", "v1.30"),
        ("unlabelled", "v1.30"),
    ]
