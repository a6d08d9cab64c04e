"""The compliance section: each `--compliance FRAMEWORK` table of the reports (the JSON report's
`compliance[]`, which kubeaudit.compliance builds), with its score and every control's status.
With several reports (a merged fleet report), each control has a status column per report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kubeaudit.report.html_report.view import ScannedReport
from kubeaudit.report.html_report.writer import HtmlWriter

STATUS_WORDS = {"pass": "pass", "fail": "FAIL", "not-evaluated": "not evaluated", "manual": "manual"}


def _score(table: Mapping[str, Any]) -> str:
    score = table.get("score")
    summary = table["summary"]
    shown = "no score (no control a scan can decide)" if score is None else f"score {score}%"
    return (
        f"{shown}: {summary['pass']} pass, {summary['fail']} fail, {summary['notEvaluated']} not evaluated "
        f"(counted as not passed), {summary['manual']} manual, of {summary['scored']} controls a scan can decide"
    )


def _status(out: HtmlWriter, control: Mapping[str, Any]) -> None:
    status = control["status"]
    with out.tag("td", {"class": f"status status-{status}", "data-status": status}):
        out.text(STATUS_WORDS.get(status, status))
        if control.get("findings"):
            out.text(f" ({control['findings']} finding{'' if control['findings'] == 1 else 's'})")


@dataclass(frozen=True, slots=True)
class ComplianceSection:
    """The page section for the reports' compliance tables (a page.Section)."""

    reports: Sequence[ScannedReport]
    anchor: str = "compliance"
    title: str = "Compliance"

    @property
    def present(self) -> bool:
        return any(r.report.get("compliance") for r in self.reports)

    def render(self, out: HtmlWriter) -> None:
        frameworks: dict[str, dict[str, Mapping[str, Any]]] = {}  # framework -> report label -> table
        for scanned in self.reports:
            for table in scanned.report.get("compliance") or []:
                frameworks.setdefault(table["framework"], {})[scanned.label] = table
        out.element(
            "p",
            "Each control is judged by the rules that name it. Not evaluated means the scan could not vouch "
            "for it (a kind it could not read, a rule not run): it counts as not passed.",
        )
        for framework, tables in frameworks.items():
            first = next(iter(tables.values()))
            out.element(
                "h3", f"{first['title']} {first.get('version') or ''}".strip(), {"id": f"compliance-{framework}"}
            )
            with out.tag("ul"):
                for label, table in tables.items():
                    out.element("li", f"{label}: {_score(table)}" if len(self.reports) > 1 else _score(table))
            if len(self.reports) > 1:
                self._merged(out, framework, tables)
            else:
                self._single(out, framework, first)

    def _single(self, out: HtmlWriter, framework: str, table: Mapping[str, Any]) -> None:
        with out.tag("div", {"class": "table-scroll"}), out.tag("table", {"id": f"compliance-{framework}-table"}):
            out.element("caption", f"{table['title']}: every control")
            with out.tag("thead"), out.tag("tr"):
                for head in ("Control", "Title", "Status", "Rules", "Why not evaluated"):
                    out.element("th", head, {"scope": "col"})
            with out.tag("tbody"):
                for control in table["controls"]:
                    with out.tag("tr", {"data-control": control["id"]}):
                        out.element("th", control["id"], {"scope": "row"})
                        out.element("td", control["title"])
                        _status(out, control)
                        out.element("td", ", ".join(control["rules"]), {"class": "mono"})
                        out.element("td", "; ".join(control["reasons"]))

    def _merged(self, out: HtmlWriter, framework: str, tables: Mapping[str, Mapping[str, Any]]) -> None:
        rows: dict[str, tuple[str, dict[str, Mapping[str, Any]]]] = {}
        for label, table in tables.items():
            for control in table["controls"]:
                rows.setdefault(control["id"], (control["title"], {}))[1][label] = control
        labels = [r.label for r in self.reports]
        with out.tag("div", {"class": "table-scroll"}), out.tag("table", {"id": f"compliance-{framework}-table"}):
            out.element("caption", "Every control, per report")
            with out.tag("thead"), out.tag("tr"):
                for head in ("Control", "Title", *labels):
                    out.element("th", head, {"scope": "col"})
            with out.tag("tbody"):
                for control_id, (title, by_report) in rows.items():
                    with out.tag("tr", {"data-control": control_id}):
                        out.element("th", control_id, {"scope": "row"})
                        out.element("td", title)
                        for label in labels:
                            if label in by_report:
                                _status(out, by_report[label])
                            else:
                                out.element("td", "not asked", {"class": "muted"})
