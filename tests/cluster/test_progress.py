"""The progress display: on stderr when it is a terminal (a real pseudo-terminal here), quiet otherwise."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import tempfile
import time

from tests.apiserver import ApiServerHandle
from tests.cluster.conftest import EQUIVALENCE, serve
from tests.conftest import REPO


def _scan(api: ApiServerHandle, stderr_tty: bool) -> tuple[int, str, bytes]:
    """Run the real CLI in a child process; its stderr is a pseudo-terminal or a pipe."""
    command = [sys.executable, "-m", "kubeaudit", "scan", "--cluster", "--kubeconfig", str(api.kubeconfig_path),
               "--no-config", "-f", "json"]  # fmt: skip
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120"}
    env.pop("NO_COLOR", None)
    if not stderr_tty:
        proc = subprocess.run(command, capture_output=True, env=env, cwd=REPO, timeout=60, check=False)
        return proc.returncode, proc.stdout.decode(), proc.stderr
    controller, terminal = pty.openpty()
    stdout = tempfile.TemporaryFile()  # noqa: SIM115  # not a pipe: a full one would block the child
    child = subprocess.Popen(command, stdout=stdout, stderr=terminal, env=env, cwd=REPO)
    os.close(terminal)
    seen = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([controller], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        elif child.poll() is not None:
            break
    code = child.wait(10)
    os.close(controller)
    stdout.seek(0)
    out = stdout.read().decode()
    stdout.close()
    return code, out, seen


def test_progress_on_a_terminal_and_quiet_otherwise() -> None:
    with serve(EQUIVALENCE, implicit=False, delay={"pods": 0.6, "deployments.apps": 0.3}) as api:
        tty_code, tty_out, tty_err = _scan(api, stderr_tty=True)
        pipe_code, pipe_out, pipe_err = _scan(api, stderr_tty=False)
    assert tty_code == pipe_code == 1
    assert json.loads(tty_out)["findings"] == json.loads(pipe_out)["findings"]  # stdout is the report either way
    text = tty_err.decode("utf-8", "replace")
    assert "[kubeaudit-test] pods" in text, text  # the line for what was being listed
    assert "\x1b[" in text  # drawn with terminal control sequences (and removed at the end)
    assert pipe_err == b""  # not a terminal: nothing at all on stderr
