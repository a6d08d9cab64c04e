"""`kubeaudit psa-plan` on a mixed cluster (fixtures/psa): labelled, unlabelled, pinned to old
policy versions and exempt by the admission configuration, from files and from the API server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import RunCli

from tests.apiserver import running_apiserver

REPO = Path(__file__).resolve().parents[1]
CLUSTER = REPO / "fixtures" / "psa" / "cluster"
ADMISSION = REPO / "fixtures" / "psa" / "admission.yaml"
CAPS_R, PRIV_ESC = "pss-restricted-capabilities", "pss-restricted-privilege-escalation"
NON_ROOT, SECCOMP_R = "pss-restricted-run-as-non-root", "pss-restricted-seccomp"
EXPLICIT = [CAPS_R, PRIV_ESC, NON_ROOT, SECCOMP_R]  # what a pod without securityContext misses


def plan(run_cli: RunCli, *args: str) -> dict[str, Any]:
    run = run_cli("psa-plan", "--no-config", "-f", "json", *args)
    assert run.code == 0, run.err
    doc: dict[str, Any] = json.loads(run.out)
    return doc


def by_name(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {ns["namespace"]: ns for ns in doc["namespaces"]}


def rejected(ns: dict[str, Any], level: str) -> dict[str, list[str]]:
    return {f"{r['kind']}/{r['name']}": r["controls"] for r in ns["rejected"][level]}


def test_plan_from_files_with_the_admission_configuration(run_cli: RunCli) -> None:
    got = by_name(plan(run_cli, str(CLUSTER), "--psa-config", str(ADMISSION)))
    assert sorted(got) == ["batch", "kube-system", "legacy", "monitoring", "sandbox", "shop", "web"]
    # Labelled, at the newest version (label latest): restricted-compliant, so restricted today.
    web = got["web"]
    assert web["enforces"] == {"level": "baseline", "source": "label"}
    assert web["policyVersion"]["version"] == "v1.37"
    assert web["strictestEnforceable"] == "restricted"
    assert web["command"] == (
        "kubectl label --overwrite namespace web pod-security.kubernetes.io/enforce=restricted "
        "pod-security.kubernetes.io/enforce-version=v1.37"
    )
    # Unlabelled: the admission configuration's defaults (baseline at v1.33) apply.
    shop = got["shop"]
    assert shop["enforces"]["level"] == "baseline" and "default" in shop["enforces"]["source"]
    assert shop["policyVersion"]["version"] == "v1.33"
    assert rejected(shop, "baseline") == {}
    assert rejected(shop, "restricted") == {"Deployment/api": EXPLICIT, "Pod/debug": EXPLICIT}
    assert shop["strictestEnforceable"] == "baseline"
    stalls = {r["name"]: r["stallsRollout"] for r in shop["rejected"]["restricted"]}
    assert stalls == {"api": True, "debug": False}  # a controller's rollout stalls; a bare Pod just stays
    # Pinned to v1.30: tcp_rmem is safe only from v1.32, so baseline at v1.30 rejects the
    # StatefulSet today, and its rollout already stalls.
    legacy = got["legacy"]
    assert legacy["policyVersion"] == {"version": "v1.30", "source": "label v1.30"}
    assert rejected(legacy, "baseline") == {"StatefulSet/db": ["pss-baseline-sysctls"]}
    assert [r["name"] for r in legacy["stalledNow"]] == ["db"]
    assert legacy["strictestEnforceable"] == "privileged"
    # Privileged: the DaemonSet's pods are created by an exempt user; the Deployment is not exempt.
    monitoring = got["monitoring"]
    assert monitoring["exemptWorkloads"] == [
        {
            "kind": "DaemonSet",
            "name": "node-exporter",
            "reason": "its pods are created by system:serviceaccount:kube-system:daemon-set-controller, an exempt user",
        }
    ]
    assert rejected(monitoring, "baseline") == {"Deployment/blackbox": ["pss-baseline-host-namespaces"]}
    assert monitoring["strictestEnforceable"] == "privileged"
    # Restricted pinned to v1.25: the Windows Job is exempt from the Linux-only controls from v1.25.
    batch = got["batch"]
    assert rejected(batch, "restricted") == {} and batch["strictestEnforceable"] == "restricted"
    # Exempt by runtime class: reported as exempt, not as passing.
    sandbox = got["sandbox"]
    assert sandbox["exemptWorkloads"][0]["name"] == "untrusted"
    assert rejected(sandbox, "baseline") == {} and sandbox["strictestEnforceable"] == "restricted"
    # Exempt namespace: no verdict and no command.
    system = got["kube-system"]
    assert system["exempt"] and system["strictestEnforceable"] is None and system["command"] is None


def test_without_an_admission_configuration_nothing_is_exempt(run_cli: RunCli) -> None:
    got = by_name(plan(run_cli, str(CLUSTER)))
    assert got["shop"]["enforces"]["level"] == "privileged"
    assert got["shop"]["policyVersion"]["version"] == "v1.37"
    assert rejected(got["kube-system"], "baseline") == {
        "DaemonSet/kube-proxy": ["pss-baseline-host-namespaces", "pss-baseline-privileged"]
    }
    assert rejected(got["sandbox"], "baseline") == {"Pod/untrusted": ["pss-baseline-privileged"]}
    assert got["monitoring"]["exemptWorkloads"] == []
    # --pss-version sets the version of namespaces that pin none; pinned ones keep theirs.
    old = by_name(plan(run_cli, str(CLUSTER), "--pss-version", "v1.24"))
    assert old["shop"]["policyVersion"]["version"] == "v1.24"
    assert old["legacy"]["policyVersion"]["version"] == "v1.30"
    assert rejected(old["shop"], "restricted")["Deployment/api"] == EXPLICIT


def test_plan_from_the_api_server_matches_the_files(run_cli: RunCli) -> None:
    """The same cluster served by the test API server at v1.34: `latest` is the server's version."""
    files = by_name(plan(run_cli, str(CLUSTER), "--psa-config", str(ADMISSION)))
    with running_apiserver([CLUSTER], git_version="v1.34.1", implicit=False, defaulting=False) as api:
        live = by_name(
            plan(run_cli, "--cluster", "--kubeconfig", str(api.kubeconfig_path), "--psa-config", str(ADMISSION))
        )
    assert {ns["context"] for ns in live.values()} == {"kubeaudit-test"}
    assert live["web"]["policyVersion"] == {"version": "v1.34", "source": "label latest, the API server's version"}
    assert live["shop"]["policyVersion"]["version"] == "v1.33"  # the admission configuration's default
    for name, ns in files.items():
        for key in ("enforces", "exempt", "exemptWorkloads", "rejected", "stalledNow", "strictestEnforceable"):
            assert live[name][key] == ns[key], (name, key)


