"""Load rule files: parse safely, validate against rules/schema.json, compile.

A rule file is data. It is parsed with a safe YAML loader (no tags that build
objects), validated against the published rule schema, and its conditions are
compiled into closures; nothing in a rule file is ever executed.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path as FsPath
from typing import TYPE_CHECKING, Any

from kubeaudit.engine import rule_cache
from kubeaudit.engine.fixes import POD_ANCHOR_VIEWS, POD_ANCHORS, parse_fix
from kubeaudit.engine.rule import Checks, Compiled, Rule, Variant
from kubeaudit.model import Path, Reference, Severity, format_path
from kubeaudit.refdata import builtin_rules_dir, data_dir
from kubeaudit.validation_cache import validation_cache

if TYPE_CHECKING:
    # jsonschema is imported only when a document is not known valid (validation_cache.py); the
    # YAML parser, the condition compiler and the views only when a rule is not known to load
    # (rule_cache.py), or when its conditions are first needed.
    import jsonschema

RULE_SUFFIXES = (".yaml", ".yml")
DATA_FOLDER = "data"  # reference data (refdata.py), not rules
PARAMS_FOLDER = "params"  # shared parameter sets: params/<name>.yaml, referenced as {$shared: <name>}
SHARED = "$shared"
SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


class RuleError(Exception):
    """A rule that cannot be loaded: file, line where known, and what is wrong."""

    def __init__(self, source: str, message: str, line: int | None = None) -> None:
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}: {message}")
        self.source = source
        self.line = line


@cache
def _schema_text(name: str) -> str:
    with open(builtin_rules_dir() / name, encoding="utf-8") as handle:
        return handle.read()


def rule_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(_schema_text("schema.json"))
    return schema


@cache
def _validator(name: str) -> jsonschema.protocols.Validator:
    import jsonschema

    schema = json.loads(_schema_text(name))
    return jsonschema.validators.validator_for(schema)(schema)


def _schema_errors(
    name: str, data: dict[str, Any], order: Callable[[jsonschema.ValidationError], Any]
) -> list[jsonschema.ValidationError]:
    """The errors of `data` against the built-in schema `name`, sorted by `order`; none, without
    asking jsonschema, when this exact content already passed."""
    cache = validation_cache()
    key = cache.key(_schema_text(name), data)
    if key in cache:
        return []
    errors = sorted(_validator(name).iter_errors(data), key=order)
    if not errors:
        cache.add(key)
    return errors


def _best_error(errors: list[jsonschema.ValidationError]) -> jsonschema.ValidationError:
    import jsonschema

    return jsonschema.exceptions.best_match(errors)


def rule_files(directory: FsPath) -> list[FsPath]:
    if not directory.is_dir():
        raise RuleError(str(directory), "rules directory not found")
    found: list[FsPath] = []
    for root, dirs, files in os.walk(directory):
        # rules/data/ holds reference data, rules/params/ shared parameter sets: neither holds rules.
        top = FsPath(root) == directory
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not (top and d in (DATA_FOLDER, PARAMS_FOLDER)))
        found.extend(FsPath(root) / f for f in sorted(files) if f.endswith(RULE_SUFFIXES))
    return found


@dataclass(frozen=True, slots=True)
class SharedParam:
    """A parameter value several rules share (params/<name>.yaml), defined once."""

    name: str
    value: Any
    description: str
    source: str


def shared_param_files(directory: FsPath) -> list[FsPath]:
    folder = directory / PARAMS_FOLDER
    if not folder.is_dir():
        return []
    return [path for path in sorted(folder.iterdir()) if path.name.endswith(RULE_SUFFIXES)]


def read_shared_params(directory: FsPath, texts: Mapping[FsPath, str] | None = None) -> dict[str, SharedParam]:
    """The shared parameter sets in a rules directory's params/ folder, by name."""
    found: dict[str, SharedParam] = {}
    for path in shared_param_files(directory):
        raw = read_rule_file(path, what="shared parameter set", texts=texts)
        name = path.stem
        if not SNAKE_CASE.match(name):
            raise RuleError(raw.source, f"a shared parameter set's file name is its name, in snake_case: {name!r}")
        errors = _schema_errors("param-set.schema.json", raw.data, lambda e: str(e.path))
        if errors:
            error = _best_error(errors)
            path_in = tuple(error.absolute_path)
            field = format_path(path_in) or "(file)"
            raise RuleError(raw.source, f"{field}: {_short_error(error)}", raw.line_of(path_in))
        found[name] = SharedParam(name, raw.data["value"], raw.data["description"], raw.source)
    return found


