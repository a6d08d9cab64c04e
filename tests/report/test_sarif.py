"""SARIF 2.1.0: valid against the official schema, and meeting each of GitHub code scanning's
documented requirements (rules with help and security-severity, repository-relative URIs,
the offending field's start line, partialFingerprints), checked on real scans."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import jsonschema
import pytest
import yaml
from conftest import AS_OF, BAD_INPUT, FIXTURES, REPO, RunCli

from kubeaudit import __version__
from kubeaudit.engine.loader import load_rules
from kubeaudit.model import (
    CoverageGap,
    Finding,
    Notice,
    Origin,
    Resource,
    ScanError,
    ScanResult,
    ScanStats,
    Severity,
    Suppression,
)
from kubeaudit.report import sarif
from kubeaudit.scan import scan_manifests

SCHEMA_PATH = REPO / "tests" / "data" / "sarif-schema-2.1.0.json"
SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"
SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft4Validator(SCHEMA)

SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "1.0"}
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}

_fixture_runs: dict[str, str] = {}


def assert_valid(log: dict[str, Any]) -> None:
    errors = sorted(VALIDATOR.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message[:200]}" for e in errors[:10])


def fixtures_output(run_cli: RunCli, fmt: str) -> str:
    """`kubeaudit scan fixtures/ --format FMT` from the repository root, run once per format."""
    if fmt not in _fixture_runs:
        # --strict-inputs: fixtures/ is the whole world (its missing-role bindings are findings).
        result = run_cli("scan", "fixtures/", "--format", fmt, "--strict-inputs", "--as-of", AS_OF, cwd=REPO)
        assert result.code == 1, result.err
        _fixture_runs[fmt] = result.out
    return _fixture_runs[fmt]


@pytest.fixture
def log(run_cli: RunCli) -> dict[str, Any]:
    return json.loads(fixtures_output(run_cli, "sarif"))


@pytest.fixture
def json_report(run_cli: RunCli) -> dict[str, Any]:
    return json.loads(fixtures_output(run_cli, "json"))


def scan_sarif(run_cli: RunCli, cwd: Path, *args: str) -> dict[str, Any]:
    result = run_cli("scan", *args, "--format", "sarif", cwd=cwd)
    assert result.code in (0, 1), result.err
    out = json.loads(result.out)
    assert_valid(out)
    return out


PRIVILEGED_ONLY = ("--disable", "*", "--enable", "pss-baseline-privileged")
# Rules that judge each workload on its own fields (not namespace-wide views, whose findings
# are anchored to whichever workload comes first).
PER_RESOURCE_RULES = ("--disable", "*", "--enable", "pss-*", "--enable", "container-*", "--enable", "readonly-*")


# -- the schema and validity --------------------------------------------------------------------


def test_the_schema_is_the_official_one_and_needs_no_network() -> None:
    assert hashlib.sha256(SCHEMA_PATH.read_bytes()).hexdigest() == SCHEMA_SHA256
    jsonschema.Draft4Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "http://json-schema.org/draft-04/schema#"
    refs = re.findall(r'"\$ref"\s*:\s*"([^"]*)"', SCHEMA_PATH.read_text(encoding="utf-8"))
    assert refs and all(ref.startswith("#/definitions/") for ref in refs)
    # The schema's own id is what our logs name in $schema.
    assert SCHEMA["id"] == sarif.SARIF_SCHEMA


def test_the_validator_rejects_a_broken_log(log: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(log))
    broken["runs"][0]["results"][0]["level"] = "critical"
    del broken["runs"][0]["tool"]["driver"]["name"]
    assert len(list(VALIDATOR.iter_errors(broken))) == 2


def test_sarif_of_the_fixtures_validates_against_the_official_schema(
    log: dict[str, Any], json_report: dict[str, Any]
) -> None:
    assert_valid(log)
    assert len(log["runs"]) == 1
    assert len(log["runs"][0]["results"]) == len(json_report["findings"]) > 50


def test_same_input_gives_byte_identical_output(run_cli: RunCli) -> None:
    first = run_cli("scan", "fixtures/", "--format", "sarif", cwd=REPO).out
    second = run_cli("scan", "fixtures/", "--format", "sarif", cwd=REPO).out
    assert first == second and first.endswith("}\n")


# -- GitHub code scanning requirements, one by one ----------------------------------------------


def test_github_log_has_schema_version_and_runs(log: dict[str, Any]) -> None:
    assert list(log)[:3] == ["$schema", "version", "runs"]
    assert log["$schema"] == sarif.SARIF_SCHEMA
    assert log["version"] == "2.1.0"
    assert isinstance(log["runs"], list) and len(log["runs"]) == 1
    assert isinstance(log["runs"][0]["results"], list)


def test_github_tool_driver_names_the_tool_and_its_version(log: dict[str, Any]) -> None:
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "kubeaudit"
    assert driver["version"] == __version__
    assert driver["semanticVersion"] == __version__
    # informationUri comes from the package metadata ([project.urls]); never invented.
    homepage = sarif.information_uri()
    if homepage is None:
        assert "informationUri" not in driver
    else:
        assert driver["informationUri"] == homepage and urlparse(homepage).scheme == "https"


def test_information_uri_is_read_from_the_project_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    class Meta:
        def get_all(self, name: str) -> list[str]:
            assert name == "Project-URL"
            return ["Issues, https://example.org/issues", "Homepage, https://example.org/kubeaudit"]

    monkeypatch.setattr(sarif.metadata, "metadata", lambda _name: Meta())
    assert sarif.information_uri() == "https://example.org/kubeaudit"
    result = scan_manifests([str(FIXTURES / "demo" / "api.yaml")], load_rules())
    driver = sarif.report_dict(result)["runs"][0]["tool"]["driver"]
    assert driver["informationUri"] == "https://example.org/kubeaudit"


def test_github_rules_cover_every_result_and_nothing_else(log: dict[str, Any]) -> None:
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [rule["id"] for rule in rules]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert set(ids) == {result["ruleId"] for result in run["results"]}
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_github_rules_have_names_descriptions_and_help(log: dict[str, Any]) -> None:
    known = {rule.id: rule for rule in load_rules()}
    for descriptor in log["runs"][0]["tool"]["driver"]["rules"]:
        rule = known[descriptor["id"]]
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]*", descriptor["name"])
        assert descriptor["name"].lower() == rule.id.replace("-", "")
        assert descriptor["shortDescription"]["text"] == rule.title
        full = descriptor["fullDescription"]["text"]
        assert full == (" ".join(rule.description.split()) or rule.title) and 0 < len(full) <= 1024
        help_text, help_markdown = descriptor["help"]["text"], descriptor["help"]["markdown"]
        assert rule.remediation in help_text and rule.remediation in help_markdown
        for reference in rule.references:
            assert reference.url in help_text
            assert f"]({reference.url})" in help_markdown
        assert descriptor.get("helpUri") == (rule.references[0].url if rule.references else None)


def test_github_rules_have_level_tags_precision_and_security_severity(log: dict[str, Any]) -> None:
    known = {rule.id: rule for rule in load_rules()}
    for descriptor in log["runs"][0]["tool"]["driver"]["rules"]:
        rule = known[descriptor["id"]]
        assert descriptor["defaultConfiguration"]["level"] == LEVEL[rule.severity.value]
        properties = descriptor["properties"]
        assert "security" in properties["tags"] and rule.category in properties["tags"]
        if rule.profile:
            assert rule.profile in properties["tags"]
        assert set(rule.tags) <= set(properties["tags"])
        assert len(properties["tags"]) == len(set(properties["tags"])) <= 20
        assert properties["precision"] == ("very-high" if rule.profile else "high")
        score = properties["security-severity"]
        assert isinstance(score, str) and 0.0 < float(score) <= 10.0
        assert score == SECURITY_SEVERITY[rule.severity.value]


def test_security_severity_lands_in_githubs_band_for_each_severity() -> None:
    # GitHub: over 9.0 is critical, 7.0 to 8.9 high, 4.0 to 6.9 medium, 0.1 to 3.9 low.
    bands = {"critical": (9.0, 10.0), "high": (7.0, 8.9), "medium": (4.0, 6.9), "low": (0.1, 3.9), "info": (0.1, 3.9)}
    for severity in Severity:
        low, high = bands[severity.value]
        assert low < float(sarif.SECURITY_SEVERITY[severity]) <= high


def test_github_results_have_rule_level_message_and_fingerprint(
    log: dict[str, Any], json_report: dict[str, Any]
) -> None:
    run = log["runs"][0]
    got = Counter()
    for result in run["results"]:
        assert result["ruleId"] and isinstance(result["ruleIndex"], int)
        assert result["level"] in ("error", "warning", "note")
        assert result["message"]["text"].strip()
        fingerprint = result["partialFingerprints"]["kubeaudit/v1"]
        assert re.fullmatch(r"[0-9a-f]{32}", fingerprint)
        region = result["locations"][0]["physicalLocation"]["region"]
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        got[
            (
                result["ruleId"],
                result["level"],
                result["message"]["text"],
                uri,
                region["startLine"],
                region["startColumn"],
                fingerprint,
            )
        ] += 1
    expected = Counter(
        (
            f["ruleId"],
            LEVEL[f["severity"]],
            f["message"],
            f["location"].get("file", f["location"]["source"]),  # the values file that set the field, if one did
            f["location"]["line"],
            f["location"]["column"],
            f["fingerprint"],
        )
        for f in json_report["findings"]
    )
    assert got == expected


def test_github_locations_are_repository_relative_uris_with_start_lines(log: dict[str, Any]) -> None:
    run = log["runs"][0]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == REPO.as_uri() + "/"
    assert run["columnKind"] == "unicodeCodePoints"
    for result in run["results"]:
        assert len(result["locations"]) == 1
        physical = result["locations"][0]["physicalLocation"]
        artifact = physical["artifactLocation"]
        uri = artifact["uri"]
        assert artifact["uriBaseId"] == "%SRCROOT%"
        assert not urlparse(uri).scheme and not uri.startswith(("/", "./")) and "\\" not in uri
        assert (REPO / uri).is_file()
        lines = (REPO / uri).read_text(encoding="utf-8").splitlines()
        region = physical["region"]
        assert 1 <= region["startLine"] <= len(lines)
        assert 1 <= region["startColumn"] <= len(lines[region["startLine"] - 1])


def test_github_results_are_sorted_by_location(log: dict[str, Any]) -> None:
    keys = []
    for result in log["runs"][0]["results"]:
        physical = result["locations"][0]["physicalLocation"]
        keys.append(
            (
                physical["artifactLocation"]["uri"],
                physical["region"]["startLine"],
                physical["region"]["startColumn"],
                result["ruleId"],
            )
        )
    assert keys == sorted(keys)


def test_results_name_the_resource_and_container_as_logical_locations(log: dict[str, Any]) -> None:
    containers = 0
    for result in log["runs"][0]["results"]:
        logical = result["locations"][0]["logicalLocations"]
        resource = logical[0]
        assert resource["kind"] == "resource"
        parts = resource["fullyQualifiedName"].split("/")
        assert len(parts) in (2, 3) and parts[-1] == resource["name"]
        if len(logical) == 2:
            containers += 1
            assert logical[1]["kind"] == "container"
            assert logical[1]["fullyQualifiedName"] == f"{resource['fullyQualifiedName']}/{logical[1]['name']}"
    assert containers > 0


def test_invocation_succeeds_without_notifications_on_a_clean_scan(log: dict[str, Any]) -> None:
    invocation = log["runs"][0]["invocations"][0]
    assert invocation == {"executionSuccessful": True}


# -- lines and fingerprints in real files -------------------------------------------------------

MULTI = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: shop
data:
  privileged: "true"
---
# The API server.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  template:
    spec:
      containers:
        - name: app
          image: nginx:1.27
        - name: sidecar
          image: envoy:1.30
          securityContext:
            privileged: true
---
apiVersion: v1
kind: Pod
metadata:
  name: debug
  namespace: shop
spec:
  containers:
    - name: shell
      image: busybox:1.36
      securityContext: {privileged: true}
"""


