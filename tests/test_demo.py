"""The bundled demo is what a new user scans first: it must say what its README says."""

from __future__ import annotations

import json

from conftest import FIXTURES, REPO, RunCli

DEMO = FIXTURES / "demo"


def test_hardened_storefront_is_clean(run_cli: RunCli) -> None:
    result = run_cli("scan", str(DEMO / "storefront.yaml"), "--no-config", "--profile", "restricted")
    assert result.code == 0, result.out
    result = run_cli("scan", str(DEMO / "storefront.yaml"), "--no-config")
    assert result.code == 0, result.out


def test_demo_scan_finds_the_deliberate_mistakes(run_cli: RunCli) -> None:
    result = run_cli("scan", "fixtures/demo", "--no-config", "--format", "json", cwd=REPO)
    assert result.code == 1
    report = json.loads(result.out)
    assert report["complete"] and report["summary"]["files"] == 7 and report["summary"]["skippedDocuments"] == 1
    found = {(f["location"]["source"].rsplit("/", 1)[-1], f["ruleId"]) for f in report["findings"]}
    for expected in [
        ("api.yaml", "secret-in-env"),
        ("database.yaml", "pss-restricted-run-as-user"),
        ("database.yaml", "host-path-read-write"),
        ("cache.yaml", "default-namespace"),
        ("log-collector.json", "pss-baseline-privileged"),
        ("log-collector.json", "pss-baseline-host-namespaces"),
    ]:
        assert expected in found, expected
    assert not any(source == "storefront.yaml" for source, _ in found)
