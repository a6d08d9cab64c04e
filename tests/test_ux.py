"""What a first-time user sees: help, one-line usage errors, the console report, rule docs,
and README examples that work as written."""

from __future__ import annotations

import argparse
import io
import json
import re
import shlex
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES, REPO, RunCli

from kubeaudit.cli import build_parser
from kubeaudit.config import load_config
from kubeaudit.engine.loader import load_rules
from kubeaudit.report import console

README = (REPO / "README.md").read_text(encoding="utf-8")
POD = """\
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
    - name: app
      image: nginx:1.27
      securityContext:
        privileged: true
"""


def _one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("kubeaudit: error: ")
    return lines[0]


@pytest.fixture
def pod_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "deploy"
    folder.mkdir()
    (folder / "pod.yaml").write_text(POD)
    return folder


# --- help ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "usage"),
    [([], "usage: kubeaudit [-h]"), (["rules"], "usage: kubeaudit rules"), (["baseline"], "usage: kubeaudit baseline")],
)
def test_a_command_without_its_action_prints_help_and_exits_2(run_cli: RunCli, args: list[str], usage: str) -> None:
    result = run_cli(*args)
    assert result.code == 2
    assert result.err.startswith(usage) and result.out == ""


def test_top_level_help_shows_examples_and_exit_codes(run_cli: RunCli) -> None:
    help_text = run_cli().err
    assert "kubeaudit scan deploy/ " in help_text and "kubeaudit scan charts/shop --helm-values prod.yaml" in help_text
    assert "exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage error or incomplete scan" in help_text


def test_every_option_and_argument_of_every_command_is_explained() -> None:
    _, commands = build_parser()
    assert set(commands) >= {"scan", "baseline create", "rules list", "rules explain", "rules test"}
    for name, command in commands.items():
        for action in command._actions:
            if not isinstance(action, argparse._SubParsersAction):
                assert action.help, f"kubeaudit {name} {action.option_strings or action.metavar}: no help"


def test_scan_help_names_the_defaults(run_cli: RunCli) -> None:
    text = " ".join(run_cli("scan", "--help").out.split())
    for default in ("(default: console)", "instead of standard output", "else low)", "else all)", "(default: 500)"):
        assert default in text, default


# --- usage errors: one line, naming what is at fault, exit 2, nothing scanned ---------------------------------------


def test_argparse_mistakes_are_one_line_naming_the_commands_help(run_cli: RunCli, pod_dir: Path) -> None:
    bogus = run_cli("scan", str(pod_dir), "--bogus")
    assert bogus.code == 2
    assert _one_error_line(bogus.err) == (
        "kubeaudit: error: unrecognized arguments: --bogus; see `kubeaudit scan --help`"
    )
    bad_format = run_cli("scan", str(pod_dir), "-f", "xml")
    assert bad_format.code == 2
    assert _one_error_line(bad_format.err).startswith("kubeaudit: error: argument --format/-f: invalid choice: 'xml'")
    no_output = run_cli("baseline", "create", str(pod_dir))
    assert no_output.code == 2
    assert "the following arguments are required: --output/-o" in _one_error_line(no_output.err)


def test_a_path_that_does_not_exist_is_a_usage_error(run_cli: RunCli, pod_dir: Path) -> None:
    result = run_cli("scan", str(pod_dir), str(pod_dir / "typo"))
    assert result.code == 2 and result.out == ""
    assert _one_error_line(result.err) == f"kubeaudit: error: {pod_dir / 'typo'}: no such file or directory"


