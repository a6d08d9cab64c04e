"""Saved JSON reports (`kubeaudit scan -f json`), read back and checked against the report's schema.

Merge and diff only ever see documents that validate against json-report.schema.json, so a
truncated file, a SARIF report given by mistake or a hand-edited report is one clear line naming
the file, never a KeyError three functions later.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path as FsPath
from typing import Any, Protocol

from kubeaudit.model import Severity

SCHEMA_FILE = FsPath(__file__).parents[1] / "report" / "json-report.schema.json"
READABLE_SCHEMA_VERSIONS = ("1.0",)


class ReportIdentity(Protocol):
    """What the diff and merge reports say about each saved report they read."""

    @property
    def path(self) -> str: ...
    @property
    def inputs(self) -> list[str]: ...
    @property
    def tool_version(self) -> str: ...
    @property
    def rule_count(self) -> int: ...
    @property
    def complete(self) -> bool: ...


def identity_dict(report: ReportIdentity) -> dict[str, Any]:
    """A saved report as the diff (`old`, `new`) and merge (`reports`) documents name it: one
    serializer, so the two formats cannot drift apart on a field they share."""
    return {
        "report": report.path,
        "inputs": report.inputs,
        "toolVersion": report.tool_version,
        "rules": report.rule_count,
        "complete": report.complete,
    }


class ReportReadError(Exception):
    """One line: the file and what is wrong with it."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True, slots=True)
class SavedReport:
    """One scan's JSON report, valid against its schema."""

    path: str  # as given on the command line
    document: dict[str, Any]

    @property
    def inputs(self) -> list[str]:
        return list(self.document["inputs"])

    @property
    def complete(self) -> bool:
        return bool(self.document["complete"])

    @property
    def tool_version(self) -> str:
        return str(self.document["tool"]["version"])

    @property
    def rule_count(self) -> int:
        return int(self.document["summary"]["rules"])

    @property
    def rule_ids(self) -> frozenset[str] | None:
        """The rules the scan ran, or None for a report that does not say (kubeaudit before ruleIds)."""
        ids = self.document.get("ruleIds")
        return None if ids is None else frozenset(ids)

    @property
    def findings(self) -> list[dict[str, Any]]:
        return list(self.document["findings"])

    @property
    def active_findings(self) -> list[dict[str, Any]]:
        """The findings that count for the gate: not suppressed."""
        return [f for f in self.document["findings"] if f["suppression"] is None]

    @property
    def not_evaluated(self) -> list[dict[str, Any]]:
        return list(self.document["notEvaluated"])


@cache
def _validator() -> Any:
    # jsonschema-rs, not jsonschema: a 10,000-resource scan's report (50 MB, 39,000 findings) takes
    # 16 s to validate with jsonschema and 0.05 s with jsonschema-rs; loading the JSON takes 0.9 s.
    import jsonschema_rs  # only when a report is read

    return jsonschema_rs.Draft202012Validator(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))


def read_report(path: str) -> SavedReport:
    """The report in `path`, or ReportReadError saying in one line why it is not one."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise ReportReadError(path, f"cannot read: {exc.strerror or exc}") from None
    try:
        document = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ReportReadError(path, "not a kubeaudit JSON report (not UTF-8 text)") from None
    except json.JSONDecodeError as exc:
        reason = f"line {exc.lineno}: not a kubeaudit JSON report (invalid JSON: {exc.msg})"
        raise ReportReadError(path, reason) from None
    except RecursionError:
        raise ReportReadError(path, "not a kubeaudit JSON report (nested too deeply)") from None
    _check_shape(path, document)
    return SavedReport(path, document)


def _check_shape(path: str, document: Any) -> None:
    if not isinstance(document, dict):
        raise ReportReadError(path, f"not a kubeaudit JSON report (a JSON {type(document).__name__}, not an object)")
    if "runs" in document and "schemaVersion" not in document:
        raise ReportReadError(path, "a SARIF report, not a kubeaudit JSON report: write one with -f json")
    if "version" in document and "findings" in document and "summary" not in document:
        raise ReportReadError(path, "a baseline file, not a kubeaudit JSON report: write one with -f json")
    version = document.get("schemaVersion")
    if version is not None and version not in READABLE_SCHEMA_VERSIONS:
        readable = ", ".join(READABLE_SCHEMA_VERSIONS)
        raise ReportReadError(path, f"report schema version {version!r} is not one this kubeaudit reads ({readable})")
    error = next(iter(_validator().iter_errors(document)), None)
    if error is not None:
        where = json_path(error.instance_path) if error.instance_path else "the document"
        message = error.message if len(error.message) <= 200 else error.message[:197] + "..."
        raise ReportReadError(path, f"not a valid kubeaudit JSON report: {where}: {message}")


def json_path(parts: Sequence[str | int]) -> str:
    """`$.findings[0].severity`, as jsonschema's json_path writes a location."""
    return "$" + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in parts)


def read_reports(paths: Sequence[str]) -> tuple[list[SavedReport], list[ReportReadError]]:
    """The reports that could be read, and one error for each path that could not."""
    reports, errors = [], []
    for path in paths:
        try:
            reports.append(read_report(path))
        except ReportReadError as exc:
            errors.append(exc)
    return reports, errors


def severity_counts(findings: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Findings by severity, most severe first, every severity present (as the JSON report's summary)."""
    counts = {s.value: 0 for s in Severity}
    for finding in findings:
        counts[finding["severity"]] += 1
    return counts


def at_or_above(findings: Sequence[dict[str, Any]], threshold: str) -> list[dict[str, Any]]:
    """The findings of severity `threshold` or higher (`none`: no finding)."""
    if threshold == "none":
        return []
    rank = Severity(threshold).rank
    return [f for f in findings if Severity(f["severity"]).rank >= rank]


def resource_ref(resource: dict[str, Any]) -> str:
    """kind/namespace/name, as reports name not-evaluated targets (Resource.ref)."""
    namespace = resource["namespace"]
    return (
        f"{resource['kind']}/{namespace}/{resource['name']}" if namespace else f"{resource['kind']}/{resource['name']}"
    )


SHOWN_RULES = 10  # rule ids named in a note; the rest are counted


def rule_list(rule_ids: set[str] | frozenset[str]) -> str:
    """Rule ids for a note: sorted, the first few named."""
    ids = sorted(rule_ids)
    more = f" and {len(ids) - SHOWN_RULES} more" if len(ids) > SHOWN_RULES else ""
    return ", ".join(ids[:SHOWN_RULES]) + more
