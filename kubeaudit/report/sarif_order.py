"""The order of a SARIF log's results, one integer per finding.

Results go by location (artifact URI, line, column), then rule id and resource; findings equal
in all of those (rare) by fingerprint and message, so the same scan gives the same bytes. A
tuple of those seven values per finding, with new strings for the resource and fingerprint, took
about 54 MiB at 200,000 findings, the SARIF report's peak: here each finding's key is one integer
from the ranks of its URI, rule id and resource among the few distinct ones, with its line and
column, packed with its index so that one list of integers is sorted.
"""

from __future__ import annotations

from collections.abc import Callable

from kubeaudit.finding_store import FindingStore
from kubeaudit.model import Position, Resource

# (resource, the finding's position or None) -> the result's artifact URI and region (None: no region)
Physical = Callable[[Resource, Position | None], tuple[str, Position | None]]

# What a position in the resource's own file is asked as: the URI and whether a region is written
# depend only on the resource then, not on the line.
_PROBE = Position(1, 1)


def qualified_name(resource: Resource) -> str:
    """`shop/Deployment/web`, as the result's logical location names the resource."""
    return "/".join([*([resource.namespace] if resource.namespace else []), resource.kind, resource.name])


def result_order(findings: FindingStore, physical: Physical) -> list[int]:
    """The findings' indexes in log order (see the module's docstring)."""
    # By (id(resource), the file a position names, None for the resource's own): URI, region written.
    known: dict[tuple[int, str | None], tuple[str, bool]] = {}

    def where(resource: Resource, position: Position | None) -> tuple[str, bool]:
        file = None if position is None else position.file
        key = (id(resource), file)
        found = known.get(key)
        if found is None:
            uri, region = physical(resource, _PROBE if file is None else position)
            found = known[key] = (uri, region is not None)
        return found

    uris: set[str] = set()
    rule_ids: set[str] = set()
    names: dict[int, str] = {}
    lines = columns = 0
    for resource, rule_id, line, column, position in findings.placements():
        uris.add(where(resource, position)[0])
        rule_ids.add(rule_id)
        if id(resource) not in names:
            names[id(resource)] = qualified_name(resource)
        lines, columns = max(lines, line), max(columns, column)
    uri_rank = {uri: rank for rank, uri in enumerate(sorted(uris))}
    rule_rank = {rule_id: rank for rank, rule_id in enumerate(sorted(rule_ids))}
    name_ranks = {name: rank for rank, name in enumerate(sorted(set(names.values())))}
    name_rank = {key: name_ranks[name] for key, name in names.items()}
    del uris, rule_ids, names, name_ranks
    lines, columns, rules, resources, count = lines + 1, columns + 1, len(rule_rank), len(name_rank), len(findings)
    keys: list[int] = []
    for index, (resource, rule_id, line, column, position) in enumerate(findings.placements()):
        uri, region = where(resource, position)
        if not region:
            line = column = 0
        key = ((uri_rank[uri] * lines + line) * columns + column) * rules + rule_rank[rule_id]
        keys.append((key * resources + name_rank[id(resource)]) * count + index)
    keys.sort()
    # Each key becomes its index; runs equal up to the resource are noted, to be ordered by
    # fingerprint, then message (stable: their indexes ascend).
    runs: list[tuple[int, int]] = []
    previous, run_start = -1, 0
    for at, key in enumerate(keys):
        group, keys[at] = divmod(key, count)
        if group != previous:
            if at - run_start > 1:
                runs.append((run_start, at))
            previous, run_start = group, at
    if count - run_start > 1:
        runs.append((run_start, count))
    for start, end in runs:
        keys[start:end] = sorted(keys[start:end], key=lambda i: (findings[i].fingerprint, findings[i].message))
    return keys
