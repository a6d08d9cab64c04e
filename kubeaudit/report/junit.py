"""JUnit XML, for CI systems that show test results (GitLab, Jenkins, Azure Pipelines...).

One <testsuite> per rule that ran. Each resource a rule found something on is a
<testcase> that fails (or is skipped, when every finding on it is suppressed); a rule
with no findings has one passing testcase, so CI shows what passed as well. Rules that
could not be evaluated are skipped testcases. Inputs that could not be read are
<error> testcases in the "kubeaudit.inputs" suite.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from kubeaudit.finding_store import FindingStore
from kubeaudit.model import Finding, ScanResult, Severity, format_path
from kubeaudit.report.base import RenderOptions, Reporter
from kubeaudit.report.summary import not_evaluated_text
from kubeaudit.safetext import printable

INPUTS_SUITE = "kubeaudit.inputs"
PASSED_NAME = "no findings"
INPUTS_PASSED_NAME = "all inputs read"

# Characters XML 1.0 cannot carry, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(value: str) -> str:
    return _NOT_XML.sub("\ufffd", value)


@dataclass
class _Case:
    classname: str
    name: str
    outcome: str | None = None  # None (passed), "failure", "error" or "skipped"
    message: str = ""
    type: str = ""
    body: str = ""
    findings: Sequence[Finding] = ()  # whose texts follow the body, written only when the case is
    attrs: dict[str, str] = field(default_factory=dict)
    properties: dict[str, str] = field(default_factory=dict)


def _where(finding: Finding) -> str:
    source = finding.file or finding.resource.origin.source
    return f"{source}:{finding.line}" if finding.line else source


def _finding_text(finding: Finding) -> str:
    # What the input controls (names in the message, the file, an annotation's reason) shows its
    # control characters as escapes: a CI page showing the text must not get a forged line.
    lines = [printable(f"{_where(finding)}  {format_path(finding.path)}"), f"  {printable(finding.message)}"]
    if finding.suppression is not None:
        reason = finding.suppression.justification or finding.suppression.source
        lines.append(printable(f"  suppressed ({finding.suppression.source}): {reason}"))
    else:
        lines.append(f"  fix: {finding.remediation}")
    return "\n".join(lines)


def _fails(finding: Finding, fail_on: str | None) -> bool:
    """Whether a finding fails the gate, as the exit code has it (None: every active one)."""
    if finding.suppression is not None or fail_on == "none":
        return False
    return fail_on is None or finding.severity.rank >= Severity(fail_on).rank


def _resource_case(rule_id: str, findings: Sequence[Finding], fail_on: str | None = None) -> _Case:
    first = findings[0]
    resource = first.resource
    rendered = resource.origin.rendered
    via = f", rendered from {rendered.project}" if rendered is not None else ""
    case = _Case(classname=rule_id, name=f"{resource.ref} ({resource.origin.source}{via})")
    where = resource.origin.location()
    if where.file is not None:
        case.attrs["file"] = first.file or where.file
        if first.line:
            case.attrs["line"] = str(first.line)
    active = [f for f in findings if f.suppression is None]
    failing = [f for f in active if _fails(f, fail_on)]
    if failing:
        more = f" (and {len(failing) - 1} more)" if len(failing) > 1 else ""
        case.outcome, case.message, case.type = "failure", failing[0].message + more, failing[0].severity.value
    elif active:  # reported, but below the exit code's threshold: not a test failure
        case.outcome, case.type = "skipped", active[0].severity.value
        case.message = f"{len(active)} finding(s) below --fail-on {fail_on}: {active[0].message}"
        case.properties["below-fail-on"] = str(fail_on)
    else:
        suppression = first.suppression
        reason = (suppression.justification or suppression.source) if suppression else ""
        case.outcome, case.message = "skipped", f"suppressed: {reason}"
    case.findings = findings
    return case


def _finding_order(finding: Finding) -> tuple[Any, ...]:
    origin = finding.resource.origin
    return (origin.source, origin.document or 0, finding.line or 0, finding.position.column if finding.position else 0)


def _rule_cases(
    rule_id: str, findings: Sequence[Finding], not_evaluated: str | None, fail_on: str | None = None
) -> list[_Case]:
    if not_evaluated is not None and not findings:
        return [
            _Case(classname=rule_id, name=PASSED_NAME, outcome="skipped", message=f"not evaluated: {not_evaluated}")
        ]
    if not findings:
        return [_Case(classname=rule_id, name=PASSED_NAME)]
    groups: dict[tuple[Any, ...], list[Finding]] = {}
    for finding in sorted(findings, key=_finding_order):
        origin = finding.resource.origin
        key = (origin.source, origin.document, origin.context, origin.rendered, finding.resource.ref)
        groups.setdefault(key, []).append(finding)
    return [_resource_case(rule_id, group, fail_on) for group in groups.values()]


def _input_cases(result: ScanResult) -> list[_Case]:
    cases = [
        _Case(
            classname=INPUTS_SUITE,
            name=str(error),
            outcome="error",
            message=error.message,
            type="ScanError",
            body=str(error),
            attrs={"file": error.source, **({"line": str(error.line)} if error.line else {})},
        )
        for error in result.errors
    ]
    for gap in result.gaps:
        outcome = "skipped" if result.allow_partial else "error"
        cases.append(
            _Case(
                classname=INPUTS_SUITE,
                name=f"not scanned: {gap}",
                outcome=outcome,
                message=str(gap),
                type="CoverageGap",
                body=str(gap),
            )
        )
    return cases or [_Case(classname=INPUTS_SUITE, name=INPUTS_PASSED_NAME)]


def _suite(name: str, cases: Iterable[_Case]) -> ET.Element:
    cases = list(cases)
    suite = _suite_element(name, cases)
    suite.extend(_case_element(case) for case in cases)
    return suite


def _suite_element(name: str, cases: list[_Case]) -> ET.Element:
    """The testsuite, its counts from `cases`, without them."""
    counts = {outcome: sum(1 for c in cases if c.outcome == outcome) for outcome in ("failure", "error", "skipped")}
    return ET.Element(
        "testsuite",
        {
            "name": _text(name),
            "tests": str(len(cases)),
            "failures": str(counts["failure"]),
            "errors": str(counts["error"]),
            "skipped": str(counts["skipped"]),
        },
    )


def _case_element(case: _Case) -> ET.Element:
    element = ET.Element(
        "testcase",
        {
            key: _text(printable(value))
            for key, value in {"classname": case.classname, "name": case.name, **case.attrs}.items()
        },
    )
    if case.properties:
        properties = ET.SubElement(element, "properties")
        for key, value in case.properties.items():
            ET.SubElement(properties, "property", {"name": key, "value": _text(value)})
    if case.outcome is None:
        return element
    attrs = {"message": _text(printable(case.message))}
    if case.type:
        attrs["type"] = case.type
    child = ET.SubElement(element, case.outcome, attrs)
    body = "\n\n".join([case.body] if case.body else [_finding_text(f) for f in case.findings])
    if body:
        child.text = _text(body)
    return element


def _write_suite(write: Callable[[str], object], name: str, cases: list[_Case]) -> None:
    """A suite as ET.indent(suite, level=1) and ET.tostring write it, one testcase element at a
    time: a rule's suite has a testcase per resource (tens of thousands at 50,000 resources)."""
    suite = _suite_element(name, cases)
    head = ET.tostring(suite, encoding="unicode")
    if not cases:
        write(head)
        return
    assert head.endswith(" />")  # an element without children: open it for the cases
    write(head[: -len(" />")] + ">")
    for case in cases:
        element = _case_element(case)
        ET.indent(element, level=2)
        write(_CASE_INDENT + ET.tostring(element, encoding="unicode"))
    write(_SUITE_INDENT + "</testsuite>")


