"""The small set of types every stage of the pipeline shares."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any, Protocol

from kubeaudit.repopath import repository_path

# A path into a document: mapping keys and list indexes, e.g. ("spec", "containers", 0, "image").
Path = tuple[str | int, ...]


class Severity(str, Enum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is more severe; used for --fail-on and sorting."""
        return _SEVERITY_RANK[self]

    @classmethod
    def parse(cls, text: str) -> Severity:
        return cls(text.strip().lower())


_SEVERITY_RANK = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}


def format_path(path: Path) -> str:
    """Render a path the way kubectl explain and most users write it: a.b[0].c"""
    out: list[str] = []
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif out and ("." in part or "/" in part):
            out.append(f"[{part!r}]")
        else:
            out.append(f".{part}" if out else part)
    return "".join(out)


def describe_type(value: Any) -> str:
    """'a mapping', 'a string'...: how error messages name a value's type."""
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return _TYPE_NAMES.get(type(value), type(value).__name__)


_TYPE_NAMES = {dict: "a mapping", list: "a list", str: "a string", int: "a number", float: "a number"}


@dataclass(frozen=True, slots=True)
class Position:
    line: int  # 1-based
    column: int  # 1-based
    # The file the line is in, when it is not the resource's own: a rendered resource's field
    # set by a Kustomize patch or a Helm values file (display path, as Origin.source).
    file: str | None = None
    # Where the resource itself writes the field, when the line above is in another file: the
    # template line that printed a value a Helm values file set (the resource's own file).
    via: Position | None = None


class Locator(Protocol):
    """Finds where a path inside a resource is written in its source."""

    def position(self, path: Path) -> Position | None: ...

    def record(self, base: Path, kept: Any, original: Any) -> Locator:
        """A locator for a slim copy (`kept`) of the resource at `base`, answering what it can
        from positions taken now, while the source still holds its node tree."""
        ...


@dataclass(frozen=True, slots=True)
class RenderedFrom:
    """A resource a renderer produced (kubectl kustomize, helm template) from a chart or overlay:
    reports show it as a related location beside the source file and line it maps back to."""

    tool: str  # "kustomize", "helm"
    project: str  # display path of the overlay or chart directory
    manifest: str  # display path of the file that makes it one (kustomization.yaml, Chart.yaml)
    document: int  # 1-based document in the rendered output
    line: int  # the document's first line in the rendered output


