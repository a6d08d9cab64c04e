"""SARIF 2.1.0 for GitHub code scanning, built with the `sarif-om` object model.

The log validates against the official OASIS schema and carries what GitHub code
scanning reads: rules with help and a numeric `security-severity`, results with
a level, a repository-relative artifact URI and the start line of the offending
field, and `partialFingerprints` with our stable fingerprint. Suppressed findings
stay in the log with a `suppressions` entry (GitHub code scanning ignores it; other
SARIF tools show them as suppressed). Files that could not be read become tool execution notifications, and the
invocation is marked unsuccessful.

sarif-om has no serialiser; `to_json` below turns its attrs objects into JSON
using each field's `schema_property_name`, leaving out values equal to the
field's default. Rules are sorted by id and results by location, so the same
scan gives byte-identical output.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

import attr
import sarif_om as om

from kubeaudit import __version__
from kubeaudit.finding_store import FindingStore
from kubeaudit.model import (
    Finding,
    Position,
    ProposedFix,
    Reference,
    Resource,
    RuleMeta,
    ScanResult,
    Severity,
    SourceMessage,
)
from kubeaudit.model import Suppression as KubeauditSuppression
from kubeaudit.report import jsontext
from kubeaudit.report.base import RenderOptions, Reporter
from kubeaudit.report.sarif_order import qualified_name, result_order
from kubeaudit.report.summary import not_evaluated_text

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
TOOL_NAME = "kubeaudit"
SRCROOT = "%SRCROOT%"
# Where a result from standard input without --stdin-filename points: the repository's root
# folder, relative to %SRCROOT% (GitHub needs an artifact location on every result).
REPOSITORY_ROOT = "."
FINGERPRINT_KEY = "kubeaudit/v1"
K8S_SCHEME = "k8s"
STDIN_DISPLAY = "<stdin>"  # what kubeaudit.sources.manifests shows for "-"
CLUSTER_PREFIX = "cluster:"  # Origin.source (and error sources) of what was read from a cluster
DESCRIPTION_LIMIT = 1024  # GitHub's limit for shortDescription.text and fullDescription.text

# GitHub reads `security-severity` as: over 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low.
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "1.0",
}
LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}

_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)


# -- object model additions ---------------------------------------------------------------------

_ADDITIONAL = "kubeaudit_additional_properties"


@attr.s
class PropertyBag(om.PropertyBag):
    """sarif-om's property bag declares only `tags`; SARIF allows any property in it."""

    additional: dict[str, Any] = attr.ib(factory=dict, metadata={_ADDITIONAL: True})


@attr.s
class Suppression(om.Suppression):
    """sarif-om follows a pre-release schema where this property was `state`; SARIF 2.1.0 says `status`."""

    status: str | None = attr.ib(default=None, metadata={"schema_property_name": "status"})


# Fields written even when they hold their default: GitHub's docs list them, and a reader
# should not have to know that a missing level means "warning".
_ALWAYS_WRITTEN = {
    (om.Result, "level"),
    (om.ReportingConfiguration, "level"),
    (om.Notification, "level"),
}


def to_json(value: Any) -> Any:
    """Turn sarif-om objects into plain JSON data, in a stable key order.

    Object keys come in the order the attrs fields are declared (required first, then
    alphabetical); a field equal to its default is left out unless listed in
    `_ALWAYS_WRITTEN`. Mappings are written with sorted keys.
    """
    if attr.has(type(value)):
        out: dict[str, Any] = {}
        for name, json_name, default in _fields(type(value)):  # type: ignore[arg-type]  # sarif-om ships no type information
            item = getattr(value, name)
            if json_name is None:  # additional properties
                for key in sorted(item):
                    out[key] = to_json(item[key])
            elif default is attr.NOTHING or not _equal(item, default):
                out[json_name] = to_json(item)
        return out
    if isinstance(value, dict):
        return {str(key): to_json(value[key]) for key in sorted(value)}
    if isinstance(value, (list, tuple)):
        return [to_json(item) for item in value]
    return value


@cache
def _fields(cls: type) -> tuple[tuple[str, str | None, Any], ...]:
    """(attribute, JSON name or None for additional properties, default or NOTHING when always written)."""
    plan = []
    for field in attr.fields(cls):
        if field.metadata.get(_ADDITIONAL):
            plan.append((field.name, None, attr.NOTHING))
            continue
        default = field.default
        if isinstance(default, attr.Factory):  # type: ignore[arg-type]  # sarif-om ships no type information
            default = default.factory()
        if any(issubclass(cls, base) and field.name == name for base, name in _ALWAYS_WRITTEN):
            default = attr.NOTHING
        plan.append((field.name, field.metadata["schema_property_name"], default))
    return tuple(plan)


