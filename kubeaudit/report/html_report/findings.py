"""The findings part of the page: attack paths with their steps, the filter form, the findings
table (every finding with its place, message, fix and references) and the suppressed findings."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from kubeaudit.report.html_report.view import SEVERITIES, FindingView, Place, ReportView, RuleInfo
from kubeaudit.report.html_report.writer import Attrs, HtmlWriter


def severity_badge(out: HtmlWriter, severity: str) -> None:
    out.element("span", severity, {"class": f"sev sev-{severity}"})


def _place(out: HtmlWriter, place: Place, cluster_field: bool) -> None:
    out.element("span", place.text, {"class": "mono"})
    if cluster_field and place.field:  # a cluster object has no lines: name the field
        out.raw(" ")
        out.element("code", place.field)
    if place.rendered:
        out.raw("<br>")
        out.element("span", place.rendered, {"class": "muted"})


def _is_cluster(place: Place) -> bool:
    return place.text.startswith("cluster:")


def _steps(out: HtmlWriter, finding: FindingView) -> None:
    with out.tag("ol", {"class": "steps"}):
        for step in finding.steps:
            with out.tag("li"):
                out.element("span", step.resource, {"class": "mono"})
                out.raw(" at ")
                _place(out, step.place, cluster_field=True)
                out.raw(": ")
                out.text(step.message)


def attack_paths(out: HtmlWriter, view: ReportView) -> None:
    paths = view.paths
    if not paths:
        return
    with out.tag("section", {"id": "attack-paths", "aria-labelledby": "attack-paths-title"}):
        out.element("h2", f"Attack paths ({len(paths)})", {"id": "attack-paths-title"})
        out.element("p", "Each path is a chain of resources, a step per link, from an entry point to what it reaches.")
        for finding in paths:
            with out.tag("article", {"class": "path"}):
                with out.tag("h3"):
                    severity_badge(out, finding.severity)
                    out.raw(" ")
                    out.text(finding.title)
                    if view.multiple:
                        out.text(f" [{finding.report}]")
                out.element("p", finding.message)
                _steps(out, finding)


def _options(out: HtmlWriter, name: str, label: str, every: str, counts: Counter[str]) -> None:
    ident = f"filter-{name}"
    with out.tag("label", {"for": ident}):
        out.text(label)
        with out.tag("select", {"id": ident, "name": name}):
            out.element("option", every, {"value": ""})
            for value in sorted(counts):
                out.element("option", f"{value} ({counts[value]})", {"value": value})


def _filters(out: HtmlWriter, view: ReportView) -> None:
    """The filter form: hidden in the document, shown by the script (no script, no filters)."""
    attrs: Attrs = {"id": "filters", "class": "filters", "hidden": True, "role": "search"}
    attrs["aria-label"] = "Filter findings"
    with out.tag("form", attrs):
        with out.tag("fieldset"):
            out.element("legend", "Severity")
            counts = view.by_severity()
            for severity in SEVERITIES:
                with out.tag("label"):
                    out.start("input", {"type": "checkbox", "name": "severity", "value": severity, "checked": True})
                    out.text(f"{severity} ({counts[severity]})")
        if view.multiple:
            _options(out, "report", "Report", "All reports", view.count_by("report"))
        _options(out, "namespace", "Namespace", "All namespaces", view.count_by("namespace"))
        _options(out, "category", "Rule family", "All rule families", view.count_by("category"))
        _options(out, "rule", "Rule", "All rules", view.count_by("rule_id"))
        with out.tag("label", {"for": "filter-q"}):
            out.text("Text")
            out.start("input", {"type": "search", "id": "filter-q", "name": "q", "placeholder": "name, file, message"})
        out.element("button", "Show all", {"type": "reset"})


def _references(out: HtmlWriter, info: RuleInfo | None) -> None:
    if info is None or not info.references:
        return
    with out.tag("p", {"class": "refs"}):
        out.element("span", "References: ", {"class": "refs-label"})
        for number, reference in enumerate(info.references):
            if number:
                out.raw("; ")
            out.link(reference.url, reference.title)


def _finding_row(out: HtmlWriter, view: ReportView, finding: FindingView, rules: Mapping[str, RuleInfo]) -> None:
    attrs: Attrs = {
        "data-severity": finding.severity,
        "data-namespace": finding.namespace,
        "data-category": finding.category,
        "data-rule": finding.rule_id,
        "data-report": finding.report if view.multiple else None,
    }
    with out.tag("tr", attrs):
        if view.multiple:
            out.element("td", finding.report)
        with out.tag("td"):
            severity_badge(out, finding.severity)
        with out.tag("td"):
            out.element("code", finding.rule_id)
            out.raw("<br>")
            out.element("span", finding.category, {"class": "muted"})
        with out.tag("td"):
            out.element("span", finding.resource, {"class": "mono"})
            out.raw("<br>")
            out.element("span", f"namespace {finding.namespace}", {"class": "muted"})
            if finding.container:
                out.raw("<br>")
                out.element("span", f"container {finding.container}", {"class": "muted"})
        with out.tag("td"):
            _place(out, finding.place, cluster_field=_is_cluster(finding.place))
        with out.tag("td"):
            out.element("strong", finding.title)
            out.element("p", finding.message, {"class": "fix"})
            if finding.steps:
                _steps(out, finding)
            if finding.suppressed:
                out.element("p", f"Suppressed ({finding.suppressed})", {"class": "fix"})
            elif finding.remediation:
                first, _, more = finding.remediation.partition("\n")
                with out.tag("p", {"class": "fix"}):
                    out.element("span", "Fix: ", {"class": "fix-label"})
                    out.text(first)
                    if more.strip():  # the rest once per rule, not once per finding
                        out.raw(" ")
                        out.element("a", f"More on {finding.rule_id}", {"href": f"#rule-{finding.rule_id}"})
            _references(out, rules.get(finding.rule_id))


def _table(
    out: HtmlWriter, view: ReportView, findings: Iterable[FindingView], rules: Mapping[str, RuleInfo], ident: str
) -> None:
    with out.tag("div", {"class": "table-scroll"}), out.tag("table", {"id": ident}):
        with out.tag("thead"), out.tag("tr"):
            heads = (["Report"] if view.multiple else []) + ["Severity", "Rule", "Resource", "Where", "Finding"]
            for head in heads:
                out.element("th", head, {"scope": "col"})
        with out.tag("tbody"):
            for finding in findings:
                _finding_row(out, view, finding, rules)


def findings(out: HtmlWriter, view: ReportView, rules: Mapping[str, RuleInfo]) -> None:
    with out.tag("section", {"id": "findings", "aria-labelledby": "findings-title"}):
        out.element("h2", f"Findings ({len(view.findings)})", {"id": "findings-title"})
        if not view.findings:
            out.element("p", "No findings.")
            return
        _filters(out, view)
        out.element("p", "", {"id": "filter-status", "role": "status", "aria-live": "polite"})
        _table(out, view, view.findings, rules, "findings-table")


def suppressed(out: HtmlWriter, view: ReportView, rules: Mapping[str, RuleInfo]) -> None:
    if not view.suppressed:
        return
    with out.tag("section", {"id": "suppressed", "aria-labelledby": "suppressed-title"}):
        out.element("h2", f"Suppressed findings ({len(view.suppressed)})", {"id": "suppressed-title"})
        out.element("p", "These do not count for the exit code: an annotation, the config file or a baseline "
                    "suppresses each, for the reason shown.")  # fmt: skip
        _table(out, view, view.suppressed, rules, "suppressed-table")


def rule_details(out: HtmlWriter, view: ReportView, rules: Mapping[str, RuleInfo]) -> None:
    """Each rule with findings, once: its title, whole remediation and references."""
    first = view.first_of_rule
    if not first:
        return
    with out.tag("section", {"id": "rules", "aria-labelledby": "rules-title"}):
        out.element("h2", f"Rules with findings ({len(first)})", {"id": "rules-title"})
        for rule_id in sorted(first):
            finding = first[rule_id]
            with out.tag("article", {"id": f"rule-{rule_id}"}):
                with out.tag("h3"):
                    out.element("code", rule_id)
                    out.text(f": {finding.title}")
                with out.tag("p"):
                    severity_badge(out, finding.severity)
                    out.text(f" {finding.category}")
                if finding.remediation:
                    with out.tag("p", {"class": "fix"}):
                        out.element("span", "Fix: ", {"class": "fix-label"})
                        with out.tag("span", {"class": "remediation"}):
                            out.lines(finding.remediation)
                _references(out, rules.get(rule_id))
