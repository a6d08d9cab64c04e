"""The pipeline as a library call: sources -> resources -> views -> rules -> findings.

kubeaudit.api builds a scan from options and config on top of these functions; the
CLI is a thin layer over that.
"""

from __future__ import annotations

import contextlib
import gc
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from kubeaudit.engine.namespace_policy import NamespacePolicies, WorkloadEntry
from kubeaudit.engine.rule import Rule, located_steps
from kubeaudit.engine.supersede import superseded
from kubeaudit.finding_store import FindingStore
from kubeaudit.inventory import Inventory
from kubeaudit.model import CoverageGap, Finding, Resource, ScanError, ScanResult, ScanStats, WorkloadSummary
from kubeaudit.semantics.fieldtree import trimmed
from kubeaudit.semantics.resources import qos_class
from kubeaudit.semantics.workloads import POD_SPEC_LOCATIONS, WORKLOAD_KINDS, get_path
from kubeaudit.sources.base import Batch, Source
from kubeaudit.sources.manifests import ManifestSource
from kubeaudit.sources.reparse import reparse_session
from kubeaudit.views import ShapeError, check_resource_shape, resource_targets
from kubeaudit.views.base import Target
from kubeaudit.views.pod import pod_spec_of, slim_resource
from kubeaudit.views.registry import VIEWS, InventoryView, inventory_view, kept_kind_fields, kept_pod_fields


class RuleIndex:
    """Rules grouped by view and kind, so each resource meets only rules that can apply."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = list(rules)
        self.by_view: dict[str, list[Rule]] = defaultdict(list)
        for rule in self.rules:
            self.by_view[rule.view].append(rule)
        inventory_views = [inventory_view(v) for v in sorted(self.by_view)]
        self.inventory_views = [v for v in inventory_views if v is not None]
        self.resource_views = frozenset(self.by_view) - {v.name for v in self.inventory_views}
        # What the views built read of kept workloads' pod specs: all a slimmed workload keeps of it.
        self.pod_fields = kept_pod_fields(self.inventory_views)
        self.inventory_kinds = frozenset(
            k for view in self.inventory_views for k in (*view.all_kinds, *(() if view.keep else view.optional_kinds))
        )
        # Of the other kinds kept, the fields those views read (kinds missing here are kept whole).
        self.kind_fields = kept_kind_fields(self.inventory_views, self.inventory_kinds - WORKLOAD_KINDS)
        # Optional kinds of which a view keeps only some resources, whole (see InventoryView.keep).
        self.keepers: dict[str, list[Callable[[Resource], bool]]] = defaultdict(list)
        for view in self.inventory_views:
            if view.keep is not None:
                for kind in view.optional_kinds:
                    self.keepers[kind].append(view.keep)
        self._all_kinds = any(
            r.kinds is None and VIEWS[r.view].kinds is None for r in self.rules if r.view in self.resource_views
        )
        kinds: set[str] = set()
        for rule in self.rules:
            if rule.view not in self.resource_views:
                continue
            view_kinds = VIEWS[rule.view].kinds
            if rule.kinds is not None:
                kinds |= rule.kinds if view_kinds is None else (rule.kinds & view_kinds)
            elif view_kinds is not None:
                kinds |= view_kinds
        self.kinds = frozenset(kinds)
        self._for_kind: dict[tuple[str, str], list[Rule]] = {}

    def rules_for(self, view: str, kind: str) -> list[Rule]:
        """The rules of a per-resource view that match a kind, in rule order: worked out once per
        (view, kind), not for every resource (10,000 resources meet them 20,000 times)."""
        key = (view, kind)
        found = self._for_kind.get(key)
        if found is None:
            found = self._for_kind[key] = [r for r in self.by_view[view] if r.kinds is None or kind in r.kinds]
        return found

    def targets_kind(self, kind: str) -> bool:
        return self._all_kinds or kind in self.kinds or kind in self.inventory_kinds or kind in self.keepers

    def kept_copy(self, resource: Resource) -> Resource:
        """The copy of a resource the scan keeps past its own rules: workloads slimmed to the pod
        fields the views read, other kinds the views declare trimmed to those fields."""
        if resource.kind in WORKLOAD_KINDS:
            return slim_resource(resource, self.pod_fields)
        fields = self.kind_fields.get(resource.kind)
        return resource if fields is None else replace(resource, data=trimmed(resource.data, fields))

    def kept_whole(self, resource: Resource) -> bool:
        """Whether a view asked to keep this resource as it is."""
        return any(keep(resource) for keep in self.keepers.get(resource.kind, ()))


def workload_summary(resource: Resource) -> WorkloadSummary:
    spec = get_path(resource.data, POD_SPEC_LOCATIONS[resource.kind][0])
    return WorkloadSummary(resource.kind, resource.namespace, resource.name, resource.origin.source, qos_class(spec))


def evaluate_resource(
    resource: Resource,
    index: RuleIndex,
    policy: int | None = None,
    report_as: Resource | None = None,
    judged: set[str] | None = None,
    undecided: list[tuple[str, str, str]] | None = None,
) -> list[Finding]:
    """Every finding of every applicable per-resource rule on one resource, its pod judged at
    Pod Security policy v1.`policy`, carrying `report_as` (the copy the scan keeps) if given;
    `judged` collects the rules that judged a target of it, `undecided` (rule id, why, target)
    the rules that read a field of a target its view could not decide (Target.unread).
    Raises ShapeError."""
    findings: list[Finding] = []
    for view, targets in resource_targets(resource, index.resource_views, policy).items():
        rules = index.rules_for(view, resource.kind)
        if not rules:
            continue
        for target in targets:
            for rule in rules:
                if target.unread and undecided is not None:
                    why = _undecided_reason(rule, target)
                    if why is not None:  # never assert from data the scan did not read
                        undecided.append((rule.id, why, target.resource.ref))
                        continue
                findings.extend(rule.evaluate(target, report_as=report_as, judged=judged))
    return findings


def _undecided_reason(rule: Rule, target: Target) -> str | None:
    """Why `rule` cannot judge `target`: the first unread field it reads, if any. A target the
    rule's `match.where` leaves out (a kube-apiserver rule on kube-scheduler) is not its to judge."""
    reads = rule.document_fields()
    why = next((why for name, why in sorted(target.unread.items()) if reads is None or name in reads), None)
    if why is not None and rule.where is not None and not rule.where(target.doc, (), None):
        return None
    return why


