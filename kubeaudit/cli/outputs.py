"""Where reports go: --format/--output pairing, output files checked before scanning and written
atomically, output errors as one line, colour."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path as FsPath
from typing import TextIO

from kubeaudit.cli.common import UsageError
from kubeaudit.cli.stdout import writing_stdout
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
    """Refuse an output that cannot be written before scanning, not after: a folder name, a missing
    folder, a folder where no file can be created (a read-only mount, /proc, /sys)."""
    if path is None or path == "-":
        if sys.stdout is None:  # started with standard output closed (`>&-`)
            raise UsageError("standard output is closed: nowhere to write the report; give --output FILE")
        return
    target = FsPath(path)
    folder = target.parent
    if target.is_dir():
        raise UsageError(f"{option} {path}: is a directory, not a file")
    if path.endswith(("/", os.sep)):
        raise UsageError(f"{option} {path}: names a directory (it ends with /), not a file")
    if not folder.is_dir():
        raise UsageError(f"{option} {path}: directory {folder.as_posix()} does not exist")
    if target.exists() and not os.access(target, os.W_OK):
        raise UsageError(f"{option} {path}: permission denied")
    if target.exists() and not target.is_file():  # /dev/null, a named pipe: written in place
        return
    try:  # the report is written to a temporary file beside the target: try creating one now
        descriptor, probe = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=PARTIAL_SUFFIX)
    except OSError as exc:
        where = folder.as_posix()
        raise UsageError(f"{option} {path}: cannot create a file in {where}: {exc.strerror or exc}") from exc
    os.close(descriptor)
    os.unlink(probe)


PARTIAL_SUFFIX = ".partial"


@contextlib.contextmanager
def open_output(path: str | None) -> Iterator[TextIO]:
    """A stream for one report. A file is written to a temporary file beside it and renamed over
    it only once the report is complete, so a failed, interrupted or killed run never leaves a
    truncated report, and the previous one stays as it was. A write error (a full disk, a closed
    pipe) is a UsageError: one line, exit 2, whatever the format."""
    if path is None or path == "-":
        with writing_stdout() as stream:
            yield stream
        return
    target = FsPath(path)
    if target.exists() and not target.is_file():  # a device or a pipe cannot be replaced: write to it
        try:
            with open(path, "w", encoding="utf-8") as handle:
                yield handle
        except OSError as exc:
            raise UsageError(f"--output {path}: cannot write: {exc.strerror or exc}") from exc
        return
    try:
        descriptor, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=PARTIAL_SUFFIX)
    except OSError as exc:
        raise UsageError(f"--output {path}: cannot write: {exc.strerror or exc}") from exc
    try:
        with open(descriptor, "w", encoding="utf-8") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(partial, _mode_for(target))
        os.replace(partial, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(partial)
        kept = f"{path} was left as it was" if target.exists() else f"{path} was not created"
        if isinstance(exc, OSError):
            raise UsageError(f"--output {path}: cannot write: {exc.strerror or exc}; {kept}") from exc
        if isinstance(exc, Exception):  # a crash while rendering: its traceback follows
            print(f"kubeaudit: report not written: {kept}", file=sys.stderr)
        raise


def _mode_for(target: FsPath) -> int:
    """The permissions the report gets: the old file's, else what open() would have given it."""
    if target.exists():
        return stat.S_IMODE(target.stat().st_mode)
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def interrupted_outputs(outputs: list[str | None], what: str = "report") -> Iterator[None]:
    """On Ctrl-C or SIGTERM, say that the report files were left as they were (the reports are
    written atomically). SIGTERM is turned into KeyboardInterrupt, so a temporary report file is
    removed and the exit code is 130, as for Ctrl-C."""
    previous = None
    with contextlib.suppress(ValueError):  # a signal handler can only be set in the main thread
        previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    except KeyboardInterrupt:
        for path in outputs:
            if path not in (None, "-"):
                kept = "was left as it was" if FsPath(path).exists() else "was not created"
                print(f"kubeaudit: {what} not written: {path} {kept}", file=sys.stderr)
        raise
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


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
