"""The cluster Source: lists what the rules need and streams it into the pipeline page by page.

Kinds are listed concurrently by a bounded pool of threads; pages go through a bounded
queue to the pipeline, so a slow rule evaluation holds back the listing rather than
letting pages pile up in memory. Owners are listed before what they own (see owners.py).
What could not be read becomes a CoverageGap, never a silent pass.
"""

from __future__ import annotations

import queue
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from kubeaudit.model import CoverageGap, Notice, Resource, ScanError
from kubeaudit.sources.base import Batch, NeedsKinds, Source
from kubeaudit.sources.cluster.answers import object_label, object_problem, version_problems
from kubeaudit.sources.cluster.credentials import connect
from kubeaudit.sources.cluster.discovery import ApiResource, Discovery, discover
from kubeaudit.sources.cluster.errors import ApiError, ClusterError, ConnectionLost, ScanTimeout
from kubeaudit.sources.cluster.facts import ClusterFacts
from kubeaudit.sources.cluster.kinds import (
    CATALOGUE,
    FACT_KINDS,
    METADATA_ONLY,
    NODE_ENDPOINT_KINDS,
    catalogue_groups,
    default_kinds,
    kinds_for_rules,
)
from kubeaudit.sources.cluster.listing import DEFAULT_MAX_PAGES, DEFAULT_PAGE_SIZE, Page, list_pages
from kubeaudit.sources.cluster.nodeconfig import KIND as KUBELET_CONFIG
from kubeaudit.sources.cluster.nodeconfig import OPT_IN, read_node_configs
from kubeaudit.sources.cluster.owners import TIERS, ClusterOrigin, OwnerIndex
from kubeaudit.sources.cluster.progress import NoProgress, Progress
from kubeaudit.sources.cluster.tiers import TierQueue
from kubeaudit.sources.cluster.transport import (
    DEFAULT_ATTEMPTS,
    DEFAULT_MAX_RESPONSE_MIB,
    DEFAULT_TIMEOUT,
    Transport,
    connection_error,
)

DEFAULT_CONCURRENCY = 4
DEFAULT_SCAN_TIMEOUT = 900.0
# How long past the scan deadline the listing waits for workers to report before it gives up on
# them: every request is capped by the deadline, so they report well within this.
SCAN_TIMEOUT_GRACE = 2.0
VERSION_FIELDS = ("major", "minor", "gitVersion", "platform")
# A namespace name (RFC 1123 label), checked before it becomes part of a request path.
NAMESPACE_NAME = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
# A --cluster-name: it becomes part of every fingerprint, SARIF URI and report column name.
CLUSTER_NAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9._]{0,251}[A-Za-z0-9])?")
# Desired state is what rules judge; a workload's status (container statuses, conditions)
# is dropped as soon as it is read.
WORKLOAD_KINDS = frozenset(
    {"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job", "CronJob"}
)


@dataclass(slots=True)
class ClusterOptions:
    kubeconfig: str | None = None
    contexts: list[str] = field(default_factory=list)  # empty: the current context
    # What reports call the one cluster scanned, in place of its context's name (`in-cluster` in a pod).
    cluster_name: str | None = None
    namespaces: list[str] = field(default_factory=list)  # empty: all namespaces
    page_size: int = DEFAULT_PAGE_SIZE
    request_timeout: float = DEFAULT_TIMEOUT  # whole request, however slowly the answer comes
    scan_timeout: float | None = DEFAULT_SCAN_TIMEOUT  # reading every context; None: no limit
    max_pages: int = DEFAULT_MAX_PAGES  # per list
    max_response_mib: float = DEFAULT_MAX_RESPONSE_MIB  # per answer
    concurrency: int = DEFAULT_CONCURRENCY
    attempts: int = DEFAULT_ATTEMPTS  # per request, for 429, 5xx and network errors
    backoff: float = 0.25  # seconds before the first retry; doubles each time
    service_account_dir: str | None = None  # in-cluster token and CA; None: where Kubernetes mounts them
    # Each node's kubelet configuration through the node proxy (needs nodes/proxy: see nodeconfig.py).
    read_kubelet_config: bool = False