def _offending(text: str) -> list[tuple[int, int]]:
    """(line, column) of every `privileged: true` in a securityContext, found in the text itself."""
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = re.search(r"privileged: true", line)
        if match:
            out.append((number, match.start() + 1))
    return out


def test_start_line_is_the_offending_fields_line_in_a_multi_document_file(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "multi.yaml").write_text(MULTI)
    log = scan_sarif(run_cli, tmp_path, "multi.yaml", *PRIVILEGED_ONLY)
    results = log["runs"][0]["results"]
    expected = _offending(MULTI)
    assert expected == [(24, 13), (35, 25)]  # the Deployment's sidecar, then the Pod's flow mapping
    got = []
    for result in results:
        physical = result["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"] == {"uri": "multi.yaml", "uriBaseId": "%SRCROOT%"}
        got.append((physical["region"]["startLine"], physical["region"]["startColumn"]))
    assert got == expected
    names = [[loc["fullyQualifiedName"] for loc in r["locations"][0]["logicalLocations"]] for r in results]
    assert names == [["shop/Deployment/api", "shop/Deployment/api/sidecar"], ["shop/Pod/debug", "shop/Pod/debug/shell"]]


def _reindent(text: str) -> str:
    """Reformatted as another tool would write it: four-space indents, no comments, no flow style."""
    return yaml.safe_dump_all(yaml.safe_load_all(text), indent=4, sort_keys=False, default_flow_style=False)