def _equal(value: Any, default: Any) -> bool:
    return isinstance(value, bool) == isinstance(default, bool) and bool(value == default)


# -- locations ----------------------------------------------------------------------------------


def artifact_location(source: str, cwd: Path | None = None) -> om.ArtifactLocation | None:
    """Where a file is, for GitHub: relative to the repository root (the working directory).

    Paths under the working directory become relative URIs with uriBaseId %SRCROOT%
    (symbolic links resolved, as GitHub cannot show results in a link); other paths
    become absolute file:// URIs. Standard input and clusters ("cluster:<context>") have no file.
    """
    if not source or source in (STDIN_DISPLAY, "-") or source.startswith(CLUSTER_PREFIX):
        return None
    cwd = cwd or Path.cwd()
    path = Path(os.path.normpath(cwd / source))
    for candidate, root in ((Path(os.path.realpath(path)), Path(os.path.realpath(cwd))), (path, cwd)):
        try:
            relative = candidate.relative_to(root)
        except ValueError:
            continue
        # Percent-encoding of the name's bytes (RFC 3986), as the repository stores it: a name that
        # is not UTF-8 keeps its own bytes (%FF), not the escape reports show it with.
        return om.ArtifactLocation(uri=quote(os.fsencode(relative.as_posix()), safe="/"), uri_base_id=SRCROOT)
    return om.ArtifactLocation(uri=path.as_uri())


def cluster_uri(context: str, namespace: str | None, kind: str, name: str) -> str:
    parts = [context, *([namespace] if namespace else []), kind, name]
    return f"{K8S_SCHEME}://" + "/".join(quote(part, safe="") for part in parts)


def _region(position: Position | None) -> om.Region | None:
    if position is None:
        return None
    return om.Region(start_line=position.line, start_column=position.column)


def _logical_locations(resource: Resource, container: str | None = None) -> list[om.LogicalLocation]:
    qualified = qualified_name(resource)
    locations = [om.LogicalLocation(name=resource.name, fully_qualified_name=qualified, kind="resource")]
    if container:
        locations.append(
            om.LogicalLocation(name=container, fully_qualified_name=f"{qualified}/{container}", kind="container")
        )
    return locations


Artifacts = Callable[[str], "om.ArtifactLocation | None"]


def _artifacts(cwd: Path) -> Artifacts:
    """artifact_location for one log, computed once per file."""
    known: dict[str, om.ArtifactLocation | None] = {}

    def locate(source: str) -> om.ArtifactLocation | None:
        if source not in known:
            known[source] = artifact_location(source, cwd)
        return known[source]

    return locate


def _location(
    resource: Resource,
    position: Position | None,
    artifacts: Artifacts,
    container: str | None = None,
    **extra: Any,
) -> om.Location:
    artifact, region = _physical(resource, position, artifacts)
    physical = om.PhysicalLocation(artifact_location=artifact, region=_region(region))
    return om.Location(physical_location=physical, logical_locations=_logical_locations(resource, container), **extra)


def _physical(
    resource: Resource, position: Position | None, artifacts: Artifacts
) -> tuple[om.ArtifactLocation, Position | None]:
    """The artifact a location names, and the position of its region (None: no region)."""
    where = resource.origin.location()
    if where.file is not None:
        # A values file or patch, when it set the field; else the resource's file as opened (its own bytes).
        position_file = position.file if position is not None else None
        artifact = artifacts(position_file or where.file_path or where.file)
        if artifact is not None:
            return artifact, position
    elif where.context is not None:
        uri = cluster_uri(where.context, resource.namespace, resource.kind, resource.name)
        return om.ArtifactLocation(uri=uri), None
    # Standard input without --stdin-filename: GitHub rejects a whole upload if a result has
    # no physical location, so the result is pinned to the repository itself.
    return _REPOSITORY, None


_REPOSITORY = om.ArtifactLocation(uri=REPOSITORY_ROOT, uri_base_id=SRCROOT)


def _finding_location(finding: Finding, artifacts: Artifacts) -> om.Location:
    return _location(finding.resource, finding.position, artifacts, finding.container)


