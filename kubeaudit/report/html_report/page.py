"""The whole page: head (inline stylesheet and script, a Content-Security-Policy that allows
nothing else: no network, no other script), the summary with the verdict and the coverage gaps,
the namespace x rule-family heatmap, extra sections (the PSA plan, compliance), attack paths and
findings."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Protocol, TextIO

from kubeaudit import __version__
from kubeaudit.report.html_report import findings as findings_part
from kubeaudit.report.html_report.compliance import ComplianceSection
from kubeaudit.report.html_report.palette import css_variables, heat_level
from kubeaudit.report.html_report.view import SEVERITIES, ReportView, RuleInfo
from kubeaudit.report.html_report.writer import Attrs, HtmlWriter


class Section(Protocol):
    """A part of the page another feature adds (the PSA plan, a compliance table): its anchor and
    title make its <section> and <h2>; `render` writes what goes under them (headings h3 and below)."""

    @property
    def anchor(self) -> str: ...

    @property
    def title(self) -> str: ...

    def render(self, out: HtmlWriter) -> None: ...


@cache
def _asset(name: str) -> str:
    return resources.files("kubeaudit.report.html_report").joinpath(name).read_text(encoding="utf-8")


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _head(out: HtmlWriter, title: str) -> None:
    style = css_variables() + _asset("report.css")
    script = _asset("report.js")
    policy = (
        f"default-src 'none'; style-src {_csp_hash(style)}; script-src {_csp_hash(script)}; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
    out.raw('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n')
    out.raw('<meta name="viewport" content="width=device-width, initial-scale=1">\n')
    out.start("meta", {"http-equiv": "Content-Security-Policy", "content": policy})
    out.raw('\n<meta name="referrer" content="no-referrer">\n<meta name="generator" content="kubeaudit">\n')
    out.element("title", title)
    out.raw(f"\n<style>{style}</style>\n</head>\n")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def verdict_text(view: ReportView) -> tuple[str, str]:
    """(css class, sentence): what the exit code says and why, in the words of --fail-on, or of the
    command that wrote the page (view.verdict: psa-plan has no gate)."""
    code = view.exit_code
    if view.verdict is not None:
        return ("pass" if code == 0 else "fail" if code == 1 else "incomplete"), f"Exit code {code}: {view.verdict}"
    fail_on = view.fail_on or "info"
    total = len(view.findings)
    if code == 2:
        return "incomplete", (
            f"Exit code 2: INCOMPLETE. The scan could not read or judge everything (see Coverage gaps below); "
            f"its {_plural(total, 'finding')} are what it could see, not the whole picture."
        )
    if fail_on == "none":
        return "pass", f"Exit code 0: PASS (--fail-on none: findings never fail the scan; {_plural(total, 'finding')})."
    rank = SEVERITIES.index(fail_on)
    counts = view.by_severity()
    failing = sum(counts[severity] for severity in SEVERITIES[: rank + 1])
    if code == 1:
        return "fail", f"Exit code 1: FAIL. {_plural(failing, 'finding')} at or above --fail-on {fail_on}."
    below = f" ({_plural(total, 'finding')} below it)" if total else ""
    return "pass", f"Exit code 0: PASS. No finding at or above --fail-on {fail_on}{below}."


def _count_table(out: HtmlWriter, caption: str, head: str, rows: list[tuple[str, dict[str, int]]]) -> None:
    with out.tag("table", {"class": "counts"}):
        out.element("caption", caption)
        with out.tag("thead"), out.tag("tr"):
            out.element("th", head, {"scope": "col"})
            for severity in SEVERITIES:
                out.element("th", severity, {"scope": "col", "class": "num"})
            out.element("th", "total", {"scope": "col", "class": "num"})
        with out.tag("tbody"):
            for name, counts in rows:
                with out.tag("tr"):
                    out.element("th", name, {"scope": "row"})
                    for severity in SEVERITIES:
                        out.element("td", counts[severity], {"class": "num"})
                    out.element("td", sum(counts.values()), {"class": "num"})


def _scope(out: HtmlWriter, view: ReportView) -> None:
    """What was scanned, per report: inputs, files, resources, rules; and each report's verdict."""
    with out.tag("table", {"id": "reports"}):
        with out.tag("thead"), out.tag("tr"):
            heads = (["Report"] if view.multiple else []) + [
                "Inputs", "Files", "Resources", "Rules", "Findings", "Suppressed", "Complete", "Exit code",
            ]  # fmt: skip
            for head in heads:
                out.element("th", head, {"scope": "col"})
        with out.tag("tbody"):
            for scanned in view.reports:
                summary = scanned.report["summary"]
                with out.tag("tr", {"data-report": scanned.label}):
                    if view.multiple:
                        out.element("th", scanned.label, {"scope": "row"})
                    out.element("td", ", ".join(scanned.report.get("inputs", [])), {"class": "mono"})
                    for key in ("files", "resources", "rules"):
                        out.element("td", summary[key], {"class": "num"})
                    out.element("td", summary["findings"]["total"], {"class": "num"})
                    out.element("td", summary["suppressed"], {"class": "num"})
                    out.element("td", "yes" if scanned.report["complete"] else "NO")
                    out.element("td", view.exit_codes[scanned.label], {"class": "num"})


