"""Which rules run: defaults, Pod Security Standards profile, --enable/--disable."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fnmatch import fnmatchcase

from kubeaudit.engine.rule import Rule

PROFILES = ("all", "baseline", "restricted")
# A profile selects the Pod Security Standards rules of that level; restricted
# includes baseline, exactly as the standard defines it.
_PROFILE_LEVELS = {"baseline": {"baseline"}, "restricted": {"baseline", "restricted"}}


class SelectionError(ValueError):
    """A profile or --enable/--disable that selects nothing. `pattern`: the rule glob that
    matched no rule (None for other mistakes), so callers need not re-read the message."""

    def __init__(self, message: str, pattern: str | None = None) -> None:
        super().__init__(message)
        self.pattern = pattern


def _matching(rules: Sequence[Rule], pattern: str) -> list[Rule]:
    found = [r for r in rules if fnmatchcase(r.id, pattern)]
    if not found:
        raise SelectionError(f"no rule matches {pattern!r} (see `kubeaudit rules list`)", pattern)
    return found


def select_rules(
    rules: Sequence[Rule],
    profile: str = "all",
    toggles: Iterable[tuple[str, str]] = (),
) -> list[Rule]:
    """Rules to run. `toggles` are ("enable"|"disable", glob) pairs applied in order,
    so `--disable '*' --enable X` runs only X and `--enable 'pss-*' --disable Y` all but Y."""
    if profile not in PROFILES:
        raise SelectionError(f"unknown profile {profile!r}; choose one of {', '.join(PROFILES)}")
    levels = _PROFILE_LEVELS.get(profile)
    chosen = {r.id: r for r in rules if r.enabled_by_default and (levels is None or r.profile in levels)}
    for action, pattern in toggles:
        if action == "enable":
            chosen.update((r.id, r) for r in _matching(rules, pattern))
        elif action == "disable":
            for rule in _matching(rules, pattern):
                chosen.pop(rule.id, None)
        else:
            raise SelectionError(f"unknown rule toggle {action!r}")
    # A restricted control that tightens a baseline one runs beside it: where both flag
    # the same field, engine.supersede keeps the finding that says more.
    return sorted(chosen.values(), key=lambda r: r.id)