def _step_locations(finding: Finding, artifacts: Artifacts) -> list[om.Location]:
    """Each link of an attack path where its field is written, numbered from 1 in order."""
    return [
        _location(step.resource, step.position, artifacts, id=number, message=om.Message(text=step.message))
        for number, step in enumerate(finding.steps, start=1)
    ]


def _code_flows(steps: list[om.Location], message: str) -> list[om.CodeFlow] | None:
    """The path as one thread flow, so code scanning walks the steps across files."""
    if not steps:
        return None
    flow = om.ThreadFlow(locations=[om.ThreadFlowLocation(location=step, execution_order=step.id) for step in steps])
    return [om.CodeFlow(message=om.Message(text=message), thread_flows=[flow])]


def _related_locations(finding: Finding, artifacts: Artifacts) -> list[om.Location] | None:
    """The resource's own line when the field was set in another file, and the rendered document
    of a chart or overlay (its output is in no file: the location is the chart's or overlay's file)."""
    where = finding.resource.origin.location()
    related: list[om.Location] = []
    via = finding.position.via if finding.position is not None else None
    artifact = artifacts(where.file) if where.file is not None and via is not None else None
    if via is not None and artifact is not None:
        message = (
            "The template line that prints the value set here."
            if where.rendered is not None and where.rendered.tool == "helm"
            else "Where the base declares the resource's field (or its nearest parent) that this patch sets."
        )
        related.append(
            om.Location(
                id=len(related) + 1,
                physical_location=om.PhysicalLocation(artifact_location=artifact, region=_region(via)),
                message=om.Message(text=message),
            )
        )
    rendered = where.rendered
    manifest = artifacts(rendered.manifest) if rendered is not None else None
    if rendered is not None and manifest is not None:
        message = (
            f"Rendered by {rendered.tool} from {rendered.project}: "
            f"document {rendered.document} of the output, at its line {rendered.line}."
        )
        related.append(
            om.Location(
                id=len(related) + 1,
                physical_location=om.PhysicalLocation(artifact_location=manifest),
                message=om.Message(text=message),
            )
        )
    return related or None


def _source_location(source: str, line: int | None, artifacts: Artifacts) -> list[om.Location] | None:
    artifact = artifacts(source)
    if artifact is None:
        return None
    region = om.Region(start_line=line) if line else None
    return [om.Location(physical_location=om.PhysicalLocation(artifact_location=artifact, region=region))]


# -- rules --------------------------------------------------------------------------------------


def rule_name(rule_id: str) -> str:
    """The PascalCase name SARIF recommends: pss-baseline-privileged -> PssBaselinePrivileged."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^0-9A-Za-z]+", rule_id) if part)


def precision(rule: RuleMeta) -> str:
    """Pod Security Standards rules follow the upstream controls exactly; other rules are best practice."""
    return "very-high" if rule.profile else "high"


def _limit(text: str, size: int = DESCRIPTION_LIMIT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= size else text[: size - 1].rstrip() + "…"


def _markdown_link_text(text: str) -> str:
    return re.sub(r"([\\\[\]])", r"\\\1", text)


def _help(description: str, remediation: str, references: Sequence[Reference]) -> om.MultiformatMessageString:
    text = [description, f"Remediation: {remediation}"]
    markdown = [description, f"**Remediation:** {remediation}"]
    if references:
        text.append("References:\n" + "\n".join(f"- {ref.title}: {ref.url}" for ref in references))
        markdown.append(
            "**References:**\n\n" + "\n".join(f"- [{_markdown_link_text(ref.title)}]({ref.url})" for ref in references)
        )
    return om.MultiformatMessageString(text="\n\n".join(text), markdown="\n\n".join(markdown))


def _tags(rule: RuleMeta) -> list[str]:
    tags: list[str] = []
    for tag in ("security", rule.category, rule.profile):
        if tag and tag not in tags:
            tags.append(tag)
    for tag in rule.tags:
        if tag not in tags:
            tags.append(tag)
    return tags


def reporting_descriptor(rule: RuleMeta) -> om.ReportingDescriptor:
    """The rule as GitHub shows it."""
    title = rule.title or rule.id
    description = " ".join(rule.description.split()) or title
    references = rule.references
    severity = rule.severity
    return om.ReportingDescriptor(
        id=rule.id,
        name=rule_name(rule.id),
        short_description=om.MultiformatMessageString(text=_limit(title)),
        full_description=om.MultiformatMessageString(text=_limit(description)),
        help=_help(description, rule.remediation, references),
        help_uri=references[0].url if references else None,
        default_configuration=om.ReportingConfiguration(level=LEVEL[severity]),
        properties=PropertyBag(  # type: ignore[call-arg]  # sarif-om ships no type information
            tags=_tags(rule),
            additional={"precision": precision(rule), "security-severity": SECURITY_SEVERITY[severity]},
        ),
    )


# -- results and notifications ------------------------------------------------------------------


def _suppression(suppression: KubeauditSuppression) -> Suppression:
    extra: dict[str, Any] = {"source": suppression.source}
    if suppression.expires:
        extra["expires"] = suppression.expires
    return Suppression(  # type: ignore[call-arg]  # sarif-om ships no type information
        kind=suppression.kind,
        justification=suppression.justification or None,
        status="accepted",
        properties=PropertyBag(additional=extra),
    )


def _fixes(fix: ProposedFix | None, artifacts: Artifacts) -> list[om.Fix] | None:
    """The finding's fix as SARIF artifact changes: character regions of its file and their new text."""
    location = artifacts(fix.file) if fix is not None else None
    if fix is None or location is None:
        return None
    replacements = [
        om.Replacement(
            deleted_region=om.Region(char_offset=r.offset, char_length=r.length),
            inserted_content=om.ArtifactContent(text=r.text) if r.text else None,
        )
        for r in fix.replacements
    ]
    change = om.ArtifactChange(artifact_location=location, replacements=replacements)
    return [om.Fix(description=om.Message(text=fix.description), artifact_changes=[change])]