def test_a_directory_with_nothing_to_scan_does_not_pass_the_gate(run_cli: RunCli, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_cli("scan", str(empty), "--fail-on", "none")
    assert result.code == 2 and result.out == ""
    assert _one_error_line(result.err) == (
        f"kubeaudit: error: {empty}: nothing to scan: no .yaml, .yml or .json files in this directory"
    )
    docs = tmp_path / "docs"
    (docs / ".hidden").mkdir(parents=True)
    (docs / "README.md").write_text("# not a manifest\n")
    (docs / ".hidden" / "pod.yaml").write_text(POD)  # hidden folders are not scanned
    assert run_cli("scan", str(docs)).code == 2


def test_a_directory_whose_manifests_are_all_excluded_names_the_config(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "pod.yaml").write_text(POD)
    (tmp_path / ".kubeaudit.yaml").write_text("exclude: [vendor/]\n")
    result = run_cli("scan", "vendor", cwd=tmp_path)
    assert result.code == 2
    assert _one_error_line(result.err) == (
        "kubeaudit: error: vendor: nothing to scan: all 1 .yaml, .yml or .json file "
        f"in this directory are excluded by {(tmp_path / '.kubeaudit.yaml').as_posix()}"
    )


def test_an_output_that_cannot_be_written_is_refused_before_scanning(run_cli: RunCli, pod_dir: Path) -> None:
    target = pod_dir / "reports" / "kubeaudit.sarif"
    result = run_cli("scan", str(pod_dir), "-f", "sarif", "-o", str(target))
    assert result.code == 2 and result.out == ""
    assert _one_error_line(result.err) == (
        f"kubeaudit: error: --output {target}: directory {target.parent.as_posix()} does not exist"
    )
    into_folder = run_cli("scan", str(pod_dir), "-o", str(pod_dir))
    assert _one_error_line(into_folder.err) == f"kubeaudit: error: --output {pod_dir}: is a directory, not a file"


def test_a_report_file_named_for_a_format_needs_that_format(run_cli: RunCli, pod_dir: Path, tmp_path: Path) -> None:
    sarif = tmp_path / "kubeaudit.sarif"
    result = run_cli("scan", str(pod_dir), "-o", str(sarif))
    assert result.code == 2 and not sarif.exists()
    assert _one_error_line(result.err) == (
        f"kubeaudit: error: --output {sarif}: would hold the console report; add --format sarif"
    )
    assert run_cli("scan", str(pod_dir), "-f", "sarif", "-o", str(sarif)).code == 1 and sarif.exists()
    assert run_cli("scan", str(pod_dir), "-o", str(tmp_path / "report.txt")).code == 1


def test_ctrl_c_exits_130_with_one_line(run_cli: RunCli, pod_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("kubeaudit.cli.inputs.run", interrupted)
    result = run_cli("scan", str(pod_dir))
    assert (result.code, result.out, result.err) == (130, "", "kubeaudit: interrupted\n")


def test_baseline_create_into_a_missing_directory_is_an_error_not_a_traceback(run_cli: RunCli, pod_dir: Path) -> None:
    target = pod_dir / "nope" / "baseline.json"
    result = run_cli("baseline", "create", "-o", str(target), "--reason", "adopting the gate", str(pod_dir))
    assert result.code == 2
    assert _one_error_line(result.err) == (
        f"kubeaudit: error: --output {target}: directory {target.parent.as_posix()} does not exist"
    )


def test_a_typo_in_a_rule_id_suggests_the_rule_meant(run_cli: RunCli, pod_dir: Path) -> None:
    result = run_cli("scan", str(pod_dir), "--no-config", "--disable", "pss-baseline-privilegd")
    assert result.code == 2 and result.out == ""
    assert _one_error_line(result.err) == (
        "kubeaudit: error: no rule matches 'pss-baseline-privilegd'; did you mean 'pss-baseline-privileged'?"
    )
    unrelated = run_cli("scan", str(pod_dir), "--no-config", "--enable", "zzz-*")
    assert _one_error_line(unrelated.err) == "kubeaudit: error: no rule matches 'zzz-*' (see `kubeaudit rules list`)"
    explain = run_cli("rules", "explain", "readonly-root-filesytem")
    assert explain.code == 2
    assert _one_error_line(explain.err) == (
        "kubeaudit: error: no rule 'readonly-root-filesytem'; did you mean 'readonly-root-filesystem'?"
    )


def test_a_typo_in_the_configs_rules_names_the_config_file(run_cli: RunCli, pod_dir: Path, tmp_path: Path) -> None:
    config = tmp_path / "kubeaudit.yaml"
    config.write_text("rules:\n  disable: [readonly-root-filesytem]\n")
    result = run_cli("scan", str(pod_dir), "--config", str(config))
    assert result.code == 2
    assert _one_error_line(result.err) == (
        f"kubeaudit: error: {config.as_posix()}: rules.disable: no rule matches 'readonly-root-filesytem'; "
        "did you mean 'readonly-root-filesystem'?"
    )


def test_cluster_options_without_cluster_say_so_in_good_english(run_cli: RunCli, pod_dir: Path) -> None:
    one = run_cli("scan", str(pod_dir), "--context", "prod")
    assert _one_error_line(one.err) == "kubeaudit: error: --context only applies to a live cluster: add --cluster"
    two = run_cli("scan", str(pod_dir), "--context", "prod", "-n", "shop")
    assert _one_error_line(two.err) == (
        "kubeaudit: error: --context, --namespace only apply to a live cluster: add --cluster"
    )


def test_rules_test_without_fixtures_says_which_option_to_give(run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli("rules", "test", cwd=tmp_path)
    assert result.code == 2
    assert _one_error_line(result.err) == (
        "kubeaudit: error: fixtures/rules: fixtures folder not found; name yours with --fixtures DIR"
    )


# --- the console report ----------------------------------------------------------------------------------------------


def test_summary_counts_read_as_english(run_cli: RunCli, pod_dir: Path) -> None:
    result = run_cli("scan", str(pod_dir), "--no-config", "--disable", "*", "--enable", "pss-baseline-privileged")
    lines = result.out.splitlines()
    assert lines[-2:] == ["Scanned 1 file, 1 resource with 1 rule.", "1 finding (1 critical)"]
    (pod_dir / "broken.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: [\n")
    broken = run_cli("scan", str(pod_dir), "--no-config")
    assert broken.out.splitlines()[-1] == "INCOMPLETE: 1 input could not be scanned (listed above)."


def test_findings_by_rule_lists_the_worst_and_most_frequent_first(run_cli: RunCli, tmp_path: Path) -> None:
    second = POD.replace("name: web", "name: api")
    (tmp_path / "pods.yaml").write_text(POD + "---\n" + second)
    only = ["--disable", "*", "--enable", "pss-baseline-privileged", "--enable", "readonly-root-filesystem"]
    only += ["--enable", "default-namespace"]
    out = run_cli("scan", str(tmp_path), "--no-config", *only).out.splitlines()
    start = out.index("Findings by rule (2):")
    assert out[start + 1 : start + 4] == [
        "  CRITICAL 2  pss-baseline-privileged   Privileged containers",
        "  LOW      2  readonly-root-filesystem  Container root filesystem not read-only",
        "",
    ]
    single = run_cli("scan", str(tmp_path), "--no-config", "--disable", "*", "--enable", "pss-baseline-privileged")
    assert "Findings by rule" not in single.out  # one rule: the severity line already says it all


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_long_findings_wrap_under_the_message_on_a_terminal_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from kubeaudit.scan import scan_manifests

    monkeypatch.setenv("COLUMNS", "80")
    (tmp_path / "pod.yaml").write_text(POD)
    rules = [r for r in load_rules() if r.id == "readonly-root-filesystem"]
    result = scan_manifests([str(tmp_path)], rules)
    terminal, log = _Terminal(), io.StringIO()
    console.render(result, terminal)
    console.render(result, log)
    lines = terminal.getvalue().splitlines()
    assert all(len(line) <= 80 for line in lines), lines
    first = next(i for i, line in enumerate(lines) if "readonly-root-filesystem  Container app" in line)
    assert lines[first + 1].startswith(" " * 23) and not lines[first + 1].startswith(" " * 24)
    assert any(line.startswith(" " * 23 + "fix: Set securityContext.readOnlyRootFilesystem") for line in lines)
    # a file or CI log is never wrapped: one line per finding, one per fix
    logged = log.getvalue().splitlines()
    at = next(i for i, line in enumerate(logged) if "readonly-root-filesystem  Container app" in line)
    assert logged[at].endswith("is not set).") and logged[at + 1].strip().startswith("fix: ")


# --- rule documentation ----------------------------------------------------------------------------------------------


def test_rules_list_ends_with_a_count(run_cli: RunCli) -> None:
    out = run_cli("rules", "list").out.splitlines()
    assert re.fullmatch(r"\d+ rules(, \d+ off by default)?", out[-1]), out[-1]
    assert int(out[-1].split()[0]) == len(load_rules())


def test_rules_explain_wraps_prose_to_100_columns(run_cli: RunCli) -> None:
    for rule in ("secret-in-env", "rbac-read-secrets", "pss-baseline-host-ports"):
        text = run_cli("rules", "explain", rule).out
        prose = text.split("\nHow to fix:\n")[0]
        assert all(len(line) <= 100 for line in prose.splitlines()), rule
        params = text.split("\nParameters:\n")[-1].split("\nReferences:\n")[0]
        assert "\n\n" not in params.strip()  # no stray blank lines between parameters


@pytest.mark.parametrize("rule", load_rules(), ids=lambda r: r.id)
def test_rule_prose_is_consistent(rule: object) -> None:
    from kubeaudit.engine.rule import Rule

    assert isinstance(rule, Rule)
    assert rule.title[0].isupper() and not rule.title.endswith("."), rule.title
    assert rule.message.rstrip().endswith("."), rule.message
    assert rule.remediation.splitlines()[0].rstrip().endswith("."), "the fix line the console shows"


# --- README examples work as written ---------------------------------------------------------------------------------


def _fenced(language: str, after: str) -> str:
    """The first ```language block after the heading or text `after`."""
    start = README.index(after)
    match = re.search(rf"```{language}\n(.*?)```", README[start:], re.S)
    assert match, (language, after)
    return match.group(1)


def test_readme_demo_output_is_what_the_demo_prints(run_cli: RunCli) -> None:
    shown = _fenced("console", "# kubeaudit").splitlines()
    assert shown[0] == "$ kubeaudit scan fixtures/demo"
    out = run_cli("scan", "fixtures/demo", "--no-config", cwd=REPO).out.splitlines()
    for line in shown[1:]:
        if line.strip() not in ("...", ""):
            assert line in out, line
    assert shown[-2:] == out[-2:]


def test_readme_json_example_has_the_reports_shape(run_cli: RunCli, tmp_path: Path) -> None:
    example = json.loads(_fenced("json", "## JSON report"))
    (tmp_path / "pod.yaml").write_text(POD)
    report = json.loads(run_cli("scan", str(tmp_path), "-f", "json", "--no-config").out)
    assert list(example) == list(report)
    assert list(example["summary"]) == list(report["summary"])
    assert list(example["findings"][0]) == list(report["findings"][0])
    assert list(example["errors"][0]) == ["source", "line", "message"]


def test_readme_config_example_loads(tmp_path: Path) -> None:
    config = tmp_path / ".kubeaudit.yaml"
    config.write_text(_fenced("yaml", "## Configuration: .kubeaudit.yaml"))
    loaded = load_config(config)
    assert loaded.profile == "restricted" and loaded.fail_on == "high"


def test_readme_rule_example_passes_rules_test_with_the_readme_fixture(run_cli: RunCli, tmp_path: Path) -> None:
    rule = _fenced("yaml", "## Writing a rule")
    assert yaml.safe_load(rule)["id"] == "no-latest-tag"
    (tmp_path / "my-rules" / "images").mkdir(parents=True)
    (tmp_path / "my-rules" / "images" / "no-latest-tag.yaml").write_text(rule)
    snippet = _fenced("yaml", "**Fixtures.**")
    head = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n"
    fixtures = tmp_path / "my-fixtures" / "no-latest-tag"
    fixtures.mkdir(parents=True)
    (fixtures / "fail.yaml").write_text(head + snippet)
    (fixtures / "pass.yaml").write_text(head + snippet.replace("image: nginx", "image: nginx:1.27"))
    result = run_cli("rules", "test", "my-rules/", "--fixtures", "my-fixtures/", cwd=tmp_path)
    assert result.code == 0, result.out
    assert result.out.splitlines()[-1] == "1 rule, 2 fixtures: 2 passed, 0 failed"


def test_readme_baseline_commands_work_as_written(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "deploy").mkdir()
    for source in (FIXTURES / "demo").glob("*"):
        if source.suffix in (".yaml", ".json"):
            (tmp_path / "deploy" / source.name).write_text(source.read_text())
    commands = _fenced("sh", "**A baseline**").strip().splitlines()
    create = run_cli(*shlex.split(commands[0])[1:], cwd=tmp_path)
    assert create.code == 0, create.err
    gated = run_cli(*commands[1].split()[1:], cwd=tmp_path)
    assert gated.code == 0, gated.out
    everything = json.loads(run_cli("scan", "deploy", "-f", "json", cwd=tmp_path).out)["findings"]
    assert f"0 findings; {len(everything)} suppressed" in gated.out
