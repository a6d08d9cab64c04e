"""Where reports go: --format/--output pairing, output files checked before scanning, colour."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path as FsPath
from typing import TextIO

from kubeaudit.cli.common import UsageError
from kubeaudit.report import FORMAT_OF_SUFFIX, FORMATS


def add_report_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format", "-f", action="append", choices=FORMATS, dest="formats", metavar="FORMAT",
        help=f"report format: {', '.join(FORMATS[:-1])} or {FORMATS[-1]} (default: console); repeat, each "
        "with its own --output, to write several reports in one run",
    )  # fmt: skip
    parser.add_argument(
        "--output", "-o", action="append", dest="outputs", metavar="FILE",
        help="write the report to FILE instead of standard output (- is standard output); "
        "the n-th --output goes with the n-th --format",
    )  # fmt: skip
    parser.add_argument(
        "--no-color", action="store_true",
        help="never colour the console report (default: colour only on a terminal, and never when NO_COLOR is set)",
    )  # fmt: skip


def use_color(stream: TextIO, disabled: bool) -> bool:
    if disabled or os.environ.get("NO_COLOR"):
        return False
    return stream.isatty()


def check_output(option: str, path: str | None) -> None:
    """Refuse an output file that cannot be written before scanning, not after."""
    if path is None or path == "-":
        return
    target = FsPath(path)
    folder = target.parent
    if target.is_dir():
        raise UsageError(f"{option} {path}: is a directory, not a file")
    if not folder.is_dir():
        raise UsageError(f"{option} {path}: directory {folder.as_posix()} does not exist")
    if not os.access(target if target.exists() else folder, os.W_OK):
        raise UsageError(f"{option} {path}: permission denied")


@contextlib.contextmanager
def open_output(path: str | None) -> Iterator[TextIO]:
    if path is None or path == "-":
        yield sys.stdout
        return
    try:
        handle = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed by the with below
    except OSError as exc:
        raise UsageError(f"--output {path}: cannot write: {exc.strerror or exc}") from exc
    with handle:
        yield handle


def report_plan(formats: list[str] | None, outputs: list[str] | None) -> list[tuple[str, str | None]]:
    """(format, output) pairs. A report file named like a format (FORMAT_OF_SUFFIX) but given no
    --format would get console text: a SARIF upload or a JSON parser would fail later, far from
    the mistake, so that is refused here."""
    outputs = outputs or []
    if not formats and outputs:
        meant = FORMAT_OF_SUFFIX.get(FsPath(outputs[0]).suffix.lower())
        if meant is not None:
            raise UsageError(f"--output {outputs[0]}: would hold the console report; add --format {meant}")
    formats = formats or ["console"]
    if len(outputs) > len(formats):
        raise UsageError("more --output than --format options: each --output needs its own --format")
    plan = [(fmt, outputs[i] if i < len(outputs) else None) for i, fmt in enumerate(formats)]
    if sum(1 for _, out in plan if out in (None, "-")) > 1:
        raise UsageError("only one report can go to standard output: give the others an --output FILE")
    for _, output in plan:
        check_output("--output", output)
    return plan
