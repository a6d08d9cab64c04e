"""The fast indented JSON writer (kubeaudit/report/jsontext.py) writes exactly what
`json.dumps(value, indent=2)` writes, for any JSON document and for the reports' own oddities."""

from __future__ import annotations

import io
import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubeaudit.report import jsontext

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
keys = st.text() | st.integers() | st.floats(allow_nan=False) | st.booleans() | st.none()
documents = st.recursive(
    scalars,
    lambda children: st.lists(children) | st.dictionaries(keys, children) | st.tuples(children, children),
    max_leaves=40,
)


def _written(value: Any, streamed_levels: int) -> str:
    stream = io.StringIO()
    jsontext.dump(value, stream, streamed_levels=streamed_levels)
    return stream.getvalue()


@settings(max_examples=300, deadline=None)
@given(documents, st.integers(min_value=0, max_value=4))
def test_the_writer_matches_the_standard_library_byte_for_byte(value: Any, streamed_levels: int) -> None:
    expected = json.dumps(value, indent=2)
    assert jsontext.dumps(value) == expected
    assert _written(value, streamed_levels) == expected


@pytest.mark.parametrize(
    "value",
    [
        {"nan": math.nan, "inf": math.inf, "minus": -math.inf, "zero": -0.0},
        {"é": 'snowman \u2603, line\u2028separator, \x00 nul, "quoted" \\ back', "emoji": "\U0001f600"},
        {2: "int key", 1.5: "float key", True: "bool key", None: "null key"},
        {"deep": {"a": [[], {}, [{}], {"b": [1, [2, [3]]]}]}},
        {"big": 10**40, "neg": -7, "bool": [True, False]},
        [{"same": "text"}, {"same": "text"}],  # a remembered string, written twice
    ],
)
def test_report_oddities_are_written_as_json_writes_them(value: Any) -> None:
    assert jsontext.dumps(value) == json.dumps(value, indent=2)
    assert _written(value, 3) == json.dumps(value, indent=2)


def test_what_json_cannot_encode_is_refused_as_json_refuses_it() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        jsontext.dumps({"a": {1, 2}})
    with pytest.raises(TypeError, match="keys must be"):
        jsontext.dumps({"a": {(1, 2): 3}})


plain_documents = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=40,
)


def _items_written(items: list[Any], streamed_levels: int) -> str:
    stream = io.StringIO()
    jsontext.dump({"findings": jsontext.Items(items, plain=True)}, stream, streamed_levels=streamed_levels)
    return stream.getvalue()


@settings(max_examples=300, deadline=None)
@given(st.lists(plain_documents, max_size=4), st.integers(min_value=1, max_value=3))
def test_plain_items_are_written_as_json_writes_them(items: list[Any], streamed_levels: int) -> None:
    # Plain items go through the C encoder: any text (non-ASCII, control characters, lone
    # surrogates), integers of any size, nesting, still exactly what json writes.
    assert _items_written(items, streamed_levels) == json.dumps({"findings": items}, indent=2)


@pytest.mark.parametrize(
    "item",
    [
        {"message": "Pod a \u2192 ServiceAccount b \u2192 cluster-admin", "name": "caf\u00e9"},
        {"emoji": "\U0001f600", "del": "\x7f", "controls": "\x00\x1f\n\t", "quote": '"\\'},
        {"lone": "\ud800", "big": 2**70, "small": -(2**63)},
        {"deep": [[[[{"a": [[], {}]}]]]]},
    ],
)
def test_plain_items_with_unusual_text_or_numbers_are_written_as_json_writes_them(item: dict[str, Any]) -> None:
    assert _items_written([item, item], 2) == json.dumps({"findings": [item, item]}, indent=2)
