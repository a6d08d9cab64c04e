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
        help="write a report to FILE instead of standard output (- is standard output): FORMAT=FILE pairs by "
        "format (-o json=report.json); plain FILEs go, in order, with the --formats not paired so",
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


def _split_output(output: str) -> tuple[str | None, str]:
    """`-o json=report.json` names its format; a plain `-o FILE` does not."""
    fmt, sep, path = output.partition("=")
    return (fmt, path) if sep and fmt in FORMATS and path else (None, output)


def report_plan(formats: list[str] | None, outputs: list[str] | None) -> list[tuple[str, str | None]]:
    """(format, output) pairs. `-o FORMAT=FILE` pairs by format (and asks for that format);
    plain `-o FILE`s go, in order, with the --formats no `-o FORMAT=FILE` named. When that is
    ambiguous (several formats, fewer plain outputs), or a file named like one format (report.json)
    would get another, the pairing is refused: a SARIF upload or a JSON parser would otherwise
    fail later, far from the mistake."""
    named: dict[str, str] = {}
    plain: list[str] = []
    for output in outputs or []:
        fmt, path = _split_output(output)
        if fmt is None:
            plain.append(path)
        elif fmt in named:
            raise UsageError(f"--output {output}: {fmt} already goes to {named[fmt]}")
        else:
            named[fmt] = path
    chosen = bool(formats)
    formats = list(formats or ([] if named else ["console"]))
    formats += [fmt for fmt in named if fmt not in formats]
    unnamed = [fmt for fmt in formats if fmt not in named]
    if len(plain) > len(unnamed):
        raise UsageError("more --output than --format options: each --output needs its own --format")
    if plain and len(plain) < len(unnamed):
        raise UsageError(
            f"{len(unnamed)} formats ({', '.join(unnamed)}) but {len(plain)} plain --output: say which report goes "
            f"where, as in -o {unnamed[-1]}={plain[0]}, or give each --format its own --output"
        )
    pairs = dict(zip(unnamed, plain, strict=False))
    for fmt, path in pairs.items():
        meant = FORMAT_OF_SUFFIX.get(FsPath(path).suffix.lower())
        if path != "-" and meant is not None and meant != fmt:
            fix = f"to write {meant} there: -o {meant}={path}" if chosen else f"add --format {meant}"
            raise UsageError(f"--output {path}: would hold the {fmt} report; {fix}")
    plan = [(fmt, named.get(fmt, pairs.get(fmt))) for fmt in formats]
    if sum(1 for _, out in plan if out in (None, "-")) > 1:
        raise UsageError("only one report can go to standard output: give the others an --output FILE")
    for _, target in plan:
        check_output("--output", target)
    return plan
