"""Report formats: the JSON shape is documented and validated; the console report
is grouped and readable; no format ever shows a secret value."""

from __future__ import annotations

import io
import json
from pathlib import Path

import jsonschema
import pytest
from conftest import FIXTURES, REPO, RunCli

from kubeaudit.engine.loader import load_rules
from kubeaudit.report import console
from kubeaudit.scan import scan_manifests

SCHEMA = json.loads((REPO / "kubeaudit" / "report" / "json-report.schema.json").read_text())


def test_json_report_of_the_fixtures_validates_against_its_schema(run_cli: RunCli) -> None:
    result = run_cli("scan", str(FIXTURES), "--format", "json", cwd=REPO)
    report = json.loads(result.out)
    jsonschema.Draft202012Validator(SCHEMA).validate(report)
    assert report["summary"]["findings"]["total"] == len(report["findings"]) > 50
    assert len(report["ruleIds"]) == report["summary"]["rules"] and report["ruleIds"] == sorted(report["ruleIds"])
    first = report["findings"][0]
    assert first["location"]["line"] >= 1 and first["path"] and len(first["fingerprint"]) == 32


def test_json_report_with_errors_validates_too(run_cli: RunCli) -> None:
    result = run_cli("scan", "tests/data/bad-input", "--format", "json", cwd=REPO)
    report = json.loads(result.out)
    jsonschema.Draft202012Validator(SCHEMA).validate(report)
    assert report["complete"] is False and report["errors"]


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: app
          image: nginx
          securityContext:
            privileged: true
"""


def _console_text(tmp_path: Path, color: bool) -> str:
    (tmp_path / "web.yaml").write_text(DEPLOYMENT)
    (tmp_path / "values.yaml").write_text("replicas: 2\n")
    rules = [r for r in load_rules() if r.id in ("pss-baseline-privileged", "readonly-root-filesystem")]
    result = scan_manifests([str(tmp_path)], rules)
    stream = io.StringIO()
    console.render(result, stream, color)
    return stream.getvalue()


def test_console_groups_by_file_and_resource_without_colour_codes(tmp_path: Path) -> None:
    text = _console_text(tmp_path, color=False)
    assert "\x1b[" not in text
    lines = text.splitlines()
    file_line = next(i for i, line in enumerate(lines) if line.endswith("web.yaml"))
    assert lines[file_line + 1].strip() == "Deployment/web"
    # findings in line order: the missing readOnlyRootFilesystem at securityContext, then privileged
    assert "LOW      line 11" in lines[file_line + 2] and "readonly-root-filesystem" in lines[file_line + 2]
    assert "CRITICAL line 12" in lines[file_line + 4] and "pss-baseline-privileged" in lines[file_line + 4]
    assert lines[file_line + 5].strip() == "fix: Remove securityContext.privileged or set it to false."
    assert "Scanned 2 files, 1 resource with 2 rules; skipped 1 non-Kubernetes document." in text
    assert "2 findings (1 critical, 1 low)" in text


def test_console_colour_only_when_asked(tmp_path: Path) -> None:
    assert "\x1b[" in _console_text(tmp_path, color=True)


@pytest.mark.parametrize("no_color", ["1", ""])
def test_no_color_env_and_non_tty_mean_plain_text(
    run_cli: RunCli, monkeypatch: pytest.MonkeyPatch, no_color: str
) -> None:
    if no_color:
        monkeypatch.setenv("NO_COLOR", no_color)
    result = run_cli("scan", str(FIXTURES / "rules" / "pss-baseline-privileged"))
    assert "\x1b[" not in result.out  # captured stdout is not a TTY


SECRETS = """\
apiVersion: v1
kind: Secret
metadata: {name: db, namespace: shop}
stringData:
  password: s3cr3t-stringdata
data:
  token: c3VwZXJzZWNyZXQ=
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    spec:
      containers:
        - name: api
          image: api:1
          env:
            - name: DB_PASSWORD
              value: hunter2-literal
"""


@pytest.mark.parametrize("fmt", ["console", "json", "sarif", "junit", "html"])
def test_secret_values_never_appear_in_any_report(run_cli: RunCli, tmp_path: Path, fmt: str) -> None:
    (tmp_path / "app.yaml").write_text(SECRETS)
    result = run_cli("scan", str(tmp_path), "--format", fmt)
    assert "secret-in-env" in result.out  # the literal password is found...
    for value in ("hunter2-literal", "s3cr3t-stringdata", "c3VwZXJzZWNyZXQ=", "supersecret"):
        assert value not in result.out + result.err  # ...but never shown