def _result(finding: Finding, rule_index: int, artifacts: Artifacts, fix: ProposedFix | None = None) -> om.Result:
    steps = _step_locations(finding, artifacts)
    others = _related_locations(finding, artifacts) or []
    for number, location in enumerate(others, start=len(steps) + 1):  # ids after the steps'
        location.id = number
    return om.Result(
        related_locations=[*steps, *others] or None,
        code_flows=_code_flows(steps, finding.message),
        rule_id=finding.rule_id,
        rule_index=rule_index,
        level=LEVEL[finding.severity],
        message=om.Message(text=finding.message),
        locations=[_finding_location(finding, artifacts)],
        partial_fingerprints={FINGERPRINT_KEY: finding.fingerprint},
        suppressions=[_suppression(finding.suppression)] if finding.suppression else None,
        fixes=_fixes(fix, artifacts),
    )


def _results(
    findings: Sequence[Finding],
    index: dict[str, int],
    artifacts: Artifacts,
    fixes: dict[str, ProposedFix] | None = None,
) -> Iterator[dict[str, Any]]:
    """Each finding's result as JSON data, in log order, made only as it is written.

    GitHub merges results that share partialFingerprints into one alert. One fingerprint can
    occur twice in a run only when a file holds the same resource twice; the later ones get
    `:2`, `:3`... in output order (as GitHub numbers its own line hashes)."""
    store = findings if isinstance(findings, FindingStore) else FindingStore(findings)

    def physical(resource: Resource, position: Position | None) -> tuple[str, Position | None]:
        artifact, region = _physical(resource, position, artifacts)
        return artifact.uri, region

    order = result_order(store, physical)
    repeated = store.repeated_fingerprints()
    seen: dict[str, int] = {}
    for i in order:
        finding = store[i]
        result = _result(finding, index[finding.rule_id], artifacts, (fixes or {}).get(finding.fingerprint))
        fingerprint = finding.fingerprint
        if fingerprint in repeated:
            seen[fingerprint] = count = seen.get(fingerprint, 0) + 1
            if count > 1:
                result.partial_fingerprints = {FINGERPRINT_KEY: f"{fingerprint}:{count}"}
        yield to_json(result)


def _notifications(result: ScanResult, rule_ids: Sequence[str], artifacts: Artifacts) -> list[om.Notification]:
    notes = [_located_notification("error", error, artifacts) for error in result.errors]
    for gap in result.gaps:
        notes.append(om.Notification(level="warning", message=om.Message(text=f"Not scanned: {gap}")))
    for rule_id in sorted(result.not_evaluated):
        reference = om.ReportingDescriptorReference(
            id=rule_id, index=rule_ids.index(rule_id) if rule_id in rule_ids else -1
        )
        notes.append(
            om.Notification(
                level="warning",
                message=om.Message(text=f"Rule {rule_id} was not evaluated: {not_evaluated_text(result, rule_id)}"),
                associated_rule=reference,
            )
        )
    notes.extend(_located_notification("note", notice, artifacts) for notice in result.notices)
    return notes


