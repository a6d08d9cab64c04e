"""Shared helpers: run the real CLI in-process, locate the repository's data."""

from __future__ import annotations

import atexit
import datetime as dt
import io
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from kubeaudit.cli import main

REPO = Path(__file__).resolve().parents[1]
# Test helpers live in the `tests` package (e.g. tests.apiserver). Append, not prepend, the
# repository root so that `import kubeaudit` still finds the installed package (as CI installs it).
if str(REPO) not in sys.path:
    sys.path.append(str(REPO))
# The record of validated rules (kubeaudit/validation_cache.py) goes to a folder of this run, not
# the user's cache: the tests, and the CLI processes they start, then share one that starts empty.
if "KUBEAUDIT_CACHE_DIR" not in os.environ:
    os.environ["KUBEAUDIT_CACHE_DIR"] = _CACHE_DIR = tempfile.mkdtemp(prefix="kubeaudit-test-cache-")
    atexit.register(shutil.rmtree, _CACHE_DIR, True)
FIXTURES = REPO / "fixtures"
# A repository as users have them: plain manifests, a Kustomize base with two overlays (and a
# Helm chart); `# ruleid:` markers say where each finding must be reported.
REPOSITORY = FIXTURES / "repository"
RULE_FIXTURES = FIXTURES / "rules"
BAD_INPUT = REPO / "tests" / "data" / "bad-input"
# The day tests whose result depends on the date (end of life, stale reference data) judge with
# (`--as-of`, ScanOptions.as_of), so that they do not change result as time passes: the release data
# puts v1.37's end of life (the test API server's default version) in October 2027, and the data
# goes stale (a note in every report) 180 days after its `updated` date.
AS_OF = "2026-12-01"
AS_OF_DAY = dt.date.fromisoformat(AS_OF)


def marked_lines(root: Path, folders: list[Path] | None = None) -> set[tuple[str, int, str]]:
    """(file relative to root, line, rule id) of every `# ruleid:` marker in the files of the
    folders (default: everything under root), as `kubeaudit rules test` reads them."""
    from kubeaudit.testing import MARKER, expected_lines

    files = [p for folder in folders for p in folder.iterdir()] if folders else list(root.rglob("*"))
    marked = set()
    for path in sorted(p for p in files if p.is_file()):
        text = path.read_text(encoding="utf-8")
        for rule_id in set(MARKER.findall(text)):
            where = path.relative_to(root).as_posix()
            marked |= {(where, line, rule_id) for line in expected_lines(text, rule_id)}
    return marked


@dataclass
class CliRun:
    code: int
    out: str
    err: str


RunCli = Callable[..., CliRun]


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache folder of the test's own (validation_cache.py, engine/rule_cache.py), empty, caching on."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("KUBEAUDIT_CACHE_DIR", str(folder))
    monkeypatch.delenv("KUBEAUDIT_NO_CACHE", raising=False)
    return folder


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch) -> RunCli:
    """Run `kubeaudit ARGS...` in this process; returns exit code, stdout and stderr."""

    def run(*args: str, stdin: str | None = None, cwd: Path | None = None) -> CliRun:
        out, err = io.StringIO(), io.StringIO()
        monkeypatch.setattr(sys, "stdout", out)
        monkeypatch.setattr(sys, "stderr", err)
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", _TextStdin(stdin))
        if cwd is not None:
            monkeypatch.chdir(cwd)
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse exits on usage errors and --version
            code = int(exc.code or 0)
        return CliRun(code, out.getvalue(), err.getvalue())

    return run


class _TextStdin(io.StringIO):
    """A stdin with a .buffer, like the real one."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.buffer = io.BytesIO(text.encode())
