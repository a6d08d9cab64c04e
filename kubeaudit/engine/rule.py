"""A compiled rule, and how it turns a view target into findings."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from kubeaudit.engine.fixes import FixChange
from kubeaudit.model import (
    Finding,
    Path,
    Reference,
    Resource,
    RuleMeta,
    Severity,
    Step,
    compute_fingerprint,
    format_path,
    new_finding,
    subject_fingerprint,
)
from kubeaudit.violation import MISSING, Check, Violation, short

if TYPE_CHECKING:  # the views are imported by what builds targets; listing rules needs none of them
    from kubeaudit.views.base import Target

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")
# Placeholders every message may use, whatever the view.
BUILTIN_PLACEHOLDERS = frozenset(
    {"value", "field", "reason", "resource", "kind", "name", "namespace", "container", "policyVersion", "itemName"}
)
REDACTED = "<redacted>"
LIST_LIMIT = 240  # characters of a list of names in a message


_COMBINATORS = ("allOf", "anyOf", "oneOf")
_BRANCHES = ("not", "if", "then", "else")
_OPAQUE = ("patternProperties", "additionalProperties", "propertyNames", "$ref", "minProperties", "maxProperties")


def _collect_top_fields(schema: Any, into: set[str]) -> bool:
    """Add the top-level property names a condition reads; False when it may read any."""
    if isinstance(schema, bool):
        return True
    if not isinstance(schema, dict) or any(key in schema for key in _OPAQUE):
        return False
    into.update(schema.get("properties") or {})
    into.update(r for r in schema.get("required") or () if isinstance(r, str))
    branches = [schema[k] for k in _BRANCHES if k in schema]
    branches += [s for k in _COMBINATORS for s in schema.get(k) or ()]
    return all(_collect_top_fields(branch, into) for branch in branches)


@dataclass(frozen=True, slots=True)
class Variant:
    """The rule as one Pod Security policy version defines it: from policy v1.since on."""

    since: int
    condition: Check
    where: Check | None


@dataclass(frozen=True, slots=True)
class Checks:
    """A rule's compiled conditions: what a compliant target satisfies, which targets it applies
    to, and its variant at each Pod Security policy version that changed it (oldest first)."""

    condition: Check
    where: Check | None = None
    variants: tuple[Variant, ...] = ()


def variant_at(variants: tuple[Variant, ...], minor: int) -> Variant | None:
    """The variant in force at policy v1.`minor`: the newest one from that version or before."""
    found = None
    for variant in variants:
        if variant.since <= minor:
            found = variant
    return found


class Compiled:
    """A rule's Checks, built on first use and then kept.

    Listing rules needs none of them, so a rule known to compile (kubeaudit/engine/rule_cache.py)
    is compiled when it is first evaluated. Copies of a rule (dataclasses.replace) share this
    object, so a copy never compiles again."""

    __slots__ = ("_at", "_build", "_checks")

    def __init__(self, build: Callable[[], Checks]) -> None:
        self._build: Callable[[], Checks] | None = build
        self._checks: Checks | None = None
        self._at: dict[int | None, tuple[Check, Check | None] | None] = {}

    @classmethod
    def ready(cls, checks: Checks) -> Compiled:
        compiled = cls(lambda: checks)
        compiled.get()
        return compiled

    def get(self) -> Checks:
        checks = self._checks
        if checks is None:
            assert self._build is not None
            checks = self._checks = self._build()
            self._build = None  # what it held (the rule's text, its inputs) is not needed again
        return checks

    def at(self, minor: int | None) -> tuple[Check, Check | None] | None:
        """The condition and `where` in force at Pod Security policy v1.`minor` (None: no version
        given), or None where the control does not exist at that version. Looked up once per
        version, not once per target."""
        try:
            return self._at[minor]
        except KeyError:
            pass
        checks = self.get()
        found: tuple[Check, Check | None] | None = (checks.condition, checks.where)
        if minor is not None and checks.variants:
            variant = variant_at(checks.variants, minor)
            found = None if variant is None else (variant.condition, variant.where)
        self._at[minor] = found
        return found


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: Severity
    category: str
    view: str
    message: str
    remediation: str
    references: tuple[Reference, ...]
    compiled: Compiled = field(repr=False, compare=False)
    kinds: frozenset[str] | None = None
    profile: str | None = None
    description: str = ""
    enabled_by_default: bool = True
    tags: tuple[str, ...] = ()
    frameworks: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (framework id, control ids) pairs
    params: dict[str, Any] = field(default_factory=dict)
    param_docs: dict[str, str] = field(default_factory=dict)
    data: tuple[str, ...] = ()  # reference data files (rules/data/<name>.yaml) the rule relies on
    supersedes: tuple[str, ...] = ()  # rules this one replaces when both run (restricted over baseline)
    fix: tuple[FixChange, ...] = ()  # how `kubeaudit fix` removes its findings (none: no safe mechanical fix)
    source: str = ""  # the rule file
    builtin: bool = True
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def condition(self) -> Check:
        return self.compiled.get().condition

    @property
    def where(self) -> Check | None:
        return self.compiled.get().where

    @property
    def variants(self) -> tuple[Variant, ...]:
        """Pod Security policy versions (rules/data/pss-versions.yaml): one variant per change,
        oldest first. Empty for rules that do not follow policy versions."""
        return self.compiled.get().variants

    @property
    def since(self) -> int | None:
        """The first policy version (minor) this rule exists at, for versioned rules."""
        return self.variants[0].since if self.variants else None

    def variant_at(self, minor: int) -> Variant | None:
        return variant_at(self.variants, minor)

    @cached_property
    def meta(self) -> RuleMeta:
        """What reports say about this rule; every finding it makes carries this one object."""
        return RuleMeta(
            id=self.id,
            title=self.title,
            severity=self.severity,
            category=self.category,
            remediation=self.remediation,
            description=self.description,
            references=self.references,
            profile=self.profile,
            tags=self.tags,
            frameworks=self.frameworks,
            fix=self.fix,
        )

    def needed_kinds(self) -> frozenset[str] | None:
        """Kinds this rule must see to be fully evaluated (None: any kind): what its view reads,
        narrowed by `match.kinds`. A source that can list less (a cluster) reads only these."""
        from kubeaudit.views.registry import VIEWS, InventoryView

        view = VIEWS[self.view]
        if isinstance(view, InventoryView):
            return view.kinds_for(self.document_fields())
        view_kinds = view.kinds
        if self.kinds is not None:
            return self.kinds if view_kinds is None else self.kinds & view_kinds
        return view_kinds

    def served_versions(self) -> frozenset[tuple[str, str]]:
        """(apiVersion, kind) pairs this rule's view judges at every version a cluster serves."""
        from kubeaudit.views.registry import VIEWS, InventoryView

        view = VIEWS[self.view]
        return view.served_versions if isinstance(view, InventoryView) else frozenset()

    def document_fields(self) -> frozenset[str] | None:
        """Top-level fields of the view document this rule reads (None: cannot tell, any)."""
        fields: set[str] = set()
        for schema in (self.raw.get("condition"), (self.raw.get("match") or {}).get("where")):
            if schema is not None and not _collect_top_fields(schema, fields):
                return None
        fields.update(p.split(".")[0] for p in PLACEHOLDER.findall(self.message) if p != "itemName")
        return frozenset(fields)

    def applies_to(self, resource: Resource) -> bool:
        return self.kinds is None or resource.kind in self.kinds

    def evaluate(
        self, target: Target, locate: bool = True, report_as: Resource | None = None, judged: set[str] | None = None
    ) -> list[Finding]:
        """Findings on one target; with `locate=False` their positions are left for the caller
        to resolve (see kubeaudit.scan.locate_findings: one re-parse per file, not per finding).
        `report_as`: the copy of the target's resource the findings carry (the slim one the scan
        keeps); their fingerprints and positions come from the target's own resource.
        `judged` gets this rule's id when the target is one of its view's for a kind it matches
        and its control exists at the target's policy version: compliant, outside its
        `match.where` (a pod without user namespaces for a rule on those) or not."""
        doc = target.doc
        minor = target.policy
        resolved = self.compiled.at(minor)
        if resolved is None:  # the control does not exist at this policy version
            return []
        condition, where = resolved
        if judged is not None:
            judged.add(self.id)
        if where is not None and not where(doc, (), None):
            return []
        if condition(doc, (), None):  # most targets comply: tell that first, without collecting paths
            return []
        out: list[Violation] = []
        condition(doc, (), out)
        findings: list[Finding] = []
        seen: set[Path] = set()
        resource = target.resource
        carried = resource if report_as is None else report_as
        rule_id, meta, severity = self.id, self.meta, self.severity
        policy_version = f"v1.{minor}" if minor is not None and self.compiled.get().variants else None
        origin = resource.origin
        steps, subject = target.steps, target.subject
        if steps and locate:
            steps = located_steps(steps)
        for violation in out:
            view_path = violation.path
            path = target.resource_path(view_path)
            if path in seen:  # e.g. a pod-level field reached through each container
                continue
            seen.add(path)
            container = target.container_at(view_path, path)
            findings.append(
                new_finding(
                    meta,
                    severity,
                    self.message_for(target, violation, path, container),
                    carried,
                    path,
                    origin.position(path) if locate else None,
                    container,
                    policy_version,
                    compute_fingerprint(rule_id, resource, path)
                    if subject is None
                    else subject_fingerprint(rule_id, subject, doc, view_path),
                    steps,
                )
            )
        return findings

    def message_for(self, target: Target, violation: Violation, path: Path, container: str | None = None) -> str:
        """The finding's message; a versioned rule says which policy version it applied.
        `container`: the violation's container, when the caller has it already."""
        message = self.render(self._message_template, target, violation, path, container)
        if self.variants and target.policy is not None and "{policyVersion}" not in self.message:
            message = f"{message.rstrip('.')}, at Pod Security policy v1.{target.policy}."
        return message

    @cached_property
    def _message_template(self) -> tuple[str, ...]:
        return split_template(self.message)

    def render(
        self,
        template: str | tuple[str, ...],
        target: Target,
        violation: Violation,
        path: Path,
        container: str | None = None,
    ) -> str:
        """`template` with its placeholders filled in; a template split by `split_template` once
        (the message's is) is filled without a regular expression for every finding."""
        parts = split_template(template) if isinstance(template, str) else template
        if len(parts) == 1:
            return parts[0]
        out = list(parts)
        for index in range(1, len(parts), 2):
            out[index] = self._placeholder(parts[index], target, violation, path, container)
        return "".join(out)

    def _placeholder(self, name: str, target: Target, violation: Violation, path: Path, container: str | None) -> str:
        resource = target.resource
        if name == "value":
            sensitive = resource.kind == "Secret" or "env" in path
            return REDACTED if sensitive and violation.value is not MISSING else short(violation.value)
        if name == "field":
            return _field_text(path)
        if name == "reason":
            return violation.reason
        if name == "resource":
            return f"{resource.kind}/{resource.name}"
        if name == "kind":
            return resource.kind
        if name == "name":
            return resource.name
        if name == "namespace":
            return resource.namespace or "default"
        if name == "container":
            found = container if container is not None else target.container_for(violation.path)
            return found or "?"
        if name == "itemName":  # the `name` of the innermost list item on the path (an env variable)
            return _item_name(target.doc, violation.path)
        if name == "policyVersion":
            return f"v1.{target.policy}" if target.policy is not None else "?"
        if resource.kind == "Secret" and not name.startswith("metadata."):
            return REDACTED
        node: Any = target.doc
        for part in name.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, list) and node and all(isinstance(item, str) for item in node):
            return short(", ".join(node), LIST_LIMIT)  # names a view lists (the workloads a policy covers)
        return short(node if node is not None else MISSING, limit=240)  # view facts may be sentences