def _reorder(text: str) -> str:
    docs = text.split("---\n")
    return "---\n".join(reversed(docs))


def _insert_lines(text: str) -> str:
    return "# Owned by the platform team.\n# Reviewed quarterly.\n\n" + text.replace(
        "        - name: sidecar\n", "        # the proxy\n        - name: sidecar\n"
    )


def _swap_containers(text: str) -> str:
    app = "        - name: app\n          image: nginx:1.27\n"
    return text.replace(app, "").replace(
        "          securityContext:\n            privileged: true\n",
        "          securityContext:\n            privileged: true\n" + app,
    )


def _fingerprints(log: dict[str, Any]) -> dict[str, tuple[str, int]]:
    out = {}
    for result in log["runs"][0]["results"]:
        name = result["locations"][0]["logicalLocations"][-1]["fullyQualifiedName"]
        line = result["locations"][0]["physicalLocation"]["region"]["startLine"]
        out[f"{result['ruleId']} {name}"] = (result["partialFingerprints"]["kubeaudit/v1"], line)
    return out


@pytest.mark.parametrize("change", [_reindent, _reorder, _insert_lines, _swap_containers])
def test_fingerprints_survive_reformatting_reordering_and_line_shifts(
    run_cli: RunCli, tmp_path: Path, change: Any
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "app.yaml").write_text(MULTI)
    changed = change(MULTI)
    assert changed != MULTI
    (tmp_path / "b" / "app.yaml").write_text(changed)
    before = _fingerprints(scan_sarif(run_cli, tmp_path / "a", "app.yaml", *PER_RESOURCE_RULES))
    after = _fingerprints(scan_sarif(run_cli, tmp_path / "b", "app.yaml", *PER_RESOURCE_RULES))
    assert len(before) > 5
    assert {k: v[0] for k, v in before.items()} == {k: v[0] for k, v in after.items()}
    assert [v[1] for v in before.values()] != [v[1] for v in after.values()]  # the lines did move


