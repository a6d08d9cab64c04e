"""Reports are written as they are made (one finding, result or suite at a time), so a big scan
does not hold its report twice; what is written is byte for byte the document built whole, also
for scans that errors interrupted, and SARIF stays valid against the official schema."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import BAD_INPUT, FIXTURES, REPO

from kubeaudit.api import ScanOptions, run
from kubeaudit.model import ScanResult
from kubeaudit.report import json_report, jsontext, junit, sarif

SCHEMA = json.loads((REPO / "tests" / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
TWICE = """\
apiVersion: v1
kind: Pod
metadata: {name: same}
spec:
  containers: [{name: c, image: nginx, securityContext: {privileged: true}}]
---
apiVersion: v1
kind: Pod
metadata: {name: same}
spec:
  containers: [{name: c, image: nginx, securityContext: {privileged: true}}]
"""


def _scan(*paths: Path) -> ScanResult:
    return run(ScanOptions(paths=[str(p) for p in paths], use_config=False))


@pytest.fixture(scope="module")
def demo() -> ScanResult:
    return _scan(FIXTURES / "demo")


@pytest.fixture(scope="module")
def interrupted(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    """A scan that errors cut short: files that do not parse, among files with findings (one of
    them holding the same Pod twice), so the scan is incomplete."""
    folder = tmp_path_factory.mktemp("interrupted")
    (folder / "twice.yaml").write_text(TWICE, encoding="utf-8")
    result = _scan(FIXTURES / "demo", BAD_INPUT, folder)
    assert result.errors and not result.complete and result.findings
    return result


def _written(render: Any, result: ScanResult) -> str:
    stream = io.StringIO()
    render(result, stream)
    return stream.getvalue()


@pytest.mark.parametrize("which", ["demo", "interrupted"])
def test_the_streamed_json_report_is_the_whole_document(which: str, request: pytest.FixtureRequest) -> None:
    result = request.getfixturevalue(which)
    written = _written(json_report.render, result)
    assert written == json.dumps(json_report.report_dict(result), indent=2) + "\n"
    assert len(json.loads(written)["findings"]) == len(result.findings)


@pytest.mark.parametrize("which", ["demo", "interrupted"])
def test_the_streamed_sarif_log_is_the_whole_document_and_valid(which: str, request: pytest.FixtureRequest) -> None:
    result = request.getfixturevalue(which)
    written = _written(sarif.render, result)
    assert written == json.dumps(sarif.report_dict(result), indent=2) + "\n"
    log = json.loads(written)
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    run_ = log["runs"][0]
    assert len(run_["results"]) == len(result.findings)
    assert run_["invocations"][0]["executionSuccessful"] is result.complete


def test_streamed_sarif_results_keep_their_order_and_unique_fingerprints(interrupted: ScanResult) -> None:
    results = json.loads(_written(sarif.render, interrupted))["runs"][0]["results"]
    fingerprints = [r["partialFingerprints"]["kubeaudit/v1"] for r in results]
    assert len(set(fingerprints)) == len(fingerprints)
    assert any(f.endswith(":2") for f in fingerprints)  # the second copy of the Pod in twice.yaml

    def where(result: dict[str, Any]) -> tuple[str, int]:
        physical = result["locations"][0]["physicalLocation"]
        return physical["artifactLocation"]["uri"], physical.get("region", {}).get("startLine", 0)

    assert [where(r) for r in results] == sorted(where(r) for r in results)


@pytest.mark.parametrize("which", ["demo", "interrupted"])
@pytest.mark.parametrize("fail_on", [None, "high"])
def test_the_streamed_junit_report_is_the_whole_tree(
    which: str, fail_on: str | None, request: pytest.FixtureRequest
) -> None:
    result = request.getfixturevalue(which)
    stream = io.StringIO()
    junit.render(result, stream, fail_on=fail_on)
    tree = junit.report_tree(result, fail_on)
    ET.indent(tree)
    assert (
        stream.getvalue() == '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(tree, encoding="unicode") + "\n"
    )
    root = ET.fromstring(stream.getvalue())
    assert int(root.get("tests", "0")) == len(root.findall("testsuite/testcase"))
    assert int(root.get("errors", "0")) >= len(result.errors)


def test_streamed_items_are_written_as_the_list_they_yield() -> None:
    for items in ([], [1], [{"a": [1, {}]}, "x", None]):
        document = {"head": 1, "items": jsontext.Items(iter(items)), "tail": [2]}
        stream = io.StringIO()
        jsontext.dump(document, stream)
        assert stream.getvalue() == json.dumps({"head": 1, "items": items, "tail": [2]}, indent=2)
