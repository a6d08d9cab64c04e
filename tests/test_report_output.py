"""Reports reach their reader whole or not at all: a report file is replaced only by a complete
report, a write error is one line and exit 2 in every format, and an output that cannot be
written is refused before the scan starts."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

import pytest
from conftest import RunCli

FORMATS = ["console", "json", "sarif", "junit", "html"]
POD = """\
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - {name: c, image: nginx, securityContext: {privileged: true}}
"""


def kubeaudit(
    *args: str, cwd: Path, stdout: int | None = subprocess.PIPE, preexec: Callable[[], None] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kubeaudit", *args],
        cwd=cwd,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
        preexec_fn=preexec,
        env={**os.environ, "NO_COLOR": "1"},
    )


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "pod.yaml").write_text(POD)
    return tmp_path


def _file_size_limit(limit: int) -> Callable[[], None]:
    def apply() -> None:  # writes past `limit` bytes fail with EFBIG, as on a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="POSIX file-size limits")
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_failed_write_leaves_the_previous_report_untouched_and_says_so(folder: Path, fmt: str) -> None:
    report = folder / "report.out"
    previous = "the previous, complete report\n"
    report.write_text(previous)
    run = kubeaudit("scan", "pod.yaml", "-f", fmt, "-o", "report.out", cwd=folder, preexec=_file_size_limit(300))
    assert run.returncode == 2
    assert (
        run.stderr
        == "kubeaudit: error: --output report.out: cannot write: File too large; report.out was left as it was\n"
    )
    assert report.read_text() == previous
    assert sorted(p.name for p in folder.iterdir()) == ["pod.yaml", "report.out"]  # no temporary file left


@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="POSIX file-size limits")
def test_a_failed_baseline_write_leaves_the_previous_baseline_untouched_and_says_so(folder: Path) -> None:
    baseline = folder / "baseline.json"
    previous = '{"version": 1, "findings": []}\n'
    baseline.write_text(previous)
    run = kubeaudit("baseline", "create", "pod.yaml", "-o", "baseline.json", "--reason", "accepted risk",
                    cwd=folder, preexec=_file_size_limit(300))  # fmt: skip
    assert run.returncode == 2
    assert (
        run.stderr == "kubeaudit: error: --output baseline.json: cannot write: File too large; "
        "baseline.json was left as it was\n"
    )
    assert baseline.read_text() == previous
    assert sorted(p.name for p in folder.iterdir()) == ["baseline.json", "pod.yaml"]  # no temporary file left


def test_a_report_replaces_the_previous_one_whole_and_keeps_its_permissions(run_cli: RunCli, folder: Path) -> None:
    report = folder / "report.json"
    report.write_text("old")
    report.chmod(0o640)
    assert run_cli("scan", "pod.yaml", "-f", "json", "-o", "report.json", cwd=folder).code == 1
    assert json.loads(report.read_text())["summary"]["findings"]["total"] > 0
    assert report.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in folder.iterdir()) == ["pod.yaml", "report.json"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_full_disk_on_standard_output_is_one_line_and_exit_2(folder: Path, fmt: str) -> None:
    with open("/dev/full", "w") as full:
        run = kubeaudit("scan", "pod.yaml", "-f", fmt, cwd=folder, stdout=full.fileno())
    assert run.returncode == 2
    assert run.stderr == "kubeaudit: error: standard output: cannot write the report: No space left on device\n"


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_closed_pipe_is_one_line_and_exit_2(folder: Path, fmt: str) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before anything is written
    try:
        run = kubeaudit("scan", "pod.yaml", "-f", fmt, cwd=folder, stdout=write_end)
    finally:
        os.close(write_end)
    assert run.returncode == 2
    assert run.stderr == "kubeaudit: error: standard output: cannot write the report: Broken pipe\n"


def test_a_closed_standard_output_is_refused_before_scanning(folder: Path) -> None:
    run = kubeaudit("scan", "pod.yaml", cwd=folder, stdout=None, preexec=lambda: os.close(1))
    assert run.returncode == 2
    assert run.stderr == (
        "kubeaudit: error: standard output is closed: nowhere to write the report; give --output FILE\n"
    )


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ("newdir/", "--output newdir/: names a directory (it ends with /), not a file"),
        ("/proc/kubeaudit.json", "--output /proc/kubeaudit.json: cannot create a file in /proc"),
    ],
)
def test_outputs_that_cannot_be_written_are_refused_before_scanning(
    run_cli: RunCli, folder: Path, output: str, message: str
) -> None:
    if output.startswith("/proc") and not os.path.isdir("/proc"):
        pytest.skip("no /proc on this system")
    os.mkfifo(folder / "blocks.yaml")  # if the scan started, it would report this file
    result = run_cli("scan", "pod.yaml", "blocks.yaml", "-f", "json", "-o", output, cwd=folder)
    assert result.code == 2
    assert result.err.startswith(f"kubeaudit: error: {message}") and result.err.count("\n") == 1
    assert result.out == ""
    assert not (folder / "newdir").exists()


def test_a_crash_while_rendering_leaves_the_previous_report_and_says_so(
    run_cli: RunCli, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A renderer that fails half-way (a bug): the previous SARIF stays whole, not a truncated or
    0-byte one, and standard error says so before the traceback."""
    from kubeaudit.report.sarif import SarifReporter

    def crash(self: object, result: object, stream: TextIO, options: object) -> None:
        stream.write('{"version": "2.1.0", "runs": [')
        raise RuntimeError("a bug in the renderer")

    monkeypatch.setattr(SarifReporter, "render", crash)
    report = folder / "report.sarif"
    report.write_text("previous")
    with pytest.raises(RuntimeError):
        run_cli("scan", "pod.yaml", "-f", "sarif", "-o", "report.sarif", cwd=folder)
    assert report.read_text() == "previous"
    assert sorted(p.name for p in folder.iterdir()) == ["pod.yaml", "report.sarif"]  # no temporary file left
    assert sys.stderr.getvalue() == "kubeaudit: report not written: report.sarif was left as it was\n"


