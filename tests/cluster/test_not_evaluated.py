"""Never assert what was not read: a cross-resource rule whose input kinds could not be
fully read (403) reports nothing; the targets it would have judged are listed as not
evaluated, with the reason, in every format."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from tests.cluster.conftest import EQUIVALENCE, report, serve
from tests.conftest import RunCli

NETPOL = "networkpolicies.networking.k8s.io"
SCHEMA = json.loads((Path(__file__).parents[2] / "kubeaudit" / "report" / "json-report.schema.json").read_text())
CASES = {
    "networkpolicies": ([NETPOL], "netpol-", "NetworkPolicy could not be read"),
    "rolebindings": (["rolebindings.rbac.authorization.k8s.io"], "rbac-", "RoleBinding could not be read"),
    "clusterroles": (["clusterroles.rbac.authorization.k8s.io"], "rbac-", "ClusterRole could not be read"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_unreadable_inputs_of_a_cross_resource_rule_give_no_findings(run_cli: RunCli, case: str) -> None:
    forbid, prefix, reason = CASES[case]
    with serve(EQUIVALENCE, implicit=False) as api:
        args = ("scan", "--cluster", "--kubeconfig", str(api.kubeconfig_path), "--no-config")
        readable = report(run_cli(*args, "-f", "json").out)
    assert any(f["ruleId"].startswith(prefix) for f in readable["findings"])  # the example has some
    with serve(EQUIVALENCE, forbid=forbid, implicit=False) as api:
        args = ("scan", "--cluster", "--kubeconfig", str(api.kubeconfig_path), "--no-config")
        run = run_cli(*args, "-f", "json")
        partial = run_cli(*args, "-f", "json", "--allow-partial", "--disable", "*", "--enable", f"{prefix}*")
        console = run_cli(*args)
        sarif = json.loads(run_cli(*args, "-f", "sarif").out)
    doc = report(run.out)
    assert run.code == 2
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)  # targets are part of the documented shape
    assert not [f["ruleId"] for f in doc["findings"] if f["ruleId"].startswith(prefix)]
    skipped = {e["ruleId"]: e for e in doc["notEvaluated"] if e["ruleId"].startswith(prefix)}
    assert skipped and all(reason in e["reason"] for e in skipped.values())
    assert any(e["targets"] for e in skipped.values())  # what would have been judged, by name
    assert partial.code == 0 and not report(partial.out)["findings"]  # nothing asserted, gate green
    some = next(e for e in skipped.values() if e["targets"])
    assert some["targets"][0] in console.out
    notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert any(some["targets"][0] in n["message"]["text"] for n in notes)