@cache
def builtin_shared_params() -> Mapping[str, SharedParam]:
    return read_shared_params(builtin_rules_dir())


def _default(raw: RawRule, name: str, spec: dict[str, Any], shared: Mapping[str, SharedParam]) -> Any:
    """A parameter's default: its value, or the value of the shared set it references."""
    default = spec["default"]
    if not (isinstance(default, dict) and SHARED in default):
        return default
    found = shared.get(default[SHARED])
    if found is None:
        known = ", ".join(sorted(shared)) or "none"
        raise RuleError(
            raw.source,
            f"params.{name}.default: unknown shared parameter set {default[SHARED]!r} (known: {known})",
            raw.line_of(("params", name, "default")),
        )
    return found.value


@dataclass(frozen=True, slots=True)
class RawRule:
    source: str
    data: dict[str, Any]
    root: Any  # YAML node tree, for line numbers in error messages

    def line_of(self, path: Path) -> int:
        from kubeaudit.yamlnodes import locate

        return locate(self.root, path).line


def read_rule_file(path: FsPath, what: str = "rule", texts: Mapping[FsPath, str] | None = None) -> RawRule:
    """A rule (or shared parameter set) file, parsed; its text from `texts` when given there
    (the text the rule cache hashed), else read from the file."""
    import yaml

    from kubeaudit.yamlnodes import YamlDocumentError, check_expanded_size, compose_documents, construct, yaml_error

    source = path.as_posix()
    text = texts.get(path) if texts is not None else None
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise RuleError(source, f"cannot read {what} file: {exc}") from exc
    try:
        nodes = [n for n in compose_documents(text) if n is not None]
    except yaml.YAMLError as exc:
        err = yaml_error(exc, text=text)
        raise RuleError(source, err.message, err.line) from exc
    if len(nodes) != 1:
        raise RuleError(source, f"a {what} file holds exactly one {what} (one YAML document), found {len(nodes)}")
    try:
        data = construct(nodes[0])
        check_expanded_size(data, "rule", nodes[0].start_mark.line + 1)
    except YamlDocumentError as exc:
        raise RuleError(source, exc.message, exc.line) from exc
    if not isinstance(data, dict):
        raise RuleError(source, f"a {what} must be a mapping", nodes[0].start_mark.line + 1)
    return RawRule(source, data, nodes[0])


def validate_rule(raw: RawRule) -> None:
    errors = _schema_errors("schema.json", raw.data, lambda e: (len(e.absolute_path), str(e.path)))
    if errors:
        error = _best_error(errors)
        path = tuple(error.absolute_path)
        field = format_path(path) or "(rule)"
        raise RuleError(raw.source, f"{field}: {_short_error(error)}", raw.line_of(path))
    stem = FsPath(raw.source).stem
    if raw.data["id"] != stem:
        raise RuleError(raw.source, f"id: {raw.data['id']!r} must match the file name ({stem!r})", raw.line_of(("id",)))


def _short_error(error: jsonschema.ValidationError) -> str:
    message = error.message
    return message if len(message) <= 200 else message[:199] + "…"


