"""A scan's findings kept as compact records, rebuilt into Finding objects one at a time.

At 50,000 resources a scan makes about 200,000 findings. As Finding objects (each with its own
Position, path tuple, fingerprint string and message) they took about 630 bytes apiece, the
largest part of what a scan holds once its inventory is released. Here each finding is one
fixed-size record in a bytearray (RECORD.size bytes): its rule, resource, message, path, container,
suppression and policy version as indexes into tables of shared objects (equal paths, messages
and suppressions kept once), its line and column as numbers and its fingerprint as 16 raw bytes.
Whatever does not fit (a position in another file, an attack path's steps, a fingerprint that is
not 32 hex digits) goes into a side table. Reports iterate the store: each finding is made as
it is read and dropped once written.
"""

from __future__ import annotations

import struct
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from itertools import pairwise
from typing import Any, overload

from kubeaudit.model import Finding, Path, Position, Resource, Severity, Step, Suppression, new_finding, slot_setter

# rule, severity, flags, message, resource, path, container, suppression, policy version,
# line, column, extra, fingerprint. Index 0 of the optional tables stands for None.
RECORD = struct.Struct("<HBBIIIIHHIII16s")
_HAS_POSITION = 1
_HEX_FINGERPRINT = 2
# Where each field starts in a record, for reading one field without unpacking the rest.
_SUPPRESSION_OFFSET = struct.calcsize("<HBBIIII")
_SUPPRESSION = _RULE = struct.Struct("<H")  # the rule is a record's first field
_MAX_U16, _MAX_U32 = 0xFFFF, 0xFFFFFFFF
# Records read for a field or two: the other bytes are skipped as padding.
_RESOURCE_OFFSET = struct.calcsize("<HBBI")
_SEVERITY_OFFSET = struct.calcsize("<H")
_RESOURCE_FIELD_ITER = struct.Struct(f"<{_RESOURCE_OFFSET}xI{RECORD.size - _RESOURCE_OFFSET - 4}x").iter_unpack
_SEVERITY_AND_SUPPRESSION_ITER = struct.Struct(
    f"<{_SEVERITY_OFFSET}xB{_SUPPRESSION_OFFSET - _SEVERITY_OFFSET - 1}xH{RECORD.size - _SUPPRESSION_OFFSET - 2}x"
).iter_unpack


def _ranks(values: list[Any]) -> list[int]:
    """Each value's rank among the distinct values (equal values, equal ranks)."""
    ranked = {value: rank for rank, value in enumerate(sorted(set(values)))}
    return [ranked[value] for value in values]


def _numbers(values: list[Hashable]) -> list[int]:
    """Each value numbered, equal values alike (in the order first seen)."""
    numbered: dict[Hashable, int] = {}
    return [numbered.setdefault(value, len(numbered)) for value in values]


def _gathered(records: bytearray, starts: Iterable[int]) -> bytearray:
    """The records starting at `starts`, in that order, copied into one new bytearray: joining a
    bytes object per record made, at 200,000 findings, 17 MiB of them and a 10 MiB bytes copy
    besides the result, at the scan's last peak."""
    size = RECORD.size
    gathered = bytearray()
    with memoryview(records) as view:
        for start in starts:
            gathered += view[start : start + size]
    return gathered


def _line(fields: tuple[Any, ...], extras: list[Any]) -> int:
    """A record's line, 0 for none (as the scan's sort key has it)."""
    if fields[2] & _HAS_POSITION:
        return int(fields[9])
    extra = extras[fields[11]] if fields[11] else None
    return extra[0].line if extra is not None and extra[0] is not None else 0


class _Interned:
    """Objects kept once each, by value, numbered in the order first seen (0 may be None)."""

    __slots__ = ("items", "numbers")

    def __init__(self, none_first: bool) -> None:
        self.items: list[Any] = [None] if none_first else []
        self.numbers: dict[Any, int] = {}

    def number(self, item: Any) -> int:
        if item is None:
            return 0
        number = self.numbers.get(item)
        if number is None:
            number = self.numbers[item] = len(self.items)
            self.items.append(item)
        return number