def _namespaces_first(resources: list[Resource]) -> list[Resource]:
    """A batch's Namespaces before its workloads, so that their labels (the policy version
    they pin) are known when the workloads' rules run."""
    if not any(r.kind == "Namespace" for r in resources):
        return resources
    return sorted(resources, key=lambda r: r.kind != "Namespace")


@dataclass(slots=True)
class BatchOutcome:
    """What the scan keeps of a batch once its resources are evaluated: findings, the copies the
    cross-resource views keep, what went wrong, counts. Small enough to send between processes
    (kubeaudit.parallel); merged into the scan's result in input order."""

    errors: list[ScanError] = field(default_factory=list)
    gaps: list[CoverageGap] = field(default_factory=list)
    facts: dict[str, object] = field(default_factory=dict)
    files: int = 0
    documents: int = 0
    skipped_documents: int = 0
    resources: int = 0
    untargeted_resources: int = 0
    untargeted_kinds: dict[str, int] = field(default_factory=dict)
    namespaces: list[Resource] = field(default_factory=list)  # their labels pin policy versions
    policy_workloads: list[WorkloadEntry] = field(default_factory=list)  # for psa-plan
    workloads: list[WorkloadSummary] = field(default_factory=list)
    kept: list[Resource] = field(default_factory=list)  # for the inventory, in input order
    findings: list[Finding] = field(default_factory=list)
    judged: set[str] = field(default_factory=set)  # rules that judged a target (ScanResult.judged_rules)
    undecided: list[tuple[str, str, str]] = field(default_factory=list)  # rule id, why, target: not evaluated