# What ET.indent(suite, level=1) puts before each testcase and before the suite's end tag.
_CASE_INDENT, _SUITE_INDENT = "\n    ", "\n  "


def _why_not_evaluated(result: ScanResult, rule_id: str) -> str | None:
    return not_evaluated_text(result, rule_id) if rule_id in result.not_evaluated else None


def _suites(result: ScanResult, fail_on: str | None) -> Iterator[tuple[str, list[_Case]]]:
    """Each suite's name and testcases, in report order: the inputs, then each rule by id."""
    by_rule: dict[str, Sequence[Finding]] = {rule.id: [] for rule in result.rules}
    for rule_id in result.not_evaluated:
        by_rule.setdefault(rule_id, [])
    if isinstance(result.findings, FindingStore):  # each rule's findings as records, not objects
        by_rule.update(result.findings.by_rule())
    else:
        grouped: dict[str, list[Finding]] = {}
        for finding in result.findings:
            grouped.setdefault(finding.rule_id, []).append(finding)
        by_rule.update(grouped)
    yield INPUTS_SUITE, _input_cases(result)
    for rule_id in sorted(by_rule):
        yield rule_id, _rule_cases(rule_id, by_rule[rule_id], _why_not_evaluated(result, rule_id), fail_on)


_COUNTED_AS = {"failure": "failures", "error": "errors", "skipped": "skipped"}  # the testsuites attributes


def _totals(suites: Iterable[tuple[str, list[_Case]]]) -> dict[str, str]:
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for _, cases in suites:
        counts["tests"] += len(cases)
        for case in cases:
            if case.outcome is not None:
                counts[_COUNTED_AS[case.outcome]] += 1
    return {key: str(value) for key, value in counts.items()}


def report_tree(result: ScanResult, fail_on: str | None = None) -> ET.Element:
    """The whole report as one tree. `fail_on`: the exit code's threshold; findings below it are
    skipped testcases."""
    suites = [_suite(name, cases) for name, cases in _suites(result, fail_on)]
    totals = {key: sum(int(s.get(key, "0")) for s in suites) for key in ("tests", "failures", "errors", "skipped")}
    root = ET.Element("testsuites", {"name": "kubeaudit", **{k: str(v) for k, v in totals.items()}})
    root.extend(suites)
    return root


def render(result: ScanResult, stream: TextIO, color: bool = False, fail_on: str | None = None) -> None:
    """The report as `report_tree` and ET.indent would write it, one suite at a time: the totals
    come first, from testcases made and dropped (their texts are made only when written), then
    each suite is made again, written and dropped."""
    totals = _totals(_suites(result, fail_on))
    root = ET.Element("testsuites", {"name": "kubeaudit", **totals})
    head = ET.tostring(root, encoding="unicode")
    assert head.endswith(" />")  # an element without children: open it for the suites
    stream.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    stream.write(head[: -len(" />")] + ">")
    for name, cases in _suites(result, fail_on):
        stream.write("\n  ")
        _write_suite(stream.write, name, cases)
    stream.write("\n</testsuites>\n")


class JunitReporter(Reporter):
    """JUnit XML, for CI test views."""

    name = "junit"
    suffix = ".xml"

    def render(self, result: ScanResult, stream: TextIO, options: RenderOptions) -> None:
        render(result, stream, options.color, options.fail_on)