def _located_notification(level: str, item: SourceMessage, artifacts: Artifacts) -> om.Notification:
    """A notification about a place in the input; without a location, the text names the source."""
    locations = _source_location(item.source, item.line, artifacts)
    return om.Notification(
        level=level, message=om.Message(text=item.message if locations else str(item)), locations=locations
    )


def information_uri() -> str | None:
    """The project's home page, from the package metadata ([project.urls] in pyproject.toml)."""
    try:
        urls = metadata.metadata("kubeaudit").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        return None
    by_label = {}
    for entry in urls:
        label, _, url = entry.partition(",")
        by_label[label.strip().lower()] = url.strip()
    for label in ("homepage", "repository", "source", "documentation"):
        if by_label.get(label):
            return by_label[label]
    return next((url for url in by_label.values() if url), None)


def _driver(rules: list[om.ReportingDescriptor]) -> om.ToolComponent:
    return om.ToolComponent(
        name=TOOL_NAME,
        version=__version__,
        semantic_version=__version__ if _SEMVER.match(__version__) else None,
        information_uri=information_uri(),
        rules=rules,
    )


def _directory_uri(path: Path) -> str:
    uri = path.as_uri()
    return uri if uri.endswith("/") else uri + "/"


def sarif_log(result: ScanResult, cwd: Path | None = None) -> om.SarifLog:
    """The log, without its results (they are streamed: `report_dict`)."""
    cwd = cwd or Path.cwd()
    rule_ids = _reported_rule_ids(result)
    reported: dict[str, RuleMeta] = {}
    for finding in result.findings:
        reported.setdefault(finding.rule_id, finding.rule)
    descriptors = [reporting_descriptor(reported[rule_id]) for rule_id in rule_ids]
    artifacts = _artifacts(cwd)
    run = om.Run(
        tool=om.Tool(driver=_driver(descriptors)),
        invocations=[
            om.Invocation(
                execution_successful=result.complete,
                tool_execution_notifications=_notifications(result, rule_ids, artifacts) or None,
            )
        ],
        original_uri_base_ids={
            SRCROOT: om.ArtifactLocation(
                uri=_directory_uri(cwd),
                description=om.Message(text="The repository root: the directory kubeaudit ran in."),
            )
        },
        column_kind="unicodeCodePoints",
        results=[],
    )
    return om.SarifLog(runs=[run], version=SARIF_VERSION, schema_uri=SARIF_SCHEMA)


def _reported_rule_ids(result: ScanResult) -> list[str]:
    """The rules with a result in the log, by id (the log's rules are these, in this order)."""
    return sorted({finding.rule_id for finding in result.findings})


def _document(result: ScanResult, cwd: Path | None = None) -> dict[str, Any]:
    """The log as JSON data, its results a `jsontext.Items` made one at a time as they are written."""
    cwd = cwd or Path.cwd()
    log: dict[str, Any] = to_json(sarif_log(result, cwd))
    head = {key: log.pop(key) for key in ("$schema", "version")}
    index = {rule_id: i for i, rule_id in enumerate(_reported_rule_ids(result))}
    log["runs"][0]["results"] = jsontext.Items(_results(result.findings, index, _artifacts(cwd), result.fixes))
    return {**head, **log}


def report_dict(result: ScanResult, cwd: Path | None = None) -> dict[str, Any]:
    """The whole log as plain data."""
    document = _document(result, cwd)
    run = document["runs"][0]
    run["results"] = list(run["results"])
    return document


def render(result: ScanResult, stream: TextIO, color: bool = False) -> None:
    # runs[0].results is four levels down: each result is made, encoded and written in turn.
    jsontext.dump(_document(result), stream, streamed_levels=4)
    stream.write("\n")


class SarifReporter(Reporter):
    """SARIF 2.1.0, for GitHub code scanning."""

    name = "sarif"
    suffix = ".sarif"

    def render(self, result: ScanResult, stream: TextIO, options: RenderOptions) -> None:
        render(result, stream, options.color)
