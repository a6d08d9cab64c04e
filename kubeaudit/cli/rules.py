"""`kubeaudit rules list|explain|test`: what rules exist, what one checks, do they pass their fixtures."""

from __future__ import annotations

import argparse
import io
import re
from collections.abc import Sequence
from pathlib import Path as FsPath

from kubeaudit import ruledocs
from kubeaudit.api import ScanOptions, configured_rules, load_effective_config
from kubeaudit.cli.common import EXIT_OK, LIST_HINT, Parser, UsageError, add_command, did_you_mean
from kubeaudit.cli.options import add_config_options, add_rule_options
from kubeaudit.cli.stdout import writing_stdout
from kubeaudit.engine.loader import RuleError, load_rules
from kubeaudit.engine.rule import Rule
from kubeaudit.refdata import builtin_rules_dir


def add_parser(commands: argparse._SubParsersAction) -> dict[str, Parser]:
    rules = add_command(commands, "rules", "list, explain and test rules")
    rule_commands = rules.add_subparsers(dest="rules_command", metavar="ACTION")
    listing = add_command(
        rule_commands, "list", "list the available rules: id, severity, title and Pod Security Standards profile"
    )
    add_rule_options(listing)
    add_config_options(listing)
    listing.add_argument(
        "--format", choices=["text", "json"], default="text", help="text for people, json for scripts (default: text)"
    )
    explain = add_command(
        rule_commands, "explain", "show what a rule checks, why, how to fix it, its parameters and references"
    )
    explain.add_argument("rule_id", metavar="RULE", help="rule id, as `kubeaudit rules list` shows it")
    add_rule_options(explain)
    add_config_options(explain)
    test = add_command(
        rule_commands, "test", "check rules against their pass/fail fixtures",
        "Each rule needs fail*.yaml and pass*.yaml fixtures; in a fail fixture, a comment `# ruleid: <id>` "
        "marks the next line as one where the rule must report, and it must report nowhere else. "
        "Exit 1 when a fixture fails.",
    )  # fmt: skip
    test.add_argument(
        "dirs", nargs="*", metavar="RULES_DIR", help="rule directories to test (default: the built-in rules)"
    )
    test.add_argument(
        "--fixtures",
        default="fixtures/rules",
        metavar="DIR",
        help="folder with one sub-folder of fixtures per rule id (default: fixtures/rules)",
    )
    return {"rules": rules, "rules list": listing, "rules explain": explain, "rules test": test}


def find_rule(rules: Sequence[Rule], rule_id: str) -> Rule:
    for rule in rules:
        if rule.id == rule_id:
            return rule
    message = did_you_mean(f"no rule {rule_id!r}{LIST_HINT}", rule_id, [r.id for r in rules])
    raise UsageError(message)


_MANIFEST_KEY = re.compile(r"^apiVersion:", re.MULTILINE)  # manifests, charts, kustomizations: never a rule


def _fixtures_folder(dirs: Sequence[str], source: str) -> str | None:
    """The RULES_DIR holding SOURCE, when SOURCE is a manifest rather than a rule (its first 64 KiB
    have a top-level apiVersion key, as Kubernetes objects, Chart.yaml and kustomization.yaml do;
    no rule has one)."""
    folder = next((d for d in dirs if FsPath(source).is_relative_to(d)), None)
    if folder is None:
        return None
    try:
        with open(source, encoding="utf-8", errors="replace") as handle:
            head = handle.read(65536)
    except OSError:
        return None
    return folder if _MANIFEST_KEY.search(head) else None


def _fixtures_root(folder: FsPath) -> FsPath:
    """The --fixtures folder (one sub-folder per rule id) a mistaken RULES_DIR is or is in."""
    if (folder / "rules").is_dir():  # the repository's fixtures/
        return folder / "rules"
    if any(folder.glob("fail*.yaml")) or any(folder.glob("pass*.yaml")):  # one rule's own fixtures
        return folder.parent
    return folder


def _list(args: argparse.Namespace) -> int:
    """Print the list, and record it for kubeaudit.cli.listing when nothing changed meanwhile."""
    from kubeaudit.cli import listing

    files = [] if args.no_config else [args.config] if args.config else [listing.nearest_config()]
    files = [f for f in files if f] + [str(FsPath(listing.PACKAGE) / "config.schema.json")]
    # Hashed before reading, compared after: a file changed meanwhile must not be recorded as
    # the one this output came from.
    config_before = listing.content_hash([], files)
    options = ScanOptions(config_path=args.config, use_config=not args.no_config)
    config = load_effective_config(options)
    folders = [str(builtin_rules_dir()), *config.rule_dirs, *args.rules]
    content = listing.content_hash(folders, files)
    out = io.StringIO()
    ruledocs.print_list(configured_rules(list(args.rules), config), args.format, out)
    output = out.getvalue()
    with writing_stdout() as stream:
        stream.write(output)
    command_line = getattr(args, "command_line", None)
    unchanged = listing.content_hash([], files) == config_before and listing.content_hash(folders, files) == content
    if command_line is not None and unchanged:
        listing.record_listing(command_line, folders, files, content, output)
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    if args.rules_command == "list":
        return _list(args)
    if args.rules_command == "explain":
        # The rules a scan here would know: the config's own rule folders, parameters and
        # severity overrides included.
        options = ScanOptions(config_path=args.config, use_config=not args.no_config)
        configured = configured_rules(list(args.rules), load_effective_config(options))
        rule = find_rule(configured, args.rule_id)
        with writing_stdout() as stream:
            ruledocs.print_explain(rule, stream)
        return EXIT_OK
    from kubeaudit.testing import check_rules  # scans the fixtures: what `list` need not import

    try:
        rules = load_rules(args.dirs, include_builtin=False) if args.dirs else load_rules()
    except RuleError as exc:
        mistaken = _fixtures_folder(args.dirs, exc.source)
        if mistaken is None:
            raise
        # `rules test fixtures`: the folder holds manifests, and the loader's complaint about one of
        # them ("a rule file holds exactly one rule") would not say what went wrong.
        hint = _fixtures_root(FsPath(mistaken))
        raise UsageError(
            f"{mistaken}: holds manifests ({exc.source} is one), not rules; RULES_DIR names folders "
            f"of rule files. To test the rules against fixtures, give the fixtures folder with "
            f"--fixtures: kubeaudit rules test --fixtures {hint.as_posix()}"
        ) from exc
    fixtures = FsPath(args.fixtures)
    if not fixtures.is_dir():
        raise UsageError(f"{args.fixtures}: fixtures folder not found; name yours with --fixtures DIR")
    results = check_rules(rules, fixtures)
    with writing_stdout() as stream:
        return ruledocs.print_fixture_results(results, len(rules), stream)