def compile_rule(
    raw: RawRule,
    overrides: dict[str, Any] | None = None,
    builtin: bool = True,
    overrides_source: str = "config",
    shared: Mapping[str, SharedParam] | None = None,
) -> Rule:
    """Validate and compile one rule; `overrides` (from `overrides_source`) replace parameter defaults,
    and `shared` (default: the built-in sets) resolves defaults written as {$shared: <name>}."""
    from kubeaudit.condition import ConditionError, compile_condition, substitute_params
    from kubeaudit.engine.policy_versions import load_policy_versions
    from kubeaudit.engine.rule import BUILTIN_PLACEHOLDERS, PLACEHOLDER
    from kubeaudit.views import known_views, view_fields

    validate_rule(raw)
    data = raw.data
    param_specs: dict[str, Any] = data.get("params", {})
    aliases = {alias: name for name, spec in param_specs.items() for alias in spec.get("aliases", ())}
    given: dict[str, Any] = {}
    for name, value in (overrides or {}).items():
        canonical = aliases.get(name, name)
        if canonical not in param_specs:
            raise RuleError(
                overrides_source,
                f"rules.params.{data['id']}: unknown parameter {name!r} (known: {', '.join(param_specs) or 'none'})",
            )
        given[canonical] = value
    shared = builtin_shared_params() if shared is None else shared
    params = {
        name: given[name] if name in given else _default(raw, name, spec, shared) for name, spec in param_specs.items()
    }
    view = data["view"]
    fields = view_fields(view)
    if fields is None:
        raise RuleError(
            raw.source, f"view: unknown view {view!r}; known views: {', '.join(known_views())}", raw.line_of(("view",))
        )

    def build(key: str, schema: Any, at: Path, values: dict[str, Any]) -> Any:
        try:
            return compile_condition(substitute_params(schema, values))
        except ConditionError as exc:
            full = (*at, *exc.schema_path)
            raise RuleError(raw.source, f"{key}: {exc}", raw.line_of(full)) from exc

    undeclared = [name for name in data.get("requires", ()) if name not in params]
    if undeclared:
        raise RuleError(
            raw.source, f"requires: unknown parameter(s) {', '.join(undeclared)}", raw.line_of(("requires",))
        )
    severity = _severity(raw, params, overrides_source)
    match = data.get("match", {})

    def compiled(values: dict[str, Any]) -> tuple[Any, Any]:
        # A rule whose listed parameters are empty (an allow-list nobody filled in) is off.
        unset = [name for name in data.get("requires", ()) if values.get(name) in (None, [], "", {})]
        condition = build("condition", True if unset else data["condition"], ("condition",), values)
        where = build("match.where", match["where"], ("match", "where"), values) if "where" in match else None
        return condition, where

    _check_fix_anchors(raw, view)
    condition, where = compiled(params)
    variants = _variants(raw, params, set(given), compiled)
    for placeholder in PLACEHOLDER.findall(data["message"]):
        top = placeholder.split(".")[0]
        if placeholder not in BUILTIN_PLACEHOLDERS and top not in fields:
            raise RuleError(
                raw.source,
                f"message: unknown placeholder {{{placeholder}}} for view {view!r}",
                raw.line_of(("message",)),
            )
    return Rule(
        id=data["id"],
        title=data["title"],
        severity=severity,
        category=data["category"],
        view=view,
        message=data["message"].strip(),
        remediation=data["remediation"].strip(),
        references=references_at(data, load_policy_versions().latest),
        compiled=Compiled.ready(Checks(condition, where, variants)),
        kinds=frozenset(match["kinds"]) if "kinds" in match else None,
        profile=data.get("profile"),
        description=(data.get("description") or "").strip(),
        enabled_by_default=data.get("enabled", True),
        tags=tuple(data.get("tags", ())),
        frameworks=tuple((name, tuple(ids)) for name, ids in (data.get("frameworks") or {}).items()),
        supersedes=tuple(data.get("supersedes", ())),
        fix=parse_fix(data.get("fix")),
        data=_data_files(raw),
        params=params,
        param_docs={name: spec["description"] for name, spec in param_specs.items()},
        source=raw.source,
        builtin=builtin,
        raw=data,
    )