# -- paths --------------------------------------------------------------------------------------


def test_absolute_paths_under_the_working_directory_become_relative(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "my app.yaml").write_text(MULTI)
    log = scan_sarif(run_cli, tmp_path, str(tmp_path / "deploy"), *PRIVILEGED_ONLY)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]}
    assert uris == {"deploy/my%20app.yaml"}


def test_a_symbolic_link_is_reported_at_the_file_it_points_to(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "app.yaml").write_text(MULTI)
    (tmp_path / "prod").mkdir()
    (tmp_path / "prod" / "app.yaml").symlink_to(tmp_path / "base" / "app.yaml")
    log = scan_sarif(run_cli, tmp_path, "prod/app.yaml", *PRIVILEGED_ONLY)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]}
    assert uris == {"base/app.yaml"}


def test_paths_outside_the_working_directory_are_absolute_file_uris(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "repo").mkdir()
    (tmp_path / "elsewhere.yaml").write_text(MULTI)
    log = scan_sarif(run_cli, tmp_path / "repo", "../elsewhere.yaml", *PRIVILEGED_ONLY)
    for result in log["runs"][0]["results"]:
        artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
        assert artifact == {"uri": (tmp_path / "elsewhere.yaml").as_uri()}


def test_standard_input_without_a_file_name_is_pinned_to_the_repository(run_cli: RunCli) -> None:
    """GitHub rejects a whole upload when one result has no physical location."""
    result = run_cli("scan", "-", "--format", "sarif", *PRIVILEGED_ONLY, stdin=MULTI)
    log = json.loads(result.out)
    assert_valid(log)
    results = log["runs"][0]["results"]
    assert len(results) == 2
    for item in results:
        assert item["locations"][0]["physicalLocation"] == {"artifactLocation": {"uri": ".", "uriBaseId": "%SRCROOT%"}}
        assert item["locations"][0]["logicalLocations"][0]["kind"] == "resource"