class _ByIdentity(_Interned):
    """Objects kept once each, by identity: rules and resources (many findings share one)."""

    __slots__ = ()

    def number(self, item: Any) -> int:
        number = self.numbers.get(id(item))
        if number is None:
            # The list holds the object, so its id is not reused while the table lives.
            number = self.numbers[id(item)] = len(self.items)
            self.items.append(item)
        return number


class _Tables:
    """What a store's records point into; shared by the stores made from one another."""

    __slots__ = (
        "containers",
        "extras",
        "messages",
        "paths",
        "policies",
        "resources",
        "rules",
        "severities",
        "suppressions",
    )

    def __init__(self) -> None:
        self.rules = _ByIdentity(none_first=False)
        self.severities = _Interned(none_first=False)
        self.messages = _Interned(none_first=False)
        self.resources = _ByIdentity(none_first=False)
        self.paths = _Interned(none_first=False)
        self.containers = _Interned(none_first=True)
        self.suppressions = _Interned(none_first=True)
        self.policies = _Interned(none_first=True)
        # (position, steps, fingerprint) of findings whose record cannot hold them; 0 is none.
        self.extras: list[tuple[Position | None, tuple[Step, ...], str | None] | None] = [None]


class FindingStore(Sequence[Finding]):
    """Findings in the order added, as compact records (see the module's docstring). Indexing and
    iterating make a new, equal Finding each time: compare findings by value, never by identity."""

    __slots__ = ("_records", "_tables")

    def __init__(self, findings: Iterable[Finding] = (), *, tables: _Tables | None = None) -> None:
        self._tables = tables if tables is not None else _Tables()
        self._records = bytearray()
        self.extend(findings)

    def derived(self) -> FindingStore:
        """An empty store sharing this one's tables (adding its findings to it is cheap)."""
        return FindingStore(tables=self._tables)

    def append(self, finding: Finding) -> None:
        self._records += self._record(finding)

    def extend(self, findings: Iterable[Finding]) -> None:
        if isinstance(findings, FindingStore) and findings._tables is self._tables:
            self._records += findings._records
            return
        record, records = self._record, self._records
        for finding in findings:  # one record at a time, not a list of them joined
            records += record(finding)

    def __len__(self) -> int:
        return len(self._records) // RECORD.size

    @overload
    def __getitem__(self, index: int) -> Finding: ...

    @overload
    def __getitem__(self, index: slice) -> FindingStore: ...

    def __getitem__(self, index: int | slice) -> Finding | FindingStore:
        if isinstance(index, slice):
            part = self.derived()
            part._records = _gathered(self._records, (i * RECORD.size for i in range(*index.indices(len(self)))))
            return part
        count = len(self)
        if index < 0:
            index += count
        if not 0 <= index < count:
            raise IndexError("finding index out of range")
        return self._finding(RECORD.unpack_from(self._records, index * RECORD.size))

    def __iter__(self) -> Iterator[Finding]:
        finding = self._maker()
        for fields in RECORD.iter_unpack(self._records):
            yield finding(fields)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FindingStore):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        if isinstance(other, list | tuple):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, as a list

    def __repr__(self) -> str:
        return f"FindingStore({list(self)!r})"

    def active(self) -> FindingStore:
        """The findings not suppressed, read off the records without making any finding."""
        kept = self.derived()
        size, records = RECORD.size, self._records
        kept._records = _gathered(
            records,
            (
                start
                for start in range(0, len(records), size)
                if not _SUPPRESSION.unpack_from(records, start + _SUPPRESSION_OFFSET)[0]
            ),
        )
        return kept

    def where(self, keep: Callable[[Finding], bool]) -> FindingStore:
        """The findings `keep` accepts, in order."""
        kept = self.derived()
        kept._records = _gathered(self._records, (i * RECORD.size for i, finding in enumerate(self) if keep(finding)))
        return kept

    def without(self, indexes: set[int]) -> FindingStore:
        """This store less the findings at `indexes`, in order."""
        kept = self.derived()
        size = RECORD.size
        kept._records = _gathered(self._records, (i * size for i in range(len(self)) if i not in indexes))
        return kept

    def sorted_by(self, key: Callable[[Finding], Any]) -> FindingStore:
        """This store in the order of `key` (stable), each finding made once to compute its key."""
        keys = [key(finding) for finding in self]
        order = sorted(range(len(keys)), key=keys.__getitem__)
        del keys
        ordered = self.derived()
        ordered._records = _gathered(self._records, (i * RECORD.size for i in order))
        return ordered

    def deduplicated(self, resource_key: Callable[[Resource], Hashable]) -> FindingStore:
        """The first finding of each rule (by id) at each path of each resource (equal by
        `resource_key`), in order: told apart by numbers off the records, not by key tuples."""
        tables = self._tables
        rule_ids = _numbers([rule.id for rule in tables.rules.items])
        resources = _numbers([resource_key(resource) for resource in tables.resources.items])
        rules, paths = len(tables.rules.items), len(tables.paths.items)
        kept = self.derived()
        size, records, count = RECORD.size, self._records, len(self)
        # One list of integers, each a finding's key packed with its index, sorted: the first of
        # each key's run is the finding kept. A set of the keys took half as much again.
        keys = [
            ((resources[fields[4]] * rules + rule_ids[fields[0]]) * paths + fields[5]) * count + number
            for number, fields in enumerate(RECORD.iter_unpack(records))
        ]
        keys.sort()
        previous = -1
        for at, packed in enumerate(keys):
            key, number = divmod(packed, count)
            keys[at] = number if key != previous else count  # count: dropped, sorts last
            previous = key
        keys.sort()
        kept._records = _gathered(records, (number * size for number in keys if number < count))
        return kept

    def sorted_by_ranks(
        self,
        before_line: Callable[[Resource], Any],
        after_line: Callable[[Resource], Any],
        path_key: Callable[[Path], Any],
    ) -> FindingStore:
        """Sorted (stably) by (before_line(resource), line or 0, after_line(resource), rule id,
        path_key(path)), with each of those replaced by its rank among the values the store's
        tables hold, so that a finding's key is one integer, not a tuple of new strings."""
        tables = self._tables
        extras = tables.extras
        before = _ranks([before_line(resource) for resource in tables.resources.items])
        after = _ranks([after_line(resource) for resource in tables.resources.items])
        rule_ids = _ranks([rule.id for rule in tables.rules.items])
        path_ranks = _ranks([path_key(path) for path in tables.paths.items])
        line_count = max((_line(fields, extras) for fields in RECORD.iter_unpack(self._records)), default=0) + 1
        after_count, rule_count, path_count, count = (
            max(after, default=0) + 1,
            max(rule_ids, default=0) + 1,
            len(path_ranks) + 1,
            len(self),
        )
        # Each key packed with its index, so that one list of integers is sorted (a list of keys
        # and the sorted list of indexes besides took twice as much).
        keys = [
            (
                (
                    ((before[fields[4]] * line_count + _line(fields, extras)) * after_count + after[fields[4]])
                    * rule_count
                    + rule_ids[fields[0]]
                )
                * path_count
                + path_ranks[fields[5]]
            )
            * count
            + number
            for number, fields in enumerate(RECORD.iter_unpack(self._records))
        ]
        keys.sort()
        ordered = self.derived()
        ordered._records = _gathered(self._records, (packed % count * RECORD.size for packed in keys))
        return ordered

    def by_rule(self) -> dict[str, FindingStore]:
        """The findings of each rule (by id), in order, as stores: grouped off the records."""
        size, records = RECORD.size, self._records
        ids = [rule.id for rule in self._tables.rules.items]  # two RuleMetas may share an id
        groups: dict[str, list[int]] = {}
        for start in range(0, len(records), size):
            groups.setdefault(ids[_RULE.unpack_from(records, start)[0]], []).append(start)
        split: dict[str, FindingStore] = {}
        for rule_id, starts in groups.items():
            part = split[rule_id] = self.derived()
            part._records = _gathered(records, starts)
        return split

    def placed(self, resource_key: Callable[[Resource], Hashable]) -> Sequence[tuple[str, int, int, int]]:
        """(rule id, resource, path, severity rank) of each finding, in order, read off the records
        without making a finding: resources equal by `resource_key`, and equal paths, have equal
        numbers. Each tuple is made as it is asked for (a list of them took 20 MiB at 200,000
        findings, at the scan's last peak)."""
        tables = self._tables
        return _Placed(
            self._records,
            [rule.id for rule in tables.rules.items],
            _numbers([resource_key(resource) for resource in tables.resources.items]),
            [severity.rank for severity in tables.severities.items],
        )

    def resource_order(self, key: Callable[[Resource], Any]) -> list[int]:
        """The findings' indexes ordered (stably) by `key` of their resources, asked once per
        resource: what a pass that visits resources file by file follows."""
        numbers = [number for (number,) in _RESOURCE_FIELD_ITER(self._records)]
        items = self._tables.resources.items
        present = sorted(set(numbers))
        ranks = dict(zip(present, _ranks([key(items[number]) for number in present]), strict=True))
        ordered = [ranks[number] for number in numbers]
        del numbers
        return sorted(range(len(ordered)), key=ordered.__getitem__)

    def put(self, index: int, finding: Finding) -> None:
        """Replace the finding at `index` (e.g. with its located copy). An attack path's steps the
        record kept aside are replaced too, not left behind in the shared tables."""
        start = index * RECORD.size
        old_extra = RECORD.unpack_from(self._records, start)[11]
        record = self._record(finding, reuse_extra=old_extra)
        self._records[start : start + RECORD.size] = record

    def placements(self) -> Iterator[tuple[Resource, str, int, int, Position | None]]:
        """(resource, rule id, line, column, position) of each finding, in order, off the records:
        line and column 0 for none; the position only when it names another file or the line
        that printed it (else None: the record holds its line and column)."""
        tables = self._tables
        resources, extras = tables.resources.items, tables.extras
        rule_ids = [rule.id for rule in tables.rules.items]
        for rule, flags, resource, line, column, extra in _PLACEMENT_ITER(self._records):
            position = extras[extra][0] if extra else None
            if position is not None:
                line, column = position.line, position.column
            elif not flags & _HAS_POSITION:
                line = column = 0
            yield resources[resource], rule_ids[rule], line, column, position

    def repeated_fingerprints(self) -> set[str]:
        """The fingerprints more than one finding has, told apart by the records' raw bytes: a
        sorted list of 8-byte prefixes, then the few findings whose prefix repeats (a Counter of
        every fingerprint's string took 20 MiB at 200,000 findings)."""
        prefixes = sorted(
            prefix for flags, prefix in _FINGERPRINT_PREFIX_ITER(self._records) if flags & _HEX_FINGERPRINT
        )
        shared = {a for a, b in pairwise(prefixes) if a == b}
        del prefixes
        counts: Counter[str] = Counter()
        extras = self._tables.extras
        for index, (flags, prefix) in enumerate(_FINGERPRINT_PREFIX_ITER(self._records)):
            if flags & _HEX_FINGERPRINT:
                if prefix in shared:
                    counts[self[index].fingerprint] += 1
                continue
            extra = RECORD.unpack_from(self._records, index * RECORD.size)[11]
            counts[extras[extra][2]] += 1
        return {fingerprint for fingerprint, count in counts.items() if count > 1}

    def resources(self) -> list[Resource]:
        """The resources the findings are reported at, each once, in the order first seen."""
        seen = {number for number in (fields[4] for fields in RECORD.iter_unpack(self._records))}
        items = self._tables.resources.items
        return [items[number] for number in sorted(seen)]

    def resources_in_order(self) -> Iterator[Resource]:
        """Each resource the findings are reported at, once, in the order of its first finding
        (as a pass over the findings meets them), read off the records."""
        items = self._tables.resources.items
        seen: set[int] = set()
        for (number,) in _RESOURCE_FIELD_ITER(self._records):
            if number not in seen:
                seen.add(number)
                yield items[number]

    def with_suppressions(
        self, suppression: Callable[[Finding], Suppression | None], may_suppress: Callable[[Resource], bool]
    ) -> FindingStore:
        """This store with each finding that `suppression` gives a suppression (not None) marked
        with it, in order. Only the findings of resources `may_suppress` accepts (asked once per
        resource) are made and asked: the other records are copied as they are, and when no
        finding is marked the records are not copied at all (this store itself is returned)."""
        marked: FindingStore | None = None
        tables = self._tables
        resources = tables.resources.items
        asked: dict[int, bool] = {}
        finding = self._maker()
        for index, fields in enumerate(RECORD.iter_unpack(self._records)):
            number = fields[4]
            candidate = asked.get(number)
            if candidate is None:
                candidate = asked[number] = may_suppress(resources[number])
            if not candidate:
                continue
            found = suppression(finding(fields))
            if found is None:
                continue
            table_number = tables.suppressions.number(found)
            if table_number > _MAX_U16:
                raise OverflowError("more distinct suppressions than a finding record holds")
            if marked is None:
                marked = self.derived()
                marked._records = bytearray(self._records)
            _SUPPRESSION.pack_into(marked._records, index * RECORD.size + _SUPPRESSION_OFFSET, table_number)
        return self if marked is None else marked

    def active_severity_counts(self) -> Counter[Severity]:
        """How many findings not suppressed there are of each severity, read off the records."""
        severities = self._tables.severities.items
        return Counter(
            severities[severity]
            for severity, suppression in _SEVERITY_AND_SUPPRESSION_ITER(self._records)
            if not suppression
        )

    def _record(self, finding: Finding, reuse_extra: int = 0) -> bytes:
        """The finding's record; what does not fit goes to a new slot of the extras table, or
        to slot `reuse_extra` (cleared when nothing needs it)."""
        tables = self._tables
        flags = 0
        position, extra_position = finding.position, None
        line = column = 0
        if position is not None:
            simple = position.file is None and position.via is None
            if simple and position.line <= _MAX_U32 and position.column <= _MAX_U32:
                flags |= _HAS_POSITION
                line, column = position.line, position.column
            else:
                extra_position = position
        fingerprint, raw, extra_fingerprint = finding.fingerprint, b"", None
        if len(fingerprint) == 32:
            try:
                raw = bytes.fromhex(fingerprint)
            except ValueError:
                raw = b""
        if raw and raw.hex() == fingerprint:
            flags |= _HEX_FINGERPRINT
        else:
            raw, extra_fingerprint = b"\0" * 16, fingerprint
        extra = 0
        if extra_position is not None or finding.steps or extra_fingerprint is not None:
            aside = (extra_position, finding.steps, extra_fingerprint)
            if reuse_extra:
                extra, tables.extras[reuse_extra] = reuse_extra, aside
            else:
                extra = len(tables.extras)
                tables.extras.append(aside)
        elif reuse_extra:
            tables.extras[reuse_extra] = None
        suppression = tables.suppressions.number(finding.suppression)
        policy = tables.policies.number(finding.policy_version)
        rule = tables.rules.number(finding.rule)
        if max(suppression, policy, rule) > _MAX_U16:
            raise OverflowError("more distinct rules, suppressions or policy versions than a finding record holds")
        return RECORD.pack(
            rule,
            tables.severities.number(finding.severity),
            flags,
            tables.messages.number(finding.message),
            tables.resources.number(finding.resource),
            tables.paths.number(finding.path),
            tables.containers.number(finding.container),
            suppression,
            policy,
            line,
            column,
            extra,
            raw,
        )

    def _finding(self, fields: tuple[Any, ...]) -> Finding:
        return self._maker()(fields)

    def _maker(self) -> Callable[[tuple[Any, ...]], Finding]:
        """What makes a record's Finding, with the tables it reads bound once (a pass over the
        store makes every finding in turn)."""
        tables = self._tables
        rules, severities, messages = tables.rules.items, tables.severities.items, tables.messages.items
        resources, paths, containers = tables.resources.items, tables.paths.items, tables.containers.items
        suppressions, policies, extras = tables.suppressions.items, tables.policies.items, tables.extras

        def finding(fields: tuple[Any, ...]) -> Finding:
            rule, severity, flags, message, resource, path, container, suppression, policy, line, column, extra, raw = (
                fields
            )
            position: Position | None = _position(line, column) if flags & _HAS_POSITION else None
            steps: tuple[Step, ...] = ()
            fingerprint = raw.hex() if flags & _HEX_FINGERPRINT else ""
            if extra:
                extra_position, steps, extra_fingerprint = extras[extra]
                if extra_position is not None:
                    position = extra_position
                if extra_fingerprint is not None:
                    fingerprint = extra_fingerprint
            return new_finding(
                rules[rule],
                severities[severity],
                messages[message],
                resources[resource],
                paths[path],
                position,
                containers[container],
                policies[policy],
                fingerprint,
                steps,
                suppressions[suppression],
            )

        return finding