# A path as messages write it, by path: the same paths recur in every workload's findings
# (the 21,058 per-resource findings of bench_cluster's 2,101 resources name 18 distinct fields).
_FIELD_TEXTS: dict[Path, str] = {}
_FIELD_TEXTS_MAX = 100_000


def _field_text(path: Path) -> str:
    text = _FIELD_TEXTS.get(path)
    if text is None:
        if len(_FIELD_TEXTS) >= _FIELD_TEXTS_MAX:  # bounded: paths with names in them may not recur
            _FIELD_TEXTS.clear()
        text = _FIELD_TEXTS[path] = format_path(path)
    return text


def split_template(template: str) -> tuple[str, ...]:
    """A message template as literal text and placeholder names, alternating (literal first):
    "Set {field}." -> ("Set ", "field", ".")."""
    return tuple(PLACEHOLDER.split(template))


def located_steps(steps: tuple[Step, ...]) -> tuple[Step, ...]:
    """The steps with the source position of each one's field."""
    return tuple(replace(s, position=s.resource.origin.position(s.path)) for s in steps)


def _item_name(doc: Any, path: Path) -> str:
    node, found = doc, "?"
    for part in path:
        if isinstance(part, int) and isinstance(node, list) and part < len(node):
            node = node[part]
            name = node.get("name") if isinstance(node, dict) else None
            found = short(name) if isinstance(name, str) else found
        elif isinstance(part, str) and isinstance(node, dict):
            node = node.get(part)
        else:
            break
    return found