def _summary(out: HtmlWriter, view: ReportView) -> None:
    with out.tag("section", {"id": "summary", "aria-labelledby": "summary-title"}):
        out.element("h2", "Summary", {"id": "summary-title"})
        kind, sentence = verdict_text(view)
        attrs: Attrs = {"class": f"verdict verdict-{kind}", "id": "verdict", "data-exit-code": view.exit_code}
        out.element("p", sentence, attrs)
        counts = view.by_severity()
        parts = ", ".join(f"{counts[s]} {s}" for s in SEVERITIES if counts[s])
        total = _plural(len(view.findings), "finding") + (f" ({parts})" if parts else "")
        if view.suppressed:
            total += f"; {len(view.suppressed)} suppressed"
        out.element("p", total + ".", {"id": "totals"})
        _coverage_line(out, view)
        with out.tag("div", {"class": "cards"}):
            with out.tag("div"):
                out.element("h3", "By severity")
                _severity_table(out, counts)
            with out.tag("div"):
                out.element("h3", "By rule family")
                _count_table(out, "Findings per rule family", "Rule family", view.by("category"))
            with out.tag("div"):
                out.element("h3", "By namespace")
                _count_table(out, "Findings per namespace", "Namespace", view.by("namespace"))
            if view.multiple:
                with out.tag("div"):
                    out.element("h3", "By report")
                    _count_table(out, "Findings per report", "Report", view.by("report"))
        out.element("h3", "What was scanned")
        _scope(out, view)


def _severity_table(out: HtmlWriter, counts: dict[str, int]) -> None:
    with out.tag("table", {"id": "by-severity", "class": "counts"}):
        out.element("caption", "Findings per severity")
        with out.tag("thead"), out.tag("tr"):
            out.element("th", "Severity", {"scope": "col"})
            out.element("th", "Findings", {"scope": "col", "class": "num"})
        with out.tag("tbody"):
            for severity in SEVERITIES:
                with out.tag("tr", {"data-severity": severity}):
                    with out.tag("th", {"scope": "row"}):
                        findings_part.severity_badge(out, severity)
                    out.element("td", counts[severity], {"class": "num"})


def _by_rule(out: HtmlWriter, view: ReportView) -> None:
    if not view.findings:
        return
    with out.tag("section", {"id": "by-rule", "aria-labelledby": "by-rule-title"}):
        out.element("h2", "Findings by rule", {"id": "by-rule-title"})
        _count_table(out, "Findings per rule, most first", "Rule", view.by("rule_id"))


def _coverage_line(out: HtmlWriter, view: ReportView) -> None:
    kinds: dict[str, int] = {}
    for gap in view.gaps:
        kinds[gap.kind] = kinds.get(gap.kind, 0) + 1
    if not kinds:
        complete = "Coverage: every input was read and every rule could judge what it needed."
        out.element("p", complete, {"id": "coverage-line"})
        return
    listed = "; ".join(f"{count} {kind}" for kind, count in kinds.items())
    state = "Coverage: the scan is INCOMPLETE" if not view.complete else "Coverage"
    with out.tag("p", {"id": "coverage-line"}):
        out.text(f"{state}: {listed} (")
        out.element("a", "listed below", {"href": "#coverage"})
        out.text(").")


