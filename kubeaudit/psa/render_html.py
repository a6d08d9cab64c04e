"""`kubeaudit psa-plan --format html`: the plan as the HTML report's page. The PSA plan section
(the table of namespaces, then each namespace's rejections, exemptions and the command that
enforces its strictest level) comes first; the findings below are the Pod Security findings the
plan is built from, so each rejection can be traced to its line. The verdict is the plan's own
exit code (0 written, 2 incomplete), not a scan gate's."""

from __future__ import annotations

from collections import Counter
from typing import TextIO

from kubeaudit.model import ScanResult
from kubeaudit.psa.plan import NamespacePlan, Plan
from kubeaudit.report.html_report import ScannedReport, render_reports, rule_infos
from kubeaudit.report.html_report.writer import HtmlWriter
from kubeaudit.report.json_report import report_dict

LEVELS = ("baseline", "restricted")


def _where(ns: NamespacePlan) -> str:
    return f"{ns.namespace} (context {ns.context})" if ns.context else ns.namespace


class PsaPlanSection:
    """The PSA plan as a section of the page (report.html_report.page.Section)."""

    anchor = "psa-plan"
    title = "Pod Security Admission plan"

    def __init__(self, plan: Plan) -> None:
        self.plan = plan

    def render(self, out: HtmlWriter) -> None:
        plan = self.plan
        source = plan.admission.source
        out.element(
            "p",
            f"For each namespace: the level it enforces now, what baseline and restricted would reject at its "
            f"policy version, and the strictest level it can enforce today. Admission configuration: "
            f"{source or 'none given (unlabelled namespaces enforce privileged)'}.",
        )
        self._table(out)
        for problem in plan.problems:
            out.element("p", f"Not scanned: {problem}", {"class": "verdict verdict-incomplete"})
        for ns in plan.namespaces:
            self._namespace(out, ns)

    def _table(self, out: HtmlWriter) -> None:
        with out.tag("div", {"class": "table-scroll"}), out.tag("table", {"id": "psa-plan-table"}):
            out.element("caption", "Namespaces, and the strictest level each passes today")
            with out.tag("thead"), out.tag("tr"):
                heads = ("Namespace", "Enforces now", "Policy", "Rejected at baseline", "Rejected at restricted",
                         "Strictest today")  # fmt: skip
                for head in heads:
                    out.element("th", head, {"scope": "col"})
            with out.tag("tbody"):
                for ns in self.plan.namespaces:
                    with out.tag("tr", {"data-namespace": ns.namespace}):
                        out.element("th", _where(ns), {"scope": "row"})
                        stalls = f" (already stalls {len(ns.stalled_now)})" if ns.stalled_now else ""
                        out.element("td", f"{ns.level}{stalls}")
                        out.element("td", ns.version)
                        if ns.exempt:
                            for _ in range(3):
                                out.element("td", "exempt")
                            continue
                        for level in LEVELS:
                            out.element("td", len(ns.rejected.get(level, [])), {"class": "num"})
                        out.element("td", ns.strictest or "")

    def _namespace(self, out: HtmlWriter, ns: NamespacePlan) -> None:
        out.element("h3", f"Namespace {_where(ns)}", {"id": f"psa-{ns.context or ''}-{ns.namespace}"})
        if ns.labels is None:
            out.element("p", "No Namespace object in the input: judged as unlabelled.")
        out.element("p", f"Enforces {ns.level} ({ns.level_source}); policy {ns.version} ({ns.version_source}).")
        if ns.exempt:
            out.element("p", f"Exempt: {ns.exempt}; its {ns.workloads} workloads are not evaluated.")
            return
        with out.tag("ul"):
            for kind, name, why in ns.exempt_workloads:
                out.element("li", f"exempt: {kind}/{name}: {why}")
            for level in LEVELS:
                found = ns.rejected.get(level, [])
                if not found:
                    out.element("li", f"{level}: rejects nothing")
                for r in found:
                    with out.tag("li"):
                        out.text(f"{level} rejects {r.kind}/{r.name}: ")
                        out.element("code", ", ".join(r.controls))
                        out.text(f". {r.effect}.")
        if ns.stalled_now:
            names = ", ".join(f"{r.kind}/{r.name}" for r in ns.stalled_now)
            out.element("p", f"Now: {ns.level} already refuses new pods of {names}.", {"class": "verdict verdict-fail"})
        if ns.command:
            out.element("p", f"Enforce {ns.strictest}, the strictest level it passes today:")
            with out.tag("pre"):
                out.element("code", ns.command)


def render_html(plan: Plan, result: ScanResult, stream: TextIO) -> None:
    """The plan's page, over the scan it was built from (RESULT)."""
    code = 0 if plan.complete else 2
    strictest = Counter(ns.strictest for ns in plan.namespaces if ns.strictest)
    levels = ", ".join(
        f"{strictest[level]} {level}" for level in ("restricted", "baseline", "privileged") if level in strictest
    )
    verdict = (
        f"plan written for {len(plan.namespaces)} namespaces (strictest enforceable today: {levels or 'none'})."
        if plan.complete
        else "INCOMPLETE plan: some input could not be read (see Coverage gaps below); the namespaces it "
        "shows are judged on what was read."
    )
    render_reports(
        [ScannedReport("", report_dict(result), code)],
        stream,
        None,
        rule_infos(result.rules),
        [PsaPlanSection(plan)],
        "kubeaudit Pod Security Admission plan",
        verdict,
    )