def test_console_and_markdown_say_what_stalls_and_what_to_run(run_cli: RunCli) -> None:
    console = run_cli("psa-plan", "--no-config", str(CLUSTER), "--psa-config", str(ADMISSION))
    assert console.code == 0
    assert "NOW: baseline already refuses new pods of StatefulSet/db" in console.out
    assert "new pods rejected: the StatefulSet keeps retrying and its rollout stalls" in console.out
    assert "EXEMPT: namespace exempt in" in console.out
    markdown = run_cli("psa-plan", "--no-config", str(CLUSTER), "--psa-config", str(ADMISSION), "-f", "markdown").out
    assert "| legacy | baseline (stalls 1 now) | v1.30 | 1 | 1 | **privileged** |" in markdown
    assert "| kube-system | baseline | v1.33 | exempt | exempt | exempt |" in markdown
    assert (
        "kubectl label --overwrite namespace shop pod-security.kubernetes.io/enforce=baseline "
        "pod-security.kubernetes.io/enforce-version=v1.33"
    ) in markdown
    assert len(markdown) < 65_536  # GitHub's limit for a comment


@pytest.mark.parametrize(
    "text,message",
    [
        ("kind: ConfigMap\n", "not an AdmissionConfiguration or PodSecurityConfiguration"),
        ("apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins: []\n", "no PodSecurity"),
        (
            "apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\n"
            "defaults: {enforce: strict}\n",
            "defaults.enforce: 'strict' is not one of privileged, baseline, restricted",
        ),
        ("kind: [\n", "invalid YAML"),
    ],
)
def test_a_bad_admission_configuration_is_one_usage_error(
    tmp_path: Path, run_cli: RunCli, text: str, message: str
) -> None:
    config = tmp_path / "admission.yaml"
    config.write_text(text)
    run = run_cli("psa-plan", "--no-config", str(CLUSTER), "--psa-config", str(config))
    assert run.code == 2 and run.out == ""
    assert run.err.startswith(f"kubeaudit: error: {config.as_posix()}") and message in run.err
    assert "Traceback" not in run.err


def test_a_pod_security_configuration_on_its_own_or_by_path(tmp_path: Path, run_cli: RunCli) -> None:
    (tmp_path / "podsecurity.yaml").write_text(
        "apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\n"
        "defaults: {enforce: restricted}\nexemptions: {namespaces: [shop]}\n"
    )
    (tmp_path / "admission.yaml").write_text(
        "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\n"
        "plugins: [{name: PodSecurity, path: podsecurity.yaml}]\n"
    )
    for name in ("podsecurity.yaml", "admission.yaml"):
        got = by_name(plan(run_cli, str(CLUSTER), "--psa-config", str(tmp_path / name)))
        assert got["shop"]["exempt"]
        assert got["sandbox"]["enforces"]["level"] == "restricted"


