"""The reporters' registry: every format's reporter as the registry says, imported only when used."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from kubeaudit.report import FORMAT_OF_SUFFIX, FORMATS, REPORTER_MODULES, REPORTERS, SUFFIXES

REPO = Path(__file__).resolve().parents[2]


def test_each_format_has_the_reporter_and_suffix_the_registry_names() -> None:
    assert FORMATS == ("console", "json", "sarif", "junit", "html")
    for name in FORMATS:
        reporter = REPORTERS[name]
        assert reporter.name == name
        assert reporter.suffix == SUFFIXES.get(name), name
        assert type(reporter).__module__ == REPORTER_MODULES[name][0]
    assert FORMAT_OF_SUFFIX == {".json": "json", ".sarif": "sarif", ".xml": "junit", ".html": "html"}
    assert REPORTERS["json"] is REPORTERS["json"]  # made once


PROBE = """
import json, sys
from kubeaudit.cli import main
code = main(["scan", sys.argv[1], "-f", "json", "-o", sys.argv[2], "--no-config", "--fail-on", "none"])
print(json.dumps({"code": code, "heavy": sorted({m.split(".")[0] for m in sys.modules} & {"rich", "sarif_om"}),
                  "reporters": sorted(m for m in sys.modules if m.startswith("kubeaudit.report."))}))
"""


def test_a_json_scan_imports_no_other_reporter(tmp_path: Path) -> None:
    """rich, sarif-om (with attrs), the JUnit and HTML writers cost a JSON scan tens of milliseconds
    (attrs itself may come with jsonschema, when the rules are validated afresh)."""
    report = tmp_path / "report.json"
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, str(REPO / "fixtures" / "demo"), str(report)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    assert found["code"] == 0 and json.loads(report.read_text())["findings"]
    assert found["heavy"] == []
    assert not [m for m in found["reporters"] if m.split(".")[2] in ("console", "sarif", "junit", "html_report")]
