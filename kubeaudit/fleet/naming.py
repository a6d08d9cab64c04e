"""What each report's column is called in a merged report.

A report names what it scanned (`inputs`): a cluster scan `cluster:<context>`, a manifest scan
its paths. That is the column's name when it says something: one cluster context, or one path
other than `.`. In-cluster reports without `--cluster-name` say `cluster:in-cluster`, and a CI scan of
a repository says `.`, so those fall back to the report's file name (save each cluster's report
as `<cluster>.json`). `--name FILE=LABEL` overrides both. Two reports that would get one name
are told apart by their file names, then by their paths as given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import PurePath
from typing import Protocol

CLUSTER_PREFIX = "cluster:"
IN_CLUSTER = "in-cluster"  # the context name of in-cluster credentials (sources/cluster/credentials.py)
UNINFORMATIVE_INPUTS = {".", "./", "-", "<stdin>", ""}


class NamingError(Exception):
    pass


class Named(Protocol):
    """A report read back, or its column: what names it."""

    @property
    def path(self) -> str: ...  # the report file, as given

    @property
    def inputs(self) -> list[str]: ...


def parse_name_options(options: Sequence[str]) -> dict[str, str]:
    """`--name FILE=LABEL` options as {FILE: LABEL}."""
    names: dict[str, str] = {}
    for option in options:
        path, sep, label = option.rpartition("=")
        label = label.strip()
        if not sep or not path or not label:
            raise NamingError(f"--name {option}: expected REPORT=LABEL, as in --name prod.json=production")
        if path in names and names[path] != label:
            raise NamingError(f"--name {option}: {path} is already named {names[path]!r}")
        names[path] = label
    return names


def natural_name(report: Named) -> str | None:
    """The name a report gives itself, or None when it names nothing distinctive."""
    inputs = report.inputs
    if len(inputs) != 1:
        return None
    only = inputs[0]
    if only.startswith(CLUSTER_PREFIX):
        context = only[len(CLUSTER_PREFIX) :]
        return context if context and context != IN_CLUSTER else None
    return None if only.strip() in UNINFORMATIVE_INPUTS else only.rstrip("/")


def file_name(path: str) -> str:
    """The report's file name without `.json`: `reports/prod.json` is `prod`."""
    pure = PurePath(path)
    return pure.stem if pure.suffix.lower() == ".json" else pure.name


def column_names(reports: Sequence[Named], overrides: Mapping[str, str]) -> list[str]:
    """One distinct name per report, in the reports' order."""
    _check_overrides(reports, overrides)
    chosen: list[str | None] = [_override(report.path, overrides) for report in reports]
    explicit = [name for name in chosen if name is not None]
    twice = sorted({name for name in explicit if explicit.count(name) > 1})
    if twice:
        raise NamingError(f"--name gives two reports the name {twice[0]!r}: names must differ")
    candidates = [_candidates(report) for report in reports]
    taken = set(explicit)
    for level in range(3):
        pending = [i for i, name in enumerate(chosen) if name is None]
        wanted = {i: candidates[i][level] for i in pending}
        for i, name in wanted.items():
            clash = name in taken or list(wanted.values()).count(name) > 1
            if not clash or level == 2:
                chosen[i] = name
        taken |= {name for name in chosen if name is not None}
    names = [name for name in chosen if name is not None]
    if len(set(names)) != len(names):  # the same path given twice: its findings would count twice
        repeated = next(r.path for r, n in zip(reports, names, strict=True) if names.count(n) > 1)
        raise NamingError(f"{repeated}: given more than once")
    return names


def _override(path: str, overrides: Mapping[str, str]) -> str | None:
    for key in (path, PurePath(path).name, file_name(path)):
        if key in overrides:
            return overrides[key]
    return None


def _check_overrides(reports: Sequence[Named], overrides: Mapping[str, str]) -> None:
    known = {key for r in reports for key in (r.path, PurePath(r.path).name, file_name(r.path))}
    for key in overrides:
        if key not in known:
            raise NamingError(f"--name {key}={overrides[key]}: no report {key!r} among the inputs")


def _candidates(report: Named) -> tuple[str, str, str]:
    """The report's name, then the same told apart by file name, then by the path as given."""
    own = natural_name(report)
    stem = file_name(report.path)
    if own is None or own == stem:
        return stem, stem, report.path
    return own, f"{own} ({stem})", f"{own} ({report.path})"
