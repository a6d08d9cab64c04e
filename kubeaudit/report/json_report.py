"""The JSON report: a stable, versioned shape documented by json-report.schema.json."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TextIO, overload

from kubeaudit import __version__
from kubeaudit.compliance.table import ComplianceTable, Status
from kubeaudit.model import Finding, Location, Path, Position, Resource, ScanResult, Step, format_path
from kubeaudit.report import jsontext
from kubeaudit.report.base import RenderOptions, Reporter
from kubeaudit.report.summary import findings_by_severity

SCHEMA_VERSION = "1.0"


def location_dict(resource: Resource, position: Position | None) -> dict[str, Any]:
    return _location_dict(resource.origin.location(), position)


def _location_dict(where: Location, position: Position | None) -> dict[str, Any]:
    location: dict[str, Any] = {"source": where.source}
    if where.file is not None:
        location["document"] = where.document
        location["line"] = position.line if position else None
        location["column"] = position.column if position else None
        if position is not None and position.file is not None:
            location["file"] = position.file  # the line is in a values file or patch
            via = position.via
            if via is not None:
                location["via"] = {"line": via.line, "column": via.column}
        if where.rendered is not None:
            rendered = where.rendered
            location["rendered"] = {
                "tool": rendered.tool,
                "project": rendered.project,
                "manifest": rendered.manifest,
                "document": rendered.document,
                "line": rendered.line,
            }
    if where.context is not None:
        location["context"] = where.context
    return location


def resource_dict(resource: Resource) -> dict[str, Any]:
    return _resource_dict(resource, resource.origin.location())


def _resource_dict(resource: Resource, where: Location) -> dict[str, Any]:
    found: dict[str, Any] = {
        "apiVersion": resource.api_version,
        "kind": resource.kind,
        "namespace": resource.namespace,
        "name": resource.name,
    }
    if where.owned_pods is not None:  # cluster owner folding (sources/cluster/owners.py)
        found["ownedPods"] = where.owned_pods
    return found


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    return FindingDicts()(finding)


# Distinct paths whose text a FindingDicts remembers (a report has a few thousand).
MAX_REMEMBERED_PATHS = 100_000


class FindingDicts:
    """finding_to_dict for a report's findings, in order: what depends only on the finding's
    resource (its Location, its dict) is made once for each run of findings on one resource
    (a report's findings are sorted by file and document), and each path's text once."""

    __slots__ = ("_paths", "_resource", "_resource_part", "_where")

    def __init__(self) -> None:
        self._resource: Resource | None = None
        self._where: Location | None = None
        self._resource_part: dict[str, Any] = {}
        self._paths: dict[Path, str] = {}

    def __call__(self, finding: Finding) -> dict[str, Any]:
        resource = finding.resource
        where = self._where
        if resource is not self._resource or where is None:
            where = self._where = resource.origin.location()
            self._resource_part = _resource_dict(resource, where)
            self._resource = resource
        rule, path = finding.rule, finding.path
        shown = self._paths.get(path)
        if shown is None:
            shown = format_path(path)
            if len(self._paths) < MAX_REMEMBERED_PATHS:
                self._paths[path] = shown
        return {
            "ruleId": rule.id,
            "title": rule.title,
            "severity": finding.severity.value,
            "category": rule.category,
            "message": finding.message,
            "remediation": rule.remediation,
            "resource": dict(self._resource_part),
            "container": finding.container,
            "path": shown,
            "location": _location_dict(where, finding.position),
            "fingerprint": finding.fingerprint,
            "suppression": _suppression(finding),
            "policyVersion": finding.policy_version,
            "steps": [step_dict(step) for step in finding.steps] if finding.steps else [],
        }


def step_dict(step: Step) -> dict[str, Any]:
    """One link of an attack path: why it holds, and the resource field (with its location) that makes it."""
    return {
        "message": step.message,
        "resource": resource_dict(step.resource),
        "path": format_path(step.path),
        "location": location_dict(step.resource, step.position),
    }


def _suppression(finding: Finding) -> dict[str, Any] | None:
    sup = finding.suppression
    if sup is None:
        return None
    return {"kind": sup.kind, "source": sup.source, "justification": sup.justification, "expires": sup.expires}


def compliance_dict(table: ComplianceTable) -> dict[str, Any]:
    """One --compliance table: the framework, the score and every control's row."""
    framework = table.framework
    return {
        "framework": framework.id,
        "title": framework.title,
        "version": framework.version,
        "url": framework.url,
        "source": framework.source,
        "updated": framework.updated,
        "score": table.score,
        "summary": {
            "pass": table.count(Status.PASS),
            "fail": table.count(Status.FAIL),
            "notEvaluated": table.count(Status.NOT_EVALUATED),
            "manual": table.count(Status.MANUAL),
            "scored": table.decidable,
        },
        "controls": [
            {
                "id": row.control.id,
                "title": row.control.title,
                "status": row.status.value,
                "rules": list(row.rules),
                "findings": row.findings,
                "suppressed": row.suppressed,
                "reasons": list(row.reasons),
            }
            for row in table.rows
        ],
    }


def report_dict(result: ScanResult) -> dict[str, Any]:
    """The whole report as plain data (the JSON report's document)."""
    return {key: list(value) if type(value) is jsontext.Items else value for key, value in _report(result).items()}


def paged_report_dict(result: ScanResult) -> dict[str, Any]:
    """report_dict, its findings a sequence that makes each finding's dict as it is read (the
    HTML page reads them twice, by number): never the whole document's findings at once."""
    report = _report(result)
    report["findings"] = ReportFindings(result.findings)  # the Items made for it is never read
    return {key: list(value) if type(value) is jsontext.Items else value for key, value in report.items()}


class ReportFindings(Sequence[dict[str, Any]]):
    """A scan's findings as the JSON report's dicts, each made when it is read."""

    __slots__ = ("_as_dict", "_findings")

    def __init__(self, findings: Sequence[Finding]) -> None:
        self._findings = findings
        self._as_dict = FindingDicts()

    def __len__(self) -> int:
        return len(self._findings)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [self._as_dict(self._findings[i]) for i in range(*index.indices(len(self)))]
        return self._as_dict(self._findings[index])

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return map(FindingDicts(), self._findings)


def _report(result: ScanResult) -> dict[str, Any]:
    """The report, with its findings and workloads as `jsontext.Items`: made one at a time as
    they are written."""
    report = _document(result)
    if result.compliance:  # only when asked for (--compliance): the report is otherwise unchanged
        report["compliance"] = [compliance_dict(table) for table in result.compliance]
    return report


def _document(result: ScanResult) -> dict[str, Any]:
    stats = result.stats
    return {
        "schemaVersion": SCHEMA_VERSION,
        "tool": {"name": "kubeaudit", "version": __version__},
        "inputs": result.inputs,
        "complete": result.complete,
        "summary": {
            "files": stats.files,
            "documents": stats.documents,
            "resources": stats.resources,
            "skippedDocuments": stats.skipped_documents,
            "untargetedResources": stats.untargeted_resources,
            "rules": len(result.rules),
            "findings": {"total": len(result.active_findings), **findings_by_severity(result)},
            "suppressed": len(result.findings) - len(result.active_findings),
            "errors": len(result.errors),
            "gaps": len(result.gaps),
        },
        # Plain data (strings, integers, None): encoded in C (see jsontext.Items).
        "findings": jsontext.Items(map(FindingDicts(), result.findings), plain=True),
        "errors": [{"source": e.source, "line": e.line, "message": e.message} for e in result.errors],
        "gaps": [{"what": g.what, "reason": g.reason, "context": g.context} for g in result.gaps],
        "notEvaluated": [
            {"ruleId": rule, "reason": why, "targets": result.not_evaluated_targets.get(rule, [])}
            for rule, why in sorted(result.not_evaluated.items())
        ],
        "notices": [{"source": n.source, "line": n.line, "message": n.message} for n in result.notices],
        "workloads": jsontext.Items(
            {"kind": w.kind, "namespace": w.namespace, "name": w.name, "source": w.source, "qosClass": w.qos_class}
            for w in sorted(result.workloads, key=lambda w: (w.source, w.namespace or "", w.kind, w.name))
        ),  # not plain: a workload's fields are whatever a source gave (a source could give a float name)
        # Which rules ran, not only how many: comparing two reports (`kubeaudit report diff`) can then
        # tell a finding that is gone from one whose rule did not run.
        "ruleIds": sorted(rule.id for rule in result.rules),
    }


def render(result: ScanResult, stream: TextIO, color: bool = False) -> None:
    # As json.dump(report_dict(result), indent=2) writes it, faster, each finding made as it is written.
    jsontext.dump(_report(result), stream)
    stream.write("\n")


class JsonReporter(Reporter):
    """The JSON report (json-report.schema.json)."""

    name = "json"
    suffix = ".json"

    def render(self, result: ScanResult, stream: TextIO, options: RenderOptions) -> None:
        render(result, stream, options.color)