def _catches(pid: int, signum: int) -> bool:
    """Whether the process has a handler for `signum` (the SigCgt mask of /proc/PID/status)."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("SigCgt:"):
                return bool(int(line.split()[1], 16) >> (signum - 1) & 1)
    return False


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads the signal mask from /proc")
def test_an_interrupted_scan_leaves_the_previous_report_and_says_so(folder: Path) -> None:
    """SIGTERM while the scan is reading its input. The scan reads standard input that the test
    holds open, so it cannot finish first; the signal is sent once the process catches SIGTERM
    (its handler is set before the scan starts), so it cannot come too early either."""
    report = folder / "report.json"
    report.write_text("previous")
    process = subprocess.Popen(
        [sys.executable, "-m", "kubeaudit", "scan", "-", "-f", "json", "-o", "report.json"],
        cwd=folder,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdin is not None
        process.stdin.write(POD)  # a document, and no end of input yet
        process.stdin.flush()
        give_up = time.monotonic() + 120  # a bound on start-up, not a race: the scan waits for input
        while not _catches(process.pid, signal.SIGTERM) and process.poll() is None and time.monotonic() < give_up:
            time.sleep(0.02)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    finally:
        process.kill()
    # 130, or ended by SIGINT as CPython sometimes ends a process interrupted this early: a shell
    # reports both as 130.
    assert process.returncode in (130, -signal.SIGINT), err
    assert "kubeaudit: report not written: report.json was left as it was" in err
    assert report.read_text() == "previous"
    assert sorted(p.name for p in folder.iterdir()) == ["pod.yaml", "report.json"]  # no temporary file left


FIX_ARGS = {"dry-run": ["--dry-run"], "diff": ["--diff"]}


@pytest.mark.parametrize("mode", FIX_ARGS)
def test_fix_on_a_full_disk_or_a_closed_pipe_is_one_line_and_exit_2(folder: Path, mode: str) -> None:
    """`kubeaudit fix --dry-run/--diff` writes its listing as the reports are written: a traceback
    and exit 1 (full disk) or a silent exit 0 (closed pipe) before."""
    with open("/dev/full", "w") as full:
        run = kubeaudit("fix", "pod.yaml", *FIX_ARGS[mode], cwd=folder, stdout=full.fileno())
    assert run.returncode == 2, run.stderr
    assert run.stderr.endswith("kubeaudit: error: standard output: cannot write the report: No space left on device\n")
    assert "Traceback" not in run.stderr
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        run = kubeaudit("fix", "pod.yaml", *FIX_ARGS[mode], cwd=folder, stdout=write_end)
    finally:
        os.close(write_end)
    assert run.returncode == 2, run.stderr
    assert run.stderr.endswith("kubeaudit: error: standard output: cannot write the report: Broken pipe\n")
    assert (folder / "pod.yaml").read_text() == POD  # a dry run changed nothing


OTHER_REPORTS = {
    "report diff": ["report", "diff", "report.json", "report.json", "-f", "markdown"],
    "report merge": ["report", "merge", "report.json", "-f", "html"],
    "psa-plan": ["psa-plan", "pod.yaml", "-f", "markdown"],
    "paths": ["paths", "pod.yaml", "-f", "dot"],
    # What the rule commands and --version print is output too: a traceback and exit 1 on a full
    # disk, a silent exit 0 on a closed pipe, before kubeaudit.cli.stdout.
    "rules list": ["rules", "list"],
    "rules list, recorded": ["rules", "list", "--no-config"],  # answered from the record of the last run
    "rules explain": ["rules", "explain", "pss-baseline-privileged"],
    "version": ["--version"],
}


@pytest.mark.parametrize("command", OTHER_REPORTS)
def test_the_other_reports_on_a_full_disk_or_a_closed_pipe_are_one_line_and_exit_2(folder: Path, command: str) -> None:
    if command.startswith("report"):
        made = kubeaudit("scan", "pod.yaml", "-f", "json", "-o", "report.json", "--fail-on", "none", cwd=folder)
        assert made.returncode == 0, made.stderr
    if command.endswith("recorded"):
        assert kubeaudit(*OTHER_REPORTS[command], cwd=folder, stdout=subprocess.DEVNULL).returncode == 0
    with open("/dev/full", "w") as full:
        run = kubeaudit(*OTHER_REPORTS[command], cwd=folder, stdout=full.fileno())
    assert (run.returncode, run.stderr) == (
        2,
        "kubeaudit: error: standard output: cannot write the report: No space left on device\n",
    )
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        run = kubeaudit(*OTHER_REPORTS[command], cwd=folder, stdout=write_end)
    finally:
        os.close(write_end)
    assert (run.returncode, run.stderr) == (
        2,
        "kubeaudit: error: standard output: cannot write the report: Broken pipe\n",
    )