class BatchEvaluator:
    """Evaluates one batch's resources with every per-resource rule, judging pods at the policy
    version their namespace pins (`policies`: the Namespaces seen so far, this batch's first)."""

    def __init__(self, index: RuleIndex, wanted: Callable[[str], bool], policies: NamespacePolicies) -> None:
        self.index = index
        self.wanted = wanted  # kinds the cross-resource views keep
        self.policies = policies

    def __call__(self, batch: Batch) -> BatchOutcome:
        index, policies = self.index, self.policies
        outcome = BatchOutcome(
            list(batch.errors), list(batch.gaps), dict(batch.facts), batch.files, batch.documents,
            batch.skipped_documents,
        )  # fmt: skip
        policies.use_facts(batch.facts)
        for resource in _namespaces_first(batch.resources):
            outcome.resources += 1
            if resource.kind == "Namespace":
                policies.add_namespace(resource)
                outcome.namespaces.append(resource)
            if not index.targets_kind(resource.kind):
                outcome.untargeted_resources += 1
                outcome.untargeted_kinds[resource.kind] = outcome.untargeted_kinds.get(resource.kind, 0) + 1
                continue
            try:
                check_resource_shape(resource)
                policy = policies.version_for(resource) if resource.kind in WORKLOAD_KINDS else None
                # Past its own rules only identity, metadata and pod-template metadata are read of
                # a resource (reports, suppressions, NetworkPolicy selection): its findings carry
                # the copy that keeps no more, made once here rather than copied into each finding.
                whole = index.kept_whole(resource)
                kept = resource if whole else index.kept_copy(resource)
                keep = whole or self.wanted(resource.kind)
                if keep:
                    # Record where the kept copy's fields are written while the node tree is
                    # here: cross-resource findings then need not re-read the file.
                    origin = kept.origin.keep(kept.data, resource.data)
                    if origin is not kept.origin:  # a cluster object's has no positions to record
                        kept = Resource(kept.api_version, kept.kind, kept.name, kept.namespace, kept.data, origin)
                found = evaluate_resource(resource, index, policy, kept, outcome.judged, outcome.undecided)
                if policy is not None:
                    entry = policies.workload_entry(resource, pod_spec_of(resource))
                    if entry is not None:
                        outcome.policy_workloads.append(entry)
                if resource.kind in WORKLOAD_KINDS:
                    outcome.workloads.append(workload_summary(resource))
                if keep:
                    outcome.kept.append(kept)
                outcome.findings.extend(found)
            except ShapeError as exc:
                position = resource.origin.position(exc.path)
                outcome.errors.append(
                    ScanError(
                        resource.origin.source,
                        f"{resource.kind}/{resource.name} not scanned: {exc.message}",
                        position.line if position else None,
                    )
                )
        if batch.release is not None:
            batch.release()  # this batch's lines are resolved; its node trees can go
        return outcome


def _outcomes(source: Source, evaluate: BatchEvaluator, jobs: int) -> Iterator[BatchOutcome]:
    """The source's batches evaluated, in input order: in this process, or with `jobs` > 1 and a
    source that can split its batches, by worker processes (kubeaudit.parallel)."""
    split = source.split() if jobs > 1 else None
    if split is None:
        yield from map(evaluate, source.batches())
        return
    from kubeaudit.parallel import parallel_outcomes

    yield from map(evaluate, split.first)
    yield from parallel_outcomes(split.rest, evaluate, jobs, split.alongside)


def _dedupe(findings: FindingStore) -> FindingStore:
    """One finding of a rule at one field of one resource (a file named twice, a List's item)."""
    return findings.deduplicated(_dedupe_resource_key)


def _dedupe_resource_key(resource: Resource) -> tuple[object, ...]:
    origin = resource.origin
    return (origin.source, origin.document, origin.base_path, origin.rendered, resource.ref)


def locate_findings(findings: FindingStore) -> FindingStore:
    """The findings with their source positions, looked up file by file and document by document
    so that, in a reparse session, a released file is re-parsed once for all its findings. Each
    record is replaced in place by its located finding's, made one at a time."""
    for i in findings.resource_order(_input_order):
        finding = findings[i]
        located = finding.with_position(finding.resource.origin.position(finding.path))
        if finding.steps:  # an attack path: where each of its links is written
            located = replace(located, steps=located_steps(finding.steps))
        findings.put(i, located)
    return findings


def _input_order(resource: Resource) -> tuple[str, int, str]:
    origin = resource.origin
    return (origin.source, origin.document or 0, origin.context or "")


def sorted_findings(findings: FindingStore) -> FindingStore:
    """The findings in sort_key's order, worked out from ranks of the values the store holds once
    (sort_key's tuples for 200,000 findings took 48 MiB, the scan's last peak)."""
    return findings.sorted_by_ranks(_sorted_before_line, lambda resource: resource.ref, repr)


def _sorted_before_line(resource: Resource) -> tuple[object, ...]:
    origin = resource.origin
    return (
        origin.source,
        origin.rendered.project if origin.rendered is not None else "",
        resource.namespace or "",
        origin.document or 0,
    )


def sort_key(finding: Finding) -> tuple[object, ...]:
    origin = finding.resource.origin
    return (
        origin.source,
        origin.rendered.project if origin.rendered is not None else "",
        finding.resource.namespace or "",
        origin.document or 0,
        finding.line or 0,
        finding.resource.ref,
        finding.rule_id,
        repr(finding.path),
    )