def _check_fix_anchors(raw: RawRule, view: str) -> None:
    """A fix anchored at a container or pod is for rules whose findings are in one."""
    for index, change in enumerate(raw.data.get("fix", ())):
        at = change.get("at", "finding")
        if at in POD_ANCHORS and view not in POD_ANCHOR_VIEWS:
            raise RuleError(
                raw.source,
                f"fix[{index}].at: {at!r} needs a rule of the pod or container view, not {view!r}",
                raw.line_of(("fix", index, "at")),
            )


def _all_shared_params(
    directories: list[FsPath], include_builtin: bool, texts: Mapping[FsPath, str] | None = None
) -> dict[str, SharedParam]:
    """The shared sets every rule may reference: the built-in ones, and each rules directory's own.
    A name is defined once: a second definition is an error, not a silent override. `texts`: the
    files' text as the rule cache read it."""
    builtin = read_shared_params(builtin_rules_dir(), texts) if texts is not None else builtin_shared_params()
    shared: dict[str, SharedParam] = dict(builtin)
    for directory in directories:
        if include_builtin and directory == builtin_rules_dir():
            continue
        if not directory.is_dir():
            continue  # rule_files() says so, with the directory's name
        for name, found in read_shared_params(directory, texts).items():
            if name in shared and shared[name].source != found.source:
                raise RuleError(
                    found.source, f"shared parameter set {name!r} is already defined by {shared[name].source}"
                )
            shared[name] = found
    return shared


def _data_files(raw: RawRule) -> tuple[str, ...]:
    names = tuple(raw.data.get("data", ()))
    for index, name in enumerate(names):
        if not (data_dir() / f"{name}.yaml").is_file():
            raise RuleError(
                raw.source, f"data: no reference data file rules/data/{name}.yaml", raw.line_of(("data", index))
            )
    return names


def _severity(raw: RawRule, params: dict[str, Any], overrides_source: str) -> Severity:
    """The rule's severity; a parameter named `severity` (when the rule declares one) sets it."""
    if "severity" not in params:
        return Severity(raw.data["severity"])
    try:
        return Severity(params["severity"])
    except ValueError as exc:
        choices = ", ".join(s.value for s in Severity)
        raise RuleError(
            overrides_source, f"rules.params.{raw.data['id']}.severity: {params['severity']!r} is not one of {choices}"
        ) from exc


def references_at(data: dict[str, Any], minor: int) -> tuple[Reference, ...]:
    """A rule's references, naming policy v1.`minor` where a title says {policyVersion}."""
    return tuple(Reference(r["title"].replace("{policyVersion}", f"v1.{minor}"), r["url"]) for r in data["references"])


def _variants(raw: RawRule, params: dict[str, Any], overridden: set[str], compiled: Any) -> tuple[Variant, ...]:
    """One compiled variant per Pod Security policy version change of this rule, from
    rules/data/pss-versions.yaml. A parameter the config overrides keeps its value at every version."""
    from kubeaudit.engine.policy_versions import load_policy_versions

    control = load_policy_versions().controls.get(raw.data["id"])
    if control is None:
        return ()
    variants: list[Variant] = []
    cache: dict[str, tuple[Any, Any]] = {}
    for change in control.changes:
        unknown = set(change.params) - set(params)
        if unknown:
            raise RuleError(raw.source, f"pss-versions.yaml gives unknown parameter(s) {', '.join(sorted(unknown))}")
        values = {**params, **{k: v for k, v in change.params.items() if k not in overridden}}
        key = json.dumps(values, sort_keys=True, default=str)
        if key not in cache:
            cache[key] = compiled(values)
        variants.append(Variant(change.since, *cache[key]))
    return tuple(variants)