def _coverage(out: HtmlWriter, view: ReportView) -> None:
    with out.tag("section", {"id": "coverage", "aria-labelledby": "coverage-title"}):
        out.element("h2", f"Coverage gaps ({len(view.gaps)})", {"id": "coverage-title"})
        if not view.gaps:
            out.element("p", "None: every input was read, every kind could be listed and every rule evaluated.")
            return
        out.element("p", "What the scan could not see or judge. A rule reports nothing about what it could not "
                    "read, so no finding here does not mean no problem here.")  # fmt: skip
        with out.tag("ul", {"class": "gaps"}):
            for gap in view.gaps:
                with out.tag("li", {"data-gap": gap.kind}):
                    if view.multiple:
                        out.text(f"[{gap.report}] ")
                    out.element("span", f"{gap.kind}: ", {"class": "gap-kind"})
                    out.text(gap.text)


def _heatmap(out: HtmlWriter, view: ReportView) -> None:
    namespaces, families, cells = view.heatmap()
    if not cells:
        return
    fullest = max(cells.values())
    with out.tag("section", {"id": "heatmap", "aria-labelledby": "heatmap-title"}):
        out.element("h2", "Findings by namespace and rule family", {"id": "heatmap-title"})
        out.element("p", "Each cell counts the findings of one rule family in one namespace; darker cells hold more.")
        with out.tag("div", {"class": "table-scroll"}), out.tag("table", {"id": "heatmap-table"}):
            with out.tag("thead"), out.tag("tr"):
                out.element("th", "Namespace", {"scope": "col"})
                for family in families:
                    out.element("th", family, {"scope": "col", "class": "num"})
            with out.tag("tbody"):
                for namespace in namespaces:
                    with out.tag("tr"):
                        out.element("th", namespace, {"scope": "row"})
                        for family in families:
                            count = cells.get((namespace, family), 0)
                            cell: Attrs = {
                                "class": f"num heat-{heat_level(count, fullest)}",
                                "data-namespace": namespace,
                                "data-category": family,
                            }
                            out.element("td", count, cell)


def _nav(out: HtmlWriter, view: ReportView, sections: Sequence[Section]) -> None:
    links = [("summary", "Summary"), ("coverage", "Coverage gaps")]
    if view.findings:
        links += [("heatmap", "Heatmap"), ("by-rule", "By rule")]
    links += [(section.anchor, section.title) for section in sections]
    if view.paths:
        links.append(("attack-paths", "Attack paths"))
    links.append(("findings", "Findings"))
    if view.suppressed:
        links.append(("suppressed", "Suppressed"))
    if view.findings or view.suppressed:
        links.append(("rules", "Rules"))
    with out.tag("nav", {"class": "toc", "aria-label": "Sections"}), out.tag("ul"):
        for anchor, title in links:
            with out.tag("li"):
                out.element("a", title, {"href": f"#{anchor}"})


def _extra(out: HtmlWriter, section: Section) -> None:
    with out.tag("section", {"id": section.anchor, "aria-labelledby": f"{section.anchor}-title"}):
        out.element("h2", section.title, {"id": f"{section.anchor}-title"})
        section.render(out)


def render_page(
    view: ReportView,
    stream: TextIO,
    rules: Mapping[str, RuleInfo],
    sections: Sequence[Section] = (),
    title: str = "kubeaudit report",
) -> None:
    """The report page for VIEW, with SECTIONS after the heatmap."""
    out = HtmlWriter(stream)
    compliance = ComplianceSection(view.reports)
    sections = [compliance, *sections] if compliance.present else list(sections)
    inputs = sorted({i for r in view.reports for i in r.report.get("inputs", [])})
    _head(out, f"{title}: {', '.join(inputs)}" if inputs else title)
    out.raw("<body>\n")
    out.element("a", "Skip to the findings", {"class": "skip", "href": "#findings"})
    with out.tag("header", {"class": "top"}):
        out.element("h1", title)
        labels = ", ".join(r.label for r in view.reports) if view.multiple else ", ".join(inputs)
        out.element("p", f"{'Reports' if view.multiple else 'Scanned'}: {labels}", {"class": "meta"})
        _nav(out, view, sections)
    with out.tag("main", {"id": "main"}):
        _summary(out, view)
        _coverage(out, view)
        _heatmap(out, view)
        _by_rule(out, view)
        for section in sections:
            _extra(out, section)
        findings_part.attack_paths(out, view)
        findings_part.findings(out, view, rules)
        findings_part.suppressed(out, view, rules)
        findings_part.rule_details(out, view, rules)
    with out.tag("footer", {"class": "bottom"}):
        out.element(
            "p",
            f"Written by kubeaudit {__version__}. This file is self-contained: it loads nothing from the network, "
            "and everything in it shows without its script (which only adds the filters).",
        )
    out.raw(f"\n<script>{_asset('report.js')}</script>\n</body>\n</html>\n")