# A record's rule, flags, resource, line, column and extra (placements()); its flags and the first
# 8 bytes of its fingerprint (repeated_fingerprints()).
_FLAGS_OFFSET = struct.calcsize("<HB")
_LINE_OFFSET = struct.calcsize("<HBBIIIIHH")
_FINGERPRINT_OFFSET = RECORD.size - 16
_PLACEMENT_ITER = struct.Struct(
    f"<H{_FLAGS_OFFSET - 2}xB{_RESOURCE_OFFSET - _FLAGS_OFFSET - 1}xI{_LINE_OFFSET - _RESOURCE_OFFSET - 4}xIII16x"
).iter_unpack
_FINGERPRINT_PREFIX_ITER = struct.Struct(f"<{_FLAGS_OFFSET}xB{_FINGERPRINT_OFFSET - _FLAGS_OFFSET - 1}xQ8x").iter_unpack

# A record's rule, severity, resource and path, the other bytes skipped.
_PLACE_FIELDS = struct.Struct(f"<HB{_RESOURCE_OFFSET - _SEVERITY_OFFSET - 1}xII{RECORD.size - _RESOURCE_OFFSET - 8}x")


class _Placed(Sequence[tuple[str, int, int, int]]):
    """FindingStore.placed's tuples, each read off its record when asked for."""

    __slots__ = ("_ranks", "_records", "_resources", "_rule_ids")

    def __init__(self, records: bytearray, rule_ids: list[str], resources: list[int], ranks: list[int]) -> None:
        self._records, self._rule_ids, self._resources, self._ranks = records, rule_ids, resources, ranks

    def __len__(self) -> int:
        return len(self._records) // RECORD.size

    @overload
    def __getitem__(self, index: int) -> tuple[str, int, int, int]: ...

    @overload
    def __getitem__(self, index: slice) -> list[tuple[str, int, int, int]]: ...

    def __getitem__(self, index: int | slice) -> tuple[str, int, int, int] | list[tuple[str, int, int, int]]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("finding index out of range")
        return self._placed(_PLACE_FIELDS.unpack_from(self._records, index * RECORD.size))

    def __iter__(self) -> Iterator[tuple[str, int, int, int]]:
        return map(self._placed, _PLACE_FIELDS.iter_unpack(self._records))

    def _placed(self, fields: tuple[int, int, int, int]) -> tuple[str, int, int, int]:
        rule, severity, resource, path = fields
        return (self._rule_ids[rule], self._resources[resource], path, self._ranks[severity])


# A store makes a Finding each time one is read (reports read every finding a few times), with
# new_finding; a Position likewise, its slots set through their descriptors.
_new = object.__new__
_set_line, _set_column, _set_file, _set_via = (slot_setter(Position, name) for name in Position.__slots__)


def _position(line: int, column: int) -> Position:
    """Position(line, column), made as _finding makes a Finding."""
    made = _new(Position)
    _set_line(made, line)
    _set_column(made, column)
    _set_file(made, None)
    _set_via(made, None)
    return made