def load_rules(
    extra_dirs: Iterable[str | FsPath] = (),
    params: dict[str, dict[str, Any]] | None = None,
    replace: Iterable[str] = (),
    include_builtin: bool = True,
    config_source: str = "config",
) -> list[Rule]:
    """Every rule, built-in then user rules. A user rule may replace a built-in
    only when its id is listed in `replace` (the config's say-so). `config_source`
    names the file `params` and `replace` came from, for error messages.

    The same files with the same settings load to the same rules: a load that succeeded is
    remembered (rule_cache.py), and its rules are then compiled only when first evaluated."""
    params = params or {}
    replaceable = set(replace)
    dirs: list[tuple[FsPath, bool]] = [(builtin_rules_dir(), True)] if include_builtin else []
    dirs += [(FsPath(d), False) for d in extra_dirs]
    inputs = _cache_inputs(dirs, params, replaceable, include_builtin, config_source)
    if inputs is not None:
        texts = inputs.texts
        shared = cache(lambda: _all_shared_params([d for d, _ in dirs], include_builtin, texts))

        def compiled_for(entry: dict[str, Any]) -> Compiled:
            path, overrides, builtin = FsPath(entry["source"]), params.get(entry["id"]), entry["builtin"]
            return Compiled(lambda: _checks(path, texts, overrides, builtin, config_source, shared()))

        found = rule_cache.lookup(inputs, compiled_for)
        if found is not None:
            return found
    try:
        rules = _load_rules(dirs, params, replaceable, include_builtin, config_source, inputs)
    finally:
        validation_cache().save()  # the rules that passed, even when a later one failed
    if inputs is not None:
        rule_cache.store(inputs, rules)
    return rules


def _cache_inputs(
    dirs: list[tuple[FsPath, bool]],
    params: dict[str, dict[str, Any]],
    replaceable: set[str],
    include_builtin: bool,
    config_source: str,
) -> rule_cache.Inputs | None:
    """The key of this load and the text of every file it reads; None when caching is off or a
    folder or file is missing or unreadable (the load itself then says so)."""
    if not all(directory.is_dir() for directory, _ in dirs):
        return None
    files = [*shared_param_files(builtin_rules_dir())]
    for directory, _ in dirs:
        files += [*shared_param_files(directory), *rule_files(directory)]
    settings = ([(d.as_posix(), b) for d, b in dirs], params, sorted(replaceable), include_builtin, config_source)
    return rule_cache.read_inputs(dict.fromkeys(files), settings, [builtin_rules_dir()])


def _checks(
    path: FsPath,
    texts: Mapping[FsPath, str],
    overrides: dict[str, Any] | None,
    builtin: bool,
    config_source: str,
    shared: Mapping[str, SharedParam],
) -> Checks:
    """The compiled conditions of a rule the cache knew: compiled from the text it hashed."""
    return compile_rule(read_rule_file(path, texts=texts), overrides, builtin, config_source, shared).compiled.get()


def _load_rules(
    dirs: list[tuple[FsPath, bool]],
    params: dict[str, dict[str, Any]],
    replaceable: set[str],
    include_builtin: bool,
    config_source: str,
    inputs: rule_cache.Inputs | None,
) -> list[Rule]:
    texts = inputs.texts if inputs is not None else None
    by_id: dict[str, Rule] = {}
    shared = _all_shared_params([d for d, _ in dirs], include_builtin, texts)
    for directory, builtin in dirs:
        for path in rule_files(directory):
            raw = read_rule_file(path, texts=texts)
            rule_id = raw.data.get("id")
            overrides = params.get(rule_id) if isinstance(rule_id, str) else None
            rule = compile_rule(raw, overrides, builtin, config_source, shared)
            previous = by_id.get(rule.id)
            if previous is not None and not (previous.builtin and not builtin and rule.id in replaceable):
                raise RuleError(
                    rule.source,
                    f"rule id {rule.id!r} is already defined by {previous.source}; "
                    "rename it, or list it under rules.replace in .kubeaudit.yaml to replace the built-in",
                    raw.line_of(("id",)),
                )
            by_id[rule.id] = rule
    unknown_params = set(params) - set(by_id)
    if unknown_params:
        raise RuleError(
            config_source, f"rules.params: parameters given for unknown rule(s): {', '.join(sorted(unknown_params))}"
        )
    return sorted(by_id.values(), key=lambda r: r.id)
