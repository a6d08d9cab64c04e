"""What a compiled condition reports: violations, the MISSING marker, and how values read in messages.

Kept apart from condition.py (the compiler, with its regular expression engine and number
types), so that code which only reads findings or lists rules need not import the compiler.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kubeaudit.model import Path


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<not set>"


MISSING: Any = _Missing()


@dataclass(frozen=True, slots=True)
class Violation:
    path: Path  # in the target document
    value: Any  # the offending value, or MISSING when a required field is absent
    reason: str  # a short, generated explanation ("must be one of ...")


Out = list[Violation] | None
Check = Callable[[Any, Path, Out], bool]


def short(value: Any, limit: int = 60) -> str:
    """A compact rendering of a value for messages."""
    if value is MISSING:
        return "not set"
    if isinstance(value, str):
        text = value
    elif value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (dict, list)):
        text = "{...}" if isinstance(value, dict) else "[...]"
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