def test_unreadable_input_makes_the_plan_incomplete(tmp_path: Path, run_cli: RunCli) -> None:
    (tmp_path / "broken.yaml").write_text("kind: Pod\nmetadata: [\n")
    run = run_cli("psa-plan", "--no-config", str(CLUSTER), str(tmp_path / "broken.yaml"), "-f", "json")
    assert run.code == 2
    doc = json.loads(run.out)
    assert doc["complete"] is False and doc["notScanned"]


def test_the_namespace_rules_on_the_mixed_cluster(run_cli: RunCli) -> None:
    run = run_cli("scan", "--no-config", str(CLUSTER), "-f", "json", "--disable", "*", "--enable", "pss-namespace-*")
    found = {(f["ruleId"], f["resource"]["name"], f["path"]) for f in json.loads(run.out)["findings"]}
    enforce = "metadata.labels['pod-security.kubernetes.io/enforce']"
    assert {f for f in found if f[0].startswith("pss-namespace-")} == {
        ("pss-namespace-enforce", "shop", enforce),
        ("pss-namespace-enforce", "sandbox", enforce),
        ("pss-namespace-enforce", "kube-system", enforce),
        ("pss-namespace-enforce", "monitoring", enforce),
        ("pss-namespace-warn-audit", "batch", "metadata.labels['pod-security.kubernetes.io/audit']"),
    }


def test_readme_example_is_what_psa_plan_prints(run_cli: RunCli) -> None:
    readme = (REPO / "README.md").read_text()
    start = readme.index("$ kubeaudit psa-plan fixtures/psa/cluster")
    shown = readme[start : readme.index("```", start)].splitlines()
    out = run_cli(*shown[0].split()[2:], cwd=REPO).out.splitlines()
    for line in shown[1:]:
        if line.strip() not in ("...", ""):
            assert line in out, line


def test_markdown_fits_a_comment_on_a_big_cluster(tmp_path: Path, run_cli: RunCli) -> None:
    """Hundreds of failing namespaces: the table and commands stay, details are cut to fit."""
    pod = "apiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}, namespace: team-{i}}}\n"
    pod += "spec: {{hostNetwork: true, containers: [{{name: c, image: nginx}}]}}\n"
    (tmp_path / "pods.yaml").write_text("---\n".join(pod.format(i=i) for i in range(400)))
    run = run_cli("psa-plan", "--no-config", str(tmp_path), "-f", "markdown")
    assert run.code == 0
    assert len(run.out) <= 65_536
    assert "| team-399 | privileged | v1.37 | 1 | 1 | **privileged** |" in run.out
    assert "left out to fit a comment: run with `--format json`" in run.out.splitlines()[-1]


def test_html_plan_is_a_page_with_the_plan_section_and_the_plan_exit_code(run_cli: RunCli, tmp_path: Path) -> None:
    from tests.report.htmltree import parse

    page = tmp_path / "plan.html"
    run = run_cli(
        "psa-plan", "--no-config", str(CLUSTER), "--psa-config", str(ADMISSION), "-f", "html", "-o", str(page)
    )
    assert run.code == 0, run.err
    expected = by_name(plan(run_cli, str(CLUSTER), "--psa-config", str(ADMISSION)))
    doc = parse(page.read_text(encoding="utf-8"))
    assert doc.problems == []
    verdict = doc.root.find(id="verdict")
    assert verdict.attrs["data-exit-code"] == "0" and "plan written for 7 namespaces" in verdict.text
    assert "--fail-on" not in verdict.text  # psa-plan has no gate
    rows = doc.root.find("table", id="psa-plan-table").find("tbody").find_all("tr")
    shown = {r.attrs["data-namespace"]: [td.text for td in r.find_all("td")] for r in rows}
    assert set(shown) == set(expected)
    for name, ns in expected.items():
        if ns["exempt"]:
            assert shown[name][2:] == ["exempt"] * 3
        else:
            counts = [str(len(ns["rejected"][level])) for level in ("baseline", "restricted")]
            assert shown[name][2:] == [*counts, ns["strictestEnforceable"]], name
    section = doc.root.find("section", id="psa-plan")
    assert "Now: baseline already refuses new pods of StatefulSet/db." in section.text
    commands = [code.text for code in section.find_all("code") if code.parent is not None and code.parent.tag == "pre"]
    assert expected["shop"]["command"] in commands
    assert doc.root.find("a", href="#psa-plan") is not None