@dataclass(frozen=True, slots=True)
class Location:
    """Where a resource lives, as every report names it: a file (`file` and the 1-based
    `document`; lines come with each finding) or an object in a cluster (`context`; no lines,
    so reports name the field instead)."""

    source: str  # the file's display path ("-" for stdin), or "cluster:<context>"
    file: str | None = None  # None: not in a file
    document: int | None = None  # 1-based, for files
    context: str | None = None  # the kube context, for cluster objects
    owned_pods: int | None = None  # pods folded into this cluster workload (sources/cluster/owners.py)
    rendered: RenderedFrom | None = None  # the chart or overlay it was rendered from
    # The file as the filesystem names it, where that is not `file` (bytes that are not UTF-8 kept as
    # os.fsdecode keeps them): for URIs, which must name the file itself, not its display.
    file_path: str | None = None


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a resource came from: a file (with document index) or a cluster context."""

    source: str  # display path of the file ("-" for stdin) or "cluster:<context>"
    document: int | None = None  # 0-based index of the YAML document in the file
    base_path: Path = ()  # where the resource sits inside the document (items of a List)
    locator: Locator | None = field(default=None, compare=False, repr=False)
    context: str | None = None  # kube context, for cluster resources
    rendered: RenderedFrom | None = None  # rendered from a chart or overlay; `source` is the file it maps to
    file_path: str | None = None  # the file as opened, when its display (`source`) differs: see Location

    def position(self, path: Path) -> Position | None:
        if self.locator is None:
            return None
        return self.locator.position(self.base_path + path)

    def location(self) -> Location:
        """Where reports say this resource is. Origins of other kinds (a cluster object, a
        rendered chart) answer for themselves."""
        if self.context is not None:
            return Location(self.source, context=self.context)
        return Location(
            self.source,
            file=self.source,
            document=(self.document or 0) + 1,
            rendered=self.rendered,
            file_path=self.file_path,
        )

    def keep(self, kept: Any, original: Any) -> Origin:
        """This origin for a slim copy of its resource's data, with the positions the copy may
        be asked for recorded now (later look-ups then need not re-read the file)."""
        if self.locator is None:
            return self
        locator = self.locator.record(self.base_path, kept, original)
        if type(self) is not Origin:  # a subclass's own fields
            return replace(self, locator=locator)
        # Made directly: dataclasses.replace costs twice as much, for every resource a view keeps.
        return Origin(self.source, self.document, self.base_path, locator, self.context, self.rendered, self.file_path)


@dataclass(frozen=True, slots=True)
class Resource:
    api_version: str
    kind: str
    name: str
    namespace: str | None
    data: dict[str, Any] = field(compare=False, repr=False)
    origin: Origin = field(compare=False)

    @property
    def ref(self) -> str:
        """kind/namespace/name, the identity used in reports and fingerprints."""
        ns = self.namespace or ""
        return f"{self.kind}/{ns}/{self.name}" if ns else f"{self.kind}/{self.name}"


@dataclass(frozen=True, slots=True)
class Suppression:
    """Why a finding does not count for the gate. Suppressed findings stay in reports."""

    kind: str  # "inSource" (an annotation in the manifest) or "external" (config, baseline)
    source: str  # "annotation", "config" or "baseline"
    justification: str = ""
    expires: str | None = None  # ISO date, when the suppression was given one


@dataclass(frozen=True, slots=True)
class Reference:
    title: str
    url: str


@dataclass(frozen=True, slots=True)
class RuleMeta:
    """What reports say about a rule, typed: every finding carries its rule's, so reporters
    never need the compiled rule (kubeaudit.engine.rule.Rule.meta)."""

    id: str
    title: str
    severity: Severity  # as configured (a config may override the rule file's)
    category: str
    remediation: str  # the help: a one-line fix first, details after
    description: str = ""
    references: tuple[Reference, ...] = ()
    profile: str | None = None  # Pod Security Standards level, for PSS rules
    tags: tuple[str, ...] = ()
    # Framework controls the rule checks: (framework id, control ids) pairs, in the rule file's order
    # (kubeaudit.compliance.frameworks lists the frameworks and their controls).
    frameworks: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # The rule's declared fix (kubeaudit.engine.fixes.FixChange), for `kubeaudit fix` and SARIF `fixes`.
    fix: tuple[Any, ...] = ()


@dataclass(frozen=True, slots=True)
class Step:
    """One link of a multi-resource finding (an attack path): why it holds, and the field of the
    resource that makes it (with its source position once located)."""

    message: str
    resource: Resource
    path: Path
    position: Position | None = None

    @property
    def line(self) -> int | None:
        return self.position.line if self.position else None


@dataclass(frozen=True, slots=True)
class Finding:
    rule: RuleMeta
    severity: Severity
    message: str
    resource: Resource
    path: Path  # path inside the resource of the offending (or nearest existing) field
    position: Position | None
    container: str | None = None
    suppression: Suppression | None = None
    policy_version: str | None = None  # the Pod Security policy version a PSS rule applied ("v1.37")
    # Stable across line moves, re-indentation and document reordering: rule, cluster
    # context or the file's path in its repository, resource identity and the field path
    # with list items named by identity, not position. Computed once, when the finding is
    # made, from the full resource: the pipeline may later keep only a slim copy of it.
    fingerprint: str = field(default="", compare=False)
    # The links of a multi-resource finding (an attack path), in order; the finding itself is
    # reported where the first one is.
    steps: tuple[Step, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if not self.fingerprint:
            object.__setattr__(self, "fingerprint", compute_fingerprint(self.rule_id, self.resource, self.path))

    def with_resource(self, resource: Resource) -> Finding:
        """This finding on another copy of its resource (the slim one the scan keeps); its
        fingerprint stays the one computed from the full resource."""
        return self._with("resource", resource)

    def with_position(self, position: Position | None) -> Finding:
        return self._with("position", position)

    def _with(self, name: str, value: Any) -> Finding:
        # dataclasses.replace, for one field and without re-running __init__: every finding
        # of a scan goes through here once or twice, and replace() costs twice as much.
        changed = object.__new__(Finding)
        for slot in Finding.__slots__:
            object.__setattr__(changed, slot, getattr(self, slot))
        object.__setattr__(changed, name, value)
        return changed

    @property
    def rule_id(self) -> str:
        return self.rule.id

    @property
    def title(self) -> str:
        return self.rule.title

    @property
    def remediation(self) -> str:
        return self.rule.remediation

    @property
    def category(self) -> str:
        return self.rule.category

    @property
    def line(self) -> int | None:
        return self.position.line if self.position else None

    @property
    def file(self) -> str | None:
        """The file the finding's line is in: the resource's own, or the one that set the field
        (a Helm values file, a Kustomize patch); None for a cluster object."""
        if self.position is not None and self.position.file is not None:
            return self.position.file
        return self.resource.origin.location().file


def slot_setter(cls: type, name: str) -> Callable[[Any, Any], None]:
    """What sets a slot of `cls` as its frozen dataclass's own __init__ would (object.__setattr__),
    at a third of the cost: for objects made by the tens of thousands."""
    setter: Callable[[Any, Any], None] = cls.__dict__[name].__set__
    return setter


(
    _set_rule,
    _set_severity,
    _set_message,
    _set_resource,
    _set_path,
    _set_position,
    _set_container,
    _set_suppression,
    _set_policy_version,
    _set_fingerprint,
    _set_steps,
) = (slot_setter(Finding, name) for name in Finding.__slots__)


def new_finding(
    rule: RuleMeta,
    severity: Severity,
    message: str,
    resource: Resource,
    path: Path,
    position: Position | None,
    container: str | None,
    policy_version: str | None,
    fingerprint: str,
    steps: tuple[Step, ...],
    suppression: Suppression | None = None,
) -> Finding:
    """Finding(...) with its fingerprint known, made without the dataclass's __init__ and
    __post_init__: rules make a finding for every field they flag (30,000 in a 10,000-pod cluster
    scan), the finding store one for each record it reads, and the frozen __init__ costs three
    times as much."""
    made: Finding = object.__new__(Finding)
    _set_rule(made, rule)
    _set_severity(made, severity)
    _set_message(made, message)
    _set_resource(made, resource)
    _set_path(made, path)
    _set_position(made, position)
    _set_container(made, container)
    _set_suppression(made, suppression)
    _set_policy_version(made, policy_version)
    _set_fingerprint(made, fingerprint)
    _set_steps(made, steps)
    return made


def compute_fingerprint(rule_id: str, resource: Resource, path: Path) -> str:
    text = f"{rule_id}\x1f{_identity_part(resource)}\x1f{_stable_path(resource.data, path)}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def subject_fingerprint(rule_id: str, subject: str, doc: Any, view_path: Path) -> str:
    """The fingerprint of a finding about something that is not the resource it is reported at
    (a namespace without its Namespace object is reported at one of its workloads): the rule,
    the subject ("<context>\x1fNamespace\x1f<name>") and the path in the view's document. Renaming,
    moving or adding the workload it is reported at leaves it as it was."""
    text = f"{rule_id}\x1f{subject}\x1f{_stable_path(doc, view_path)}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


# The last resource's identity part: a resource's findings are made one after another, and
# the part (its file's repository path above all) is the same for each of them.
_last_identity: tuple[Resource | None, str] = (None, "")


def _identity_part(resource: Resource) -> str:
    """The resource's part of its findings' fingerprints: cluster context or file, identity."""
    global _last_identity
    last, part = _last_identity
    if last is resource:
        return part
    origin = resource.origin
    part = "\x1f".join(
        (
            origin.context or "",
            # The file, so that a baselined manifest copied elsewhere is not silenced; for a rendered
            # resource also the overlay or chart, as two overlays of one base are two deployments.
            "" if origin.context is not None else repository_path(origin.source),
            *([repository_path(origin.rendered.project)] if origin.rendered is not None else []),
            resource.kind,
            resource.namespace or "",
            resource.name,
        )
    )
    _last_identity = (resource, part)
    return part


def _stable_path(data: Any, path: Path) -> str:
    out: list[str] = []
    node = data
    for part in path:
        if isinstance(part, str):
            out.append("." + part)
            node = node.get(part) if isinstance(node, dict) else None
        else:
            item = node[part] if isinstance(node, list) and part < len(node) else None
            out.append(_stable_item(item, part))
            node = item
    return "".join(out)


def _stable_item(item: Any, index: int) -> str:
    """A list item by identity rather than position: its name, with kind and namespace where
    it has them (RBAC subjects: two ServiceAccounts named `default` in different namespaces)."""
    name = item.get("name") if isinstance(item, dict) else None
    if not isinstance(name, str):
        return f"[{index}]"
    kind, namespace = item.get("kind"), item.get("namespace")
    kind_part = f"kind={kind}," if isinstance(kind, str) else ""
    namespace_part = f"namespace={namespace}," if isinstance(namespace, str) else ""
    return f"[{kind_part}{namespace_part}name={name}]"


@dataclass(frozen=True, slots=True)
class TextReplacement:
    """Replace `length` characters of a file from `offset` (0-based, in the text as read) with `text`."""

    offset: int
    length: int
    text: str


@dataclass(frozen=True, slots=True)
class ProposedFix:
    """A finding's fix as edits of its file's text (SARIF `fixes`), made by kubeaudit.fix.proposals."""

    description: str
    file: str  # display path, as Origin.source
    replacements: tuple[TextReplacement, ...]


@dataclass(frozen=True, slots=True)
class SourceMessage:
    """A message about a place in the input: a file (and line, where known) or a resource."""

    source: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class ScanError(SourceMessage):
    """Something that could not be read or evaluated. Any error makes the scan incomplete."""


@dataclass(frozen=True, slots=True)
class CoverageGap:
    """Something the scan could not see: a kind it may not list, a namespace it could not read."""

    what: str  # e.g. "secrets" or "namespace kube-system"
    reason: str  # e.g. "forbidden (403)"
    context: str | None = None

    def __str__(self) -> str:
        where = f"[{self.context}] " if self.context else ""
        return f"{where}{self.what}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Notice(SourceMessage):
    """Something worth telling the user that is not a finding or an error (an expired suppression)."""


@dataclass(slots=True)
class ScanStats:
    files: int = 0
    documents: int = 0
    resources: int = 0
    skipped_documents: int = 0  # documents with no apiVersion/kind (values files, kustomizations...)
    untargeted_resources: int = 0  # resources of kinds no enabled rule looks at
    untargeted_kinds: dict[str, int] = field(default_factory=dict)  # those, by kind


@dataclass(frozen=True, slots=True)
class WorkloadSummary:
    """A scanned workload and the QoS class its pods get (BestEffort, Burstable, Guaranteed)."""

    kind: str
    namespace: str | None
    name: str
    source: str
    qos_class: str


@dataclass(slots=True)
class ScanResult:
    # A scan's own are a kubeaudit.finding_store.FindingStore (compact records, each Finding made
    # as it is read); any sequence of findings will do for a result made otherwise.
    findings: Sequence[Finding]
    errors: list[ScanError]
    stats: ScanStats
    inputs: list[str]
    rules: list[RuleMeta]  # the rules that ran
    gaps: list[CoverageGap] = field(default_factory=list)
    not_evaluated: dict[str, str] = field(default_factory=dict)  # rule id -> why it could not run
    # rule id -> what a cross-resource rule would have judged (kind/namespace/name), for the
    # rules that made no finding because their inputs were not fully read
    not_evaluated_targets: dict[str, list[str]] = field(default_factory=dict)
    notices: list[Notice] = field(default_factory=list)
    allow_partial: bool = False  # coverage gaps do not make the scan incomplete
    # Pod Security labels and policy versions of the namespaces seen
    # (kubeaudit.engine.namespace_policy.NamespacePolicies), for psa-plan.
    namespace_policies: Any = None
    workloads: list[WorkloadSummary] = field(default_factory=list)
    # Rules that judged at least one target: a rule that ran but is not here saw nothing it checks
    # (no control-plane pod in the files), so it can vouch for nothing (kubeaudit.compliance).
    judged_rules: set[str] = field(default_factory=set)
    # fingerprint -> ids of the rules whose finding of the same problem was merged into this one
    # (a baseline finding a restricted rule's says more than: engine.supersede); they failed too.
    merged_rules: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # The compliance tables asked for (--compliance), kubeaudit.compliance.table.ComplianceTable each.
    compliance: list[Any] = field(default_factory=list)
    # fingerprint -> the finding's fix as text replacements, when asked for (scan --sarif-fixes)
    fixes: dict[str, ProposedFix] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return not self.errors and (self.allow_partial or not self.gaps)

    @property
    def active_findings(self) -> Sequence[Finding]:
        """Findings that count for the gate: not suppressed."""
        from kubeaudit.finding_store import FindingStore  # it stores this module's types

        if isinstance(self.findings, FindingStore):
            return self.findings.active()  # read off the records, no finding made
        return [f for f in self.findings if f.suppression is None]