def open_cluster_sources(options: ClusterOptions, progress: Progress | None = None) -> list[ClusterSource]:
    """Connect to every context and check that each answers (GET /version). Raises ClusterError
    with one line per context that cannot be scanned at all: then nothing is scanned, not even the
    contexts that answered (a run either covers every context asked for or reports why not)."""
    bad = [ns for ns in options.namespaces if not NAMESPACE_NAME.fullmatch(ns)]
    if bad:
        raise ClusterError([f"--namespace {ns!r} is not a namespace name (RFC 1123 label)" for ns in bad])
    _check_cluster_name(options)
    scan_deadline = time.monotonic() + options.scan_timeout if options.scan_timeout else None
    connections = connect(options.kubeconfig, options.contexts, options.concurrency, options.service_account_dir)
    sources: list[ClusterSource] = []
    problems: list[str] = []
    for conn in connections:
        transport = Transport(
            conn.client,
            context=conn.context,
            server=conn.server,
            timeout=options.request_timeout,
            attempts=options.attempts,
            backoff=options.backoff,
            max_response_bytes=max(1, int(options.max_response_mib * 2**20)),
            scan_deadline=scan_deadline,
        )
        try:
            version = transport.get("/version", retry_connect=False)
        except ClusterError as exc:
            problems.extend(exc.lines)
            continue
        except ApiError as exc:
            problems.extend(
                connection_error(transport, exc).lines
                if exc.status == 0
                else [f"context {conn.context} ({conn.server}): GET /version failed: {exc.describe()}"]
            )
            continue
        transport.verified = True
        sources.append(ClusterSource(transport, options, version, progress))
    if problems:
        raise ClusterError(problems)
    return sources


def _check_cluster_name(options: ClusterOptions) -> None:
    name = options.cluster_name
    if name is None:
        return
    if not CLUSTER_NAME.fullmatch(name):
        raise ClusterError(
            f"--cluster-name {name!r}: use letters, digits, '.', '_' and '-' (starting and ending with a "
            "letter or digit, at most 253 characters)"
        )
    if len(dict.fromkeys(options.contexts)) > 1:
        raise ClusterError(
            "--cluster-name names one cluster, but several --context are given: scan each in its own run "
            "(or leave --cluster-name out: each context's name is used)"
        )


def failure_reason(error: ApiError) -> str:
    """How a coverage gap states a failed request (a 403 with the server's own words)."""
    if error.forbidden:
        return f"forbidden (403): {error.message}" if error.message else "forbidden (403)"
    return error.describe()


@dataclass(slots=True)
class _Task:
    resource: ApiResource
    namespace: str | None = None
    fallback: bool = False  # one namespace of a cluster-wide list we were not allowed
    served: bool = False  # a deprecated version the server serves: its objects go to the facts

    @property
    def label(self) -> str:
        """The list as reports name it: pods; a deprecated version, with its apiVersion."""
        res = self.resource
        return f"{res.label} at {res.api_version}" if self.served else res.label


@dataclass(slots=True)
class _Fallback:
    pending: int
    total: int
    forbidden: list[tuple[str, str]] = field(default_factory=list)  # (namespace, message)
    cluster_message: str = ""
    lost: ConnectionLost | None = None


@dataclass(slots=True)
class _Sorted:
    """A page as the worker that fetched it leaves it for the consumer: the objects folded into
    their owners are counted there and gone; the rest are resources to evaluate."""

    listed: int  # objects on the page, folded or not (progress counts them)
    remaining: int | None
    resources: list[Resource]
    malformed: list[str]