FindingFilter = Callable[[FindingStore, ScanResult], Sequence[Finding]]


# Young collections run once this many more container objects were made than freed. One file's
# node tree and documents are tens of thousands of them, all alive until the file is done, so at
# 50,000 nearly every big file set off a collection that moved its whole tree to the older
# generations, and their passes cost more as the kept findings grew (GC was 8% of the CPU of a scan
# of 11,000 resources in one namespace, 4% at 1,100). At 1,000,000 most trees are freed before a
# collection sees them: 200,000 cut the collector's time to a third, 1,000,000 to half of that
# again (9 us per resource at 10,000 resources against 18, 16 against 25 at 50,000), with growth
# still linear and the peak RSS within 2 MiB (bench/README.md, "Garbage collection"). It bounds
# the cyclic garbage that can pile up between passes (a scan makes little).
YOUNG_COLLECTION_THRESHOLD = 1_000_000


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    """A scan allocates millions of small, acyclic objects (YAML nodes, dicts) while the
    heap of kept findings grows; Python's default thresholds then run ever costlier full
    collections, measured at a quarter of scan time. Collect less often, then restore."""
    previous = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*previous)


def run_scan(
    sources: Sequence[Source],
    rules: Sequence[Rule],
    *,
    settings: dict[str, Any] | None = None,
    postprocess: FindingFilter | None = None,
    allow_partial: bool = False,
    jobs: int = 1,
) -> ScanResult:
    """Read every source batch by batch, evaluate per-resource rules as batches come,
    then build cross-resource views once and evaluate their rules. With `jobs` > 1, sources
    that can split their batches are read and evaluated by that many worker processes; the
    result is the same."""
    with _fewer_collections():
        return _run_scan(sources, rules, settings, postprocess, allow_partial, jobs)


def _run_scan(
    sources: Sequence[Source],
    rules: Sequence[Rule],
    settings: dict[str, Any] | None,
    postprocess: FindingFilter | None,
    allow_partial: bool,
    jobs: int,
) -> ScanResult:
    index = RuleIndex(rules)
    inventory = Inventory(index.inventory_kinds)
    inventory.settings = dict(settings or {})
    policies = inventory.settings.get("namespace_policies")
    if not isinstance(policies, NamespacePolicies):
        policies = NamespacePolicies(inventory.settings.get("pss_version"))
    errors: list[ScanError] = []
    stats = ScanStats()
    # Findings as compact records from the first batch on: tens of thousands of them are held
    # through the whole scan (kubeaudit.finding_store).
    findings = FindingStore()
    result = ScanResult(findings, errors, stats, [], [r.meta for r in rules], allow_partial=allow_partial)
    result.namespace_policies = policies
    evaluator = BatchEvaluator(index, inventory.wants, policies)
    for source in sources:
        result.inputs.extend(source.describe())
        for outcome in _outcomes(source, evaluator, jobs):
            errors.extend(outcome.errors)
            result.gaps.extend(outcome.gaps)
            inventory.facts.update(outcome.facts)
            policies.use_facts(outcome.facts)
            for namespace in outcome.namespaces:
                policies.add_namespace(namespace)
            for entry in outcome.policy_workloads:
                policies.add_workload(entry)
            stats.files += outcome.files
            stats.documents += outcome.documents
            stats.skipped_documents += outcome.skipped_documents
            stats.resources += outcome.resources
            stats.untargeted_resources += outcome.untargeted_resources
            for kind, count in outcome.untargeted_kinds.items():
                stats.untargeted_kinds[kind] = stats.untargeted_kinds.get(kind, 0) + count
            result.workloads.extend(outcome.workloads)
            for kept in outcome.kept:
                inventory.add(kept)
            findings.extend(outcome.findings)
            result.judged_rules |= outcome.judged
            for rule_id, reason, ref in outcome.undecided:
                result.not_evaluated.setdefault(rule_id, reason)
                result.not_evaluated_targets.setdefault(rule_id, []).append(ref)
        unavailable = source.unavailable_kinds()
        inventory.unavailable.update(unavailable)
        for kind, reason in unavailable.items():
            for rule in rules:
                needs = rule.needed_kinds()
                if needs is None or kind in needs:
                    result.not_evaluated.setdefault(rule.id, f"{kind} could not be read: {reason}")
    with reparse_session():  # node trees are released by now: re-read each file at most once more
        # The views' findings as records from the first one on, as the per-file phase's.
        unlocated = findings.derived()
        for view in index.inventory_views:
            unlocated.extend(_evaluate_view(view, index.by_view[view.name], inventory, result, unlocated))
        result.notices.extend(inventory.notices.values())
        result.gaps.extend(inventory.gaps.values())
        # The views are built: the kept copies no finding carries, their recorded positions and the
        # views' models (attack paths, the network model) can go before findings are located and
        # sorted, the scan's last peak (the evaluator holds the inventory through `wanted`).
        del inventory, evaluator
        findings.extend(locate_findings(unlocated))
        unique = _dedupe(findings)
        del findings
        survivors = unique.without(superseded(unique, rules, result.merged_rules))
        del unique
        if postprocess is not None:
            survivors = _stored(postprocess(survivors, result), survivors)
    result.findings = sorted_findings(survivors)
    return result


