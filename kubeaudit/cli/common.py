"""What every command shares: exit codes, the usage error, the argument parser class."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import NoReturn

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
LIST_HINT = " (see `kubeaudit rules list`)"  # as kubeaudit.engine.selection words it


class UsageError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (`kubeaudit: error: ...`), exit 2."""

    def error(self, message: str) -> NoReturn:
        hint = "" if "invalid choice" in message else f"; see `{self.prog} --help`"
        self.exit(EXIT_ERROR, f"kubeaudit: error: {message}{hint}\n")


def add_command(commands: argparse._SubParsersAction, name: str, summary: str, details: str = "") -> Parser:
    """A (sub-)command whose one-line summary is also the first sentence of its --help."""
    description = f"{summary[0].upper()}{summary[1:]}." + (f" {details}" if details else "")
    parser: Parser = commands.add_parser(name, help=summary, description=description)
    return parser


def did_you_mean(message: str, wrong: str, known: Sequence[str]) -> str:
    import difflib  # only on an error: not worth its import at every start

    close = difflib.get_close_matches(wrong, known, n=1, cutoff=0.75)
    if not close:
        return message
    return f"{message.replace(LIST_HINT, '')}; did you mean {close[0]!r}?"