class _Budget:
    """Resources handed to the consumer and not yet taken: a worker waits while more than the
    budget is waiting, except that one page always fits when nothing waits (a page bigger
    than the budget must not wait for ever), and a page that leaves nothing to evaluate (every
    pod folded into its Deployment) never waits."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.waiting = 0
        self._cond = threading.Condition()

    def take(self, n: int, stop: threading.Event) -> bool:
        with self._cond:
            while n and self.waiting and self.waiting + n > self.limit:
                if stop.is_set():
                    return False
                self._cond.wait(0.1)
            self.waiting += n
            return True

    def give(self, n: int) -> None:
        with self._cond:
            self.waiting -= n
            self._cond.notify_all()


class ClusterSource(Source):
    """One kube context."""

    def __init__(
        self,
        transport: Transport,
        options: ClusterOptions,
        server_version: dict[str, Any],
        progress: Progress | None = None,
    ) -> None:
        self.transport = transport
        # What reports call this cluster (its findings, gaps, facts, fingerprints); errors about
        # connecting keep naming the kube context (transport.context), which is what the user fixes.
        self.context = options.cluster_name or transport.context
        self.name = f"cluster:{self.context}"
        self.options = options
        self.progress: Progress = progress or NoProgress()
        self.kinds = default_kinds()
        self.served_versions: frozenset[tuple[str, str]] = frozenset()  # what the rules ask for (narrow_to)
        self.facts = ClusterFacts(self.context)
        self.facts.scanned_namespaces = sorted(options.namespaces) if options.namespaces else None
        self.facts.server_version = {
            k: server_version[k] for k in VERSION_FIELDS if isinstance(server_version.get(k), str)
        }
        self._version_problems = version_problems(server_version, VERSION_FIELDS)
        self._unavailable: dict[str, str] = {}
        self._notices: list[Notice] = []
        self.owners = OwnerIndex()

    # -- Source ---------------------------------------------------------------------------------
    def describe(self) -> list[str]:
        return [self.name]

    def narrow_to(self, rules: Sequence[NeedsKinds]) -> None:
        """List only what these rules (and their views) need, plus the cluster facts."""
        self.kinds = kinds_for_rules(rules)
        self.served_versions = frozenset(pair for rule in rules for pair in rule.served_versions())

    def unavailable_kinds(self) -> dict[str, str]:
        return dict(self._unavailable)

    @property
    def api_kinds(self) -> frozenset[str]:
        """The kinds to discover and list (not those read from the nodes themselves)."""
        return self.kinds - NODE_ENDPOINT_KINDS

    def notices(self) -> list[Notice]:
        return [*self._notices, *self._version_summary()]

    def _version_summary(self) -> list[Notice]:
        """The cluster's versions at a glance: API server, kubelets, container runtimes."""
        server = self.facts.server_version.get("gitVersion")
        parts = [f"API server {server}"] if server else []
        nodes = self.facts.nodes
        if nodes:
            for label, key in (("kubelet", "kubeletVersion"), ("container runtime", "containerRuntimeVersion")):
                counts = Counter(str(info.get(key) or "unknown") for info in nodes.values())
                shown = ", ".join(f"{value} ({n})" for value, n in sorted(counts.items()))
                parts.append(f"{label} {shown}")
            parts.insert(1 if server else 0, f"{len(nodes)} node{'' if len(nodes) == 1 else 's'}")
        return [Notice(self.name, "versions: " + "; ".join(parts))] if parts else []

    # -- listing ------------------------------------------------------------------------------
    def batches(self) -> Iterator[Batch]:
        if self._version_problems:  # the fields that were strings are kept; the rest is a gap
            yield Batch(gaps=[CoverageGap("server version", "; ".join(self._version_problems), self.context)])
        try:
            discovery = discover(self.transport, self._groups_wanted(), frozenset(v for v, _ in self.served_versions))
        except ApiError as exc:
            for kind in sorted(self.api_kinds):
                self._unavailable[kind] = f"API discovery failed: {exc.describe()}"
            yield Batch(gaps=[CoverageGap("API discovery", exc.describe(), self.context)], facts=self.facts.as_dict())
            return
        resources, gaps = self._resolve(discovery)
        served, served_gaps = self._served(discovery, resources)
        gaps.extend(served_gaps)
        if gaps:
            yield Batch(gaps=gaps)
        namespaces, batch = self._namespaces(resources)
        batch.facts = self.facts.as_dict()  # the server version, before any pod is judged (policy `latest`)
        yield batch
        tiers: list[list[_Task]] = [[] for _ in range(len(TIERS) + 1)]
        for res in resources:
            if res.kind == "Namespace":
                continue  # read above
            tier = next((i for i, kinds in enumerate(TIERS, start=1) if res.kind in kinds), 0)
            if res.namespaced and self.options.namespaces:
                tiers[tier].extend(_Task(res, ns) for ns in self.options.namespaces)
            else:
                tiers[tier].append(_Task(res))
        # Deprecated versions last, within the same deadline: nothing waits for them, and a slow one
        # must not hold back the tiers the other rules read.
        tiers.append([_Task(res, served=True) for res in served])
        yield from self._run(tiers, namespaces)
        if KUBELET_CONFIG in self.kinds:
            yield from self._kubelet_configs()
        folded = self.owners.folded
        if folded:
            parts = ", ".join(f"{n} {kind}{'' if n == 1 else 's'}" for kind, n in sorted(folded.items()))
            self._notices.append(
                Notice(self.name, f"{parts} owned by controllers were reported once, at their top-level owner")
            )
        yield Batch(facts=self.facts.as_dict())

    def _groups_wanted(self) -> frozenset[str] | None:
        known = {k.kind for k in CATALOGUE}
        if any(kind not in known for kind in self.api_kinds):
            return None  # a custom rule names a kind we do not know: look everywhere
        return frozenset(g for kind in self.api_kinds for g in catalogue_groups(kind))

    def _resolve(self, discovery: Discovery) -> tuple[list[ApiResource], list[CoverageGap]]:
        found: list[ApiResource] = []
        gaps: list[CoverageGap] = []
        for kind in sorted(self.api_kinds):
            groups = catalogue_groups(kind)
            if groups:
                matches = [r for g in groups if (r := discovery.get(g, kind)) is not None]
            else:
                matches = discovery.by_kind(kind)
            if matches:
                found.extend(matches)
                continue
            unreadable = [why for group, why in discovery.failed_groups.items() if group in groups]
            if not groups and discovery.failed_groups:  # a kind we do not know may be in any group
                unreadable = list(discovery.failed_groups.values())
            if unreadable:
                reason = f"API discovery failed: {'; '.join(unreadable)}"
                self._unavailable[kind] = reason
                gaps.append(CoverageGap(kind, reason, self.context))
            # Otherwise the server does not serve the kind (no Istio installed): nothing to see.
        return found, gaps

    def _served(self, discovery: Discovery, listed: list[ApiResource]) -> tuple[list[ApiResource], list[CoverageGap]]:
        """The deprecated versions asked about that the server serves, except where the scan lists
        the kind at that very version anyway (PodSecurityPolicy on a server whose only version of it
        is deprecated): their objects are judged as listed."""
        already = {(r.api_version, r.kind) for r in listed}
        found = [
            res for pair in sorted(self.served_versions - already) if (res := discovery.served.get(pair)) is not None
        ]
        gaps = [
            CoverageGap(f"API version {gv}", f"API discovery failed: {why}", self.context)
            for gv, why in sorted(discovery.failed_versions.items())
        ]
        return found, gaps

    def _namespaces(self, resources: list[ApiResource]) -> tuple[list[str] | None, Batch]:
        """Namespaces first: their names let a forbidden cluster-wide list fall back to one list
        per namespace, and their labels are facts. With --namespace, each one is fetched by name."""
        batch = Batch()
        res = next((r for r in resources if r.kind == "Namespace" and r.group == ""), None)
        if res is None:
            return None, batch
        items: list[dict[str, Any]] = []
        if self.options.namespaces:
            for ns in self.options.namespaces:
                try:
                    items.append(self._normalise(self.transport.get(f"{res.path()}/{ns}"), res))
                except ApiError as exc:
                    why = "does not exist (404)" if exc.status == 404 else exc.describe()
                    batch.gaps.append(CoverageGap(f"namespace {ns}", why, self.context))
                    self._unavailable.setdefault("Namespace", f"namespace {ns}: {why}")
            names: list[str] | None = list(self.options.namespaces)
        else:
            try:
                for page in list_pages(
                    self.transport, res, page_size=self.options.page_size, max_pages=self.options.max_pages
                ):
                    items.extend(page.items)
                    batch.errors.extend(self._not_scanned(res, what) for what in page.malformed)
            except ApiError as exc:
                batch.gaps.append(CoverageGap(res.label, exc.describe(), self.context))
                self._unavailable["Namespace"] = exc.describe()
                return None, batch
            names = [i["metadata"]["name"] for i in items if object_problem(i, res.kind, res.namespaced) is None]
        for index, item in enumerate(items):
            problem = object_problem(item, res.kind, res.namespaced)
            if problem is not None:
                batch.errors.append(self._not_scanned(res, f"{object_label(item, index)} {problem}"))
                continue
            self.facts.add_namespace(item)
            batch.resources.append(self._resource(res, item, None))
        self.progress.listing(self.context, res.label, len(items), len(items))
        return names, batch

    def _not_scanned(self, res: ApiResource, what: str) -> ScanError:
        """A malformed object: named, never read. The facts of its kind are incomplete."""
        if res.kind in FACT_KINDS:
            self._unavailable.setdefault(res.kind, f"{res.label}: malformed objects")
        return ScanError(self.name, f"{res.label} {what}: not scanned")

    def _normalise(self, obj: dict[str, Any], res: ApiResource) -> dict[str, Any]:
        meta = obj.get("metadata")
        if isinstance(meta, dict):
            meta.pop("managedFields", None)
        return obj

    def _run(self, tiers: list[list[_Task]], namespaces: list[str] | None) -> Iterator[Batch]:
        """List every task with a bounded pool of daemon threads; pages come back through a bounded
        queue. Every task ends with exactly one "done", "error" or "fallback" message, whatever
        happens in the worker, so the loop below cannot wait forever; the workers start each tier
        as soon as they have listed the one before (tiers.py). When the consumer stops (an exception
        in the pipeline, Ctrl-C), closing this generator stops the workers, their retries and
        backoff; and because they are daemon threads, a generator nobody closes cannot keep the
        process alive."""
        concurrency = max(1, self.options.concurrency)
        # The objects waiting for the consumer are bounded (memory: about two full pages per
        # worker); the many small pages of small lists and the one outcome message per task are
        # not held back by it, so that a busy consumer does not keep the workers from finishing a tier.
        inbox: queue.Queue[tuple[str, _Task, Any]] = queue.Queue()
        waiting = _Budget(2 * concurrency * max(1, self.options.page_size))
        stop = threading.Event()
        counts: dict[str, int] = {}
        fallbacks: dict[str, _Fallback] = {}
        self.transport.cancelled.clear()

        # Pages are sorted (folded, made resources) by the worker that fetched them, one page at a
        # time: the owner index and the facts are shared by the workers, never by the consumer
        # until the listing is over.
        sorting = threading.Lock()

        def put(message: tuple[str, _Task, Any]) -> None:
            if message[0] == "page" and not waiting.take(len(message[2].resources), stop):
                return
            if not stop.is_set():
                inbox.put(message)

        def work(task: _Task) -> list[_Task]:
            """List one task; returns the per-namespace tasks a forbidden cluster-wide list falls back to."""
            outcome: tuple[str, _Task, Any] = ("error", task, ApiError(0, "listing stopped", "worker ended early"))
            spawned: list[_Task] = []
            try:
                for page in list_pages(
                    self.transport,
                    task.resource,
                    task.namespace,
                    page_size=self.options.page_size,
                    metadata_only=task.served or task.resource.kind in METADATA_ONLY,
                    max_pages=self.options.max_pages,
                ):
                    if stop.is_set():
                        return spawned
                    with sorting:
                        sorted_page = self._sort_page(task, page)
                    put(("page", task, sorted_page))
                outcome = ("done", task, None)
            except ApiError as exc:
                outcome = ("error", task, exc)
                res = task.resource
                if exc.forbidden and res.namespaced and task.namespace is None and namespaces:
                    spawned = [_Task(res, ns, fallback=True, served=task.served) for ns in namespaces]
                    outcome = ("fallback", task, (exc, spawned))
            except ClusterError as exc:  # not expected once verified; still a gap, never lost
                outcome = ("error", task, ApiError(0, "cluster error", "; ".join(exc.lines)))
            except Exception as exc:  # a bug or an unexpected answer: a gap, not a crash of the scan
                outcome = ("error", task, ApiError(0, type(exc).__name__, str(exc)))
            finally:
                put(outcome)  # before the task counts as finished: its pages come before the next tier's
            return spawned

        scheduled = TierQueue(tiers)

        def worker() -> None:
            while not stop.is_set():
                try:
                    tier, task = scheduled.todo.get(timeout=0.1)
                except queue.Empty:
                    continue
                spawned: list[_Task] = []
                try:
                    spawned = work(task)
                finally:
                    scheduled.finished(tier, spawned)

        threads = [
            threading.Thread(target=worker, name=f"kubeaudit-{self.context}-{i}", daemon=True)
            for i in range(concurrency)
        ]
        for thread in threads:
            thread.start()

        def receive() -> tuple[str, _Task, Any] | None:
            """The next message; None once the scan deadline (and its grace) has passed."""
            if self.transport.scan_deadline is None:
                return inbox.get()
            left = self.transport.scan_deadline + SCAN_TIMEOUT_GRACE - time.monotonic()
            try:
                return inbox.get(timeout=max(0.0, left))
            except queue.Empty:
                return None

        unfinished: dict[int, _Task] = {id(t): t for tier in tiers for t in tier}
        try:
            while unfinished:
                message = receive()
                if message is None:  # a worker that did not report in time: stop waiting for any
                    yield Batch(gaps=[self._gap(t, ScanTimeout()) for t in unfinished.values()])
                    return
                kind, task, payload = message
                res = task.resource
                if kind == "page":
                    page: _Sorted = payload
                    waiting.give(len(page.resources))
                    counts[task.label] = counts.get(task.label, 0) + page.listed
                    total = counts[task.label] + page.remaining if page.remaining is not None else None
                    self.progress.listing(self.context, task.label, counts[task.label], total)
                    if page.resources or page.malformed:
                        yield Batch(
                            resources=page.resources,
                            errors=[self._not_scanned(res, what) for what in page.malformed],
                        )
                    continue
                unfinished.pop(id(task), None)
                if kind == "done":
                    self.progress.done(self.context, task.label)
                    if task.fallback:
                        yield from self._fallback_finished(task, None, fallbacks)
                elif kind == "fallback":
                    error, spawned = payload
                    fallbacks[task.label] = _Fallback(len(spawned), len(spawned), [], error.message)
                    unfinished.update((id(t), t) for t in spawned)
                elif task.fallback:
                    yield from self._fallback_finished(task, payload, fallbacks)
                else:
                    yield Batch(gaps=[self._gap(task, payload)])
        finally:
            stop.set()
            self.transport.cancelled.set()

    def _kubelet_configs(self) -> Iterator[Batch]:
        """Each listed node's running kubelet configuration (opt-in), a few nodes per batch."""
        if not self.options.read_kubelet_config:
            self._unavailable[KUBELET_CONFIG] = f"not read: needs {OPT_IN} (and get on nodes/proxy)"
            return
        if "Node" in self._unavailable:
            self._unavailable[KUBELET_CONFIG] = f"nodes could not be listed ({self._unavailable['Node']})"
            return
        nodes = sorted(self.facts.nodes)
        label = "kubelet configurations (nodes/proxy)"
        batch = Batch()
        self.transport.cancelled.clear()  # the listing above stopped its own requests, not these
        for read, answer in enumerate(read_node_configs(self.transport.get, nodes, self.options.concurrency), 1):
            what = f"kubelet configuration of node {answer.node}"
            if answer.error is not None:
                reason = failure_reason(answer.error)
                self._unavailable.setdefault(KUBELET_CONFIG, f"{what}: {reason.split(':')[0]}")
                batch.gaps.append(CoverageGap(what, reason, self.context))
            elif answer.config is None:
                self._unavailable.setdefault(KUBELET_CONFIG, f"{what}: malformed")
                batch.errors.append(ScanError(self.name, f"{what}: {answer.problem}: not scanned"))
            else:
                origin = ClusterOrigin(source=self.name, context=self.context, owned=None)
                config = answer.config
                api_version = str(config["apiVersion"])
                batch.resources.append(Resource(api_version, KUBELET_CONFIG, answer.node, None, config, origin))
            self.progress.listing(self.context, label, read, len(nodes))
            if len(batch.resources) + len(batch.gaps) + len(batch.errors) >= 100:
                yield batch
                batch = Batch()
        self.progress.done(self.context, label)
        yield batch

    def _fallback_finished(
        self, task: _Task, error: ApiError | None, fallbacks: dict[str, _Fallback]
    ) -> Iterator[Batch]:
        res = task.resource
        state = fallbacks[task.label]
        state.pending -= 1
        gaps: list[CoverageGap] = []
        if error is not None and error.forbidden:
            state.forbidden.append((str(task.namespace), error.message))
        elif isinstance(error, ConnectionLost):
            state.lost = error  # one gap for the kind, not one per namespace
        elif error is not None:
            gaps.append(self._gap(task, error))
        if state.pending == 0:
            if state.lost is not None:
                gaps.append(self._gap(_Task(res, served=task.served), state.lost))
            if state.forbidden and len(state.forbidden) == state.total:
                gaps.append(
                    self._gap(_Task(res, served=task.served), ApiError(403, "Forbidden", state.cluster_message))
                )
            else:
                for ns, message in sorted(state.forbidden):
                    gaps.append(self._gap(_Task(res, ns, served=task.served), ApiError(403, "Forbidden", message)))
        if gaps:
            yield Batch(gaps=gaps)

    def _gap(self, task: _Task, error: ApiError) -> CoverageGap:
        res = task.resource
        what = f"{task.label} in namespace {task.namespace}" if task.namespace else task.label
        reason = failure_reason(error)
        if not task.served:  # an unread deprecated version hides only the findings about it: the gap says so
            self._unavailable.setdefault(res.kind, f"{what}: {reason.split(':')[0]}")  # the gap has the details
        return CoverageGap(what, reason, self.context)

    def _sort_page(self, task: _Task, page: Page) -> _Sorted:
        """What the consumer gets of a page, worked out by the worker that fetched it (holding the
        sorting lock): while the pipeline evaluates the Deployments, the 10,000 Pods they own are
        listed and folded, not queued behind them (the queue would fill and hold back the list)."""
        res = task.resource
        if task.served:  # the same objects may be listed at their current version: facts only
            self.facts.add_served(res.api_version, res.kind, page.items)
            resources: list[Resource] = []
        else:
            resources = self._page_resources(res, page.items)
        return _Sorted(len(page.items), page.remaining, resources, page.malformed)

    def _page_resources(self, res: ApiResource, items: list[dict[str, Any]]) -> list[Resource]:
        out: list[Resource] = []
        for item in items:
            counter = self.owners.fold(res.kind, item)
            if res.kind == "Pod":  # before the status goes: which image each container really runs
                raw = item.get("metadata")
                meta: dict[str, Any] = raw if isinstance(raw, dict) else {}
                alone = ("Pod", str(meta.get("namespace") or ""), str(meta.get("name") or ""))
                self.facts.add_pod_images(counter.owner if counter is not None else alone, item)
            if counter is not None:
                continue
            if res.kind == "Node":
                self.facts.add_node(item)
            out.append(self._resource(res, item, self.owners.counter_for(res.kind, item)))
        return out

    def _resource(self, res: ApiResource, item: dict[str, Any], owned: Any) -> Resource:
        if res.kind in WORKLOAD_KINDS:
            item.pop("status", None)
        meta = item.get("metadata") or {}
        namespace = meta.get("namespace") if res.namespaced else None
        origin = ClusterOrigin(source=self.name, context=self.context, owned=owned)
        return Resource(res.api_version, res.kind, str(meta.get("name") or ""), namespace, item, origin)