def _stored(findings: Sequence[Finding], like: FindingStore) -> FindingStore:
    """A filter's findings as a store (filters may hand back a list)."""
    if isinstance(findings, FindingStore):
        return findings
    store = like.derived()
    store.extend(findings)
    return store


def _evaluate_view(
    view: InventoryView, rules: list[Rule], inventory: Inventory, result: ScanResult, like: FindingStore
) -> FindingStore:
    """The findings of a cross-resource view's rules, in rule order, and its rules' not-evaluated
    targets, as if each rule ran over every target in turn. Targets come one at a time and each
    meets every rule before the next is made, so a view's documents (an attack path each) need not
    all be alive at once."""
    unread = view.decisive_kinds & inventory.unavailable.keys()
    # Never assert from data the scan did not read: a decisive kind of the view, or a kind a rule
    # needs (the fields it reads), was not fully read. Decided before any target is evaluated.
    skipped = {rule.id for rule in rules if unread or rule.id in result.not_evaluated}
    reads = {rule.id: rule.document_fields() for rule in rules}
    found: dict[str, FindingStore] = {rule.id: like.derived() for rule in rules}
    # Per rule: the targets it could not judge, with the first reason (an unread field it reads).
    unjudged: dict[str, list[str]] = {rule.id: [] for rule in rules}
    first_reason: dict[str, str] = {}
    # Per kind, the rules that match it, each with whether it is skipped, the fields it reads and
    # where its findings go: worked out once per kind, not for each of thousands of targets.
    by_kind: dict[str, list[tuple[Rule, bool, frozenset[str] | None, FindingStore]]] = {}
    judged = result.judged_rules
    for target in view.build(inventory):
        kind = target.resource.kind
        entries = by_kind.get(kind)
        if entries is None:
            entries = by_kind[kind] = [
                (rule, rule.id in skipped, reads[rule.id], found[rule.id])
                for rule in rules
                if rule.kinds is None or kind in rule.kinds
            ]
        unread_fields = sorted(target.unread.items()) if target.unread else None
        for rule, skip, fields, into in entries:
            if skip:
                unjudged[rule.id].append(target.resource.ref)
                continue
            if unread_fields is not None:
                undecided = [why for name, why in unread_fields if fields is None or name in fields]
                if undecided:  # never assert from data the scan did not read
                    first_reason.setdefault(rule.id, undecided[0])
                    unjudged[rule.id].append(target.resource.ref)
                    continue
            into.extend(rule.evaluate(target, locate=False, judged=judged))
    for rule in rules:  # in rule order, as reports list them in the order they were recorded
        refs = unjudged[rule.id]
        if rule.id in skipped:
            if unread:
                kind = min(unread)
                result.not_evaluated[rule.id] = f"{kind} could not be read: {inventory.unavailable[kind]}"
            result.not_evaluated_targets[rule.id] = sorted(set(refs))
        elif rule.id in first_reason:
            result.not_evaluated.setdefault(rule.id, first_reason[rule.id])
            result.not_evaluated_targets.setdefault(rule.id, []).extend(refs)
    ordered = like.derived()
    for rule in rules:
        ordered.extend(found.pop(rule.id))
    return ordered


def scan_manifests(
    paths: Sequence[str],
    rules: Sequence[Rule],
    excluded: Callable[[str], bool] | None = None,
    **options: Any,
) -> ScanResult:
    """Scan manifest files and folders ("-" for stdin) with the given compiled rules."""
    return run_scan([ManifestSource(paths, excluded)], rules, **options)