# -- errors, gaps, notices ----------------------------------------------------------------------


def test_unreadable_files_are_error_notifications_and_the_run_is_unsuccessful(run_cli: RunCli) -> None:
    result = run_cli("scan", str(BAD_INPUT), "--format", "sarif", "--as-of", AS_OF, cwd=REPO)
    assert result.code == 2
    log = json.loads(result.out)
    assert_valid(log)
    errors = json.loads(run_cli("scan", str(BAD_INPUT), "--format", "json", "--as-of", AS_OF, cwd=REPO).out)["errors"]
    invocation = log["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    notes = invocation["toolExecutionNotifications"]
    assert len(notes) == len(errors) >= 10
    for note, error in zip(notes, errors, strict=True):
        assert note["level"] == "error"
        assert note["message"]["text"] == error["message"]
        physical = note["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"] == {"uri": error["source"], "uriBaseId": "%SRCROOT%"}
        if error["line"]:
            assert physical["region"] == {"startLine": error["line"]}
        else:
            assert "region" not in physical


def _result_for(tmp_path: Path, **changes: Any) -> ScanResult:
    (tmp_path / "multi.yaml").write_text(MULTI)
    rules = [r for r in load_rules() if r.id in ("pss-baseline-privileged", "readonly-root-filesystem")]
    result = scan_manifests([str(tmp_path / "multi.yaml")], rules)
    return dataclasses.replace(result, **changes)


def _render(result: ScanResult) -> dict[str, Any]:
    stream = io.StringIO()
    sarif.render(result, stream)
    log = json.loads(stream.getvalue())
    assert_valid(log)
    return log


def test_gaps_unevaluated_rules_and_notices_are_notifications(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = _result_for(
        tmp_path,
        errors=[ScanError("<stdin>", "invalid YAML: oops", 3), ScanError("cluster:prod", "API server unreachable")],
        gaps=[CoverageGap("secrets", "forbidden (403)", "prod")],
        not_evaluated={"pss-baseline-privileged": "needs the server version", "no-such-rule": "unknown"},
        notices=[Notice("multi.yaml", "suppression for rule x expired on 2024-01-01", 12)],
    )
    log = _render(result)
    invocation = log["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    notes = invocation["toolExecutionNotifications"]
    assert [n["level"] for n in notes] == ["error", "error", "warning", "warning", "warning", "note"]
    assert notes[0] == {"message": {"text": "<stdin>:3: invalid YAML: oops"}, "level": "error"}
    assert notes.pop(1) == {"message": {"text": "cluster:prod: API server unreachable"}, "level": "error"}
    assert notes[1]["message"]["text"] == "Not scanned: [prod] secrets: forbidden (403)"
    assert notes[2]["associatedRule"] == {"id": "no-such-rule"}
    rules = [r["id"] for r in log["runs"][0]["tool"]["driver"]["rules"]]
    assert notes[3]["associatedRule"] == {
        "id": "pss-baseline-privileged",
        "index": rules.index("pss-baseline-privileged"),
    }
    assert "needs the server version" in notes[3]["message"]["text"]
    assert notes[4]["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "multi.yaml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 12},
    }


def test_allowed_coverage_gaps_keep_the_run_successful(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = _result_for(tmp_path, gaps=[CoverageGap("secrets", "forbidden (403)")], allow_partial=True)
    invocation = _render(result)["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is True
    assert [n["level"] for n in invocation["toolExecutionNotifications"]] == ["warning"]


# -- suppressions -------------------------------------------------------------------------------


def test_suppressed_findings_stay_in_the_log_with_a_suppression(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = _result_for(tmp_path)
    assert len(result.findings) >= 3
    findings = list(result.findings)
    findings[0] = dataclasses.replace(
        findings[0],
        suppression=Suppression(kind="inSource", source="annotation", justification="the CNI needs it"),
    )
    findings[1] = dataclasses.replace(
        findings[1], suppression=Suppression(kind="external", source="baseline", expires="2030-01-01")
    )
    suppressed = {findings[0].fingerprint: findings[0], findings[1].fingerprint: findings[1]}
    log = _render(dataclasses.replace(result, findings=findings))
    results = log["runs"][0]["results"]
    assert len(results) == len(findings)
    seen = 0
    for item in results:
        fingerprint = item["partialFingerprints"]["kubeaudit/v1"]
        if fingerprint not in suppressed:
            assert "suppressions" not in item
            continue
        seen += 1
        suppression = suppressed[fingerprint].suppression
        assert suppression is not None
        (entry,) = item["suppressions"]
        assert entry["kind"] == suppression.kind and entry["status"] == "accepted"
        assert "state" not in entry
        if suppression.justification:
            assert entry["justification"] == suppression.justification
        else:
            assert "justification" not in entry
        assert entry["properties"]["source"] == suppression.source
    assert seen == 2


# -- cluster findings ---------------------------------------------------------------------------


def _cluster_finding(context: str, namespace: str | None, container: str | None) -> Finding:
    resource = Resource(
        api_version="apps/v1",
        kind="Deployment",
        name="api",
        namespace=namespace,
        data={
            "spec": {"template": {"spec": {"containers": [{"name": "app", "securityContext": {"privileged": True}}]}}}
        },
        origin=Origin(source=f"cluster:{context}", context=context),
    )
    (rule,) = [r for r in load_rules() if r.id == "pss-baseline-privileged"]
    return Finding(
        rule=rule.meta,
        severity=Severity.CRITICAL,
        message="Container runs privileged.",
        resource=resource,
        path=("spec", "template", "spec", "containers", 0, "securityContext", "privileged"),
        position=None,
        container=container,
    )


def test_cluster_findings_get_a_k8s_uri_and_logical_locations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    rules = [r.meta for r in load_rules() if r.id == "pss-baseline-privileged"]
    eks = "arn:aws:eks:eu-west-1:123456789012:cluster/prod"
    findings = [_cluster_finding("ctx", "shop", "app"), _cluster_finding(eks, None, None)]
    result = ScanResult(findings=findings, errors=[], stats=ScanStats(), inputs=["cluster:ctx"], rules=rules)
    log = _render(result)
    results = log["runs"][0]["results"]
    by_uri = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: r for r in results}
    assert set(by_uri) == {
        "k8s://ctx/shop/Deployment/api",
        "k8s://arn%3Aaws%3Aeks%3Aeu-west-1%3A123456789012%3Acluster%2Fprod/Deployment/api",
    }
    for uri, item in by_uri.items():
        physical = item["locations"][0]["physicalLocation"]
        assert physical == {"artifactLocation": {"uri": uri}}  # no uriBaseId, no region
        assert urlparse(uri).scheme == "k8s"
        assert item["partialFingerprints"]["kubeaudit/v1"] in {f.fingerprint for f in findings}
    logical = by_uri["k8s://ctx/shop/Deployment/api"]["locations"][0]["logicalLocations"]
    assert logical == [
        {"fullyQualifiedName": "shop/Deployment/api", "kind": "resource", "name": "api"},
        {"fullyQualifiedName": "shop/Deployment/api/app", "kind": "container", "name": "app"},
    ]
    assert log["runs"][0]["tool"]["driver"]["rules"][0]["id"] == "pss-baseline-privileged"


# -- the serialiser -----------------------------------------------------------------------------


def test_serialiser_uses_schema_names_and_leaves_out_defaults() -> None:
    import sarif_om as om

    result = om.Result(
        message=om.Message(text="m"),
        rule_id="r",
        rule_index=0,
        kind="fail",  # the default: left out
        level="warning",  # the default, but always written
        properties=sarif.PropertyBag(tags=["security"], additional={"security-severity": "5.5", "b": 1}),
    )
    assert sarif.to_json(result) == {
        "message": {"text": "m"},
        "level": "warning",
        "properties": {"tags": ["security"], "b": 1, "security-severity": "5.5"},
        "ruleId": "r",
        "ruleIndex": 0,
    }
    assert sarif.to_json(
        om.ToolComponent(name="t", language="en-US", contents=["localizedData", "nonLocalizedData"])
    ) == {"name": "t"}
    assert sarif.to_json(sarif.Suppression(kind="external", status="accepted")) == {
        "kind": "external",
        "status": "accepted",
    }


def test_rule_names_are_pascal_case() -> None:
    assert sarif.rule_name("pss-baseline-privileged") == "PssBaselinePrivileged"
    assert sarif.rule_name("no_latest.tag-v2") == "NoLatestTagV2"
