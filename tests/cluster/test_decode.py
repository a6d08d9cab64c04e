"""How the cluster source decodes the API server's answers (orjson, with the standard library
for what orjson refuses): the objects are the same as `json` reads, whatever the answer."""

from __future__ import annotations

import json
import math

import pytest

from kubeaudit.sources.cluster.transport import decode_json


def test_a_list_page_decodes_to_the_objects_json_reads() -> None:
    page = {
        "kind": "PodList",
        "metadata": {"continue": "abc", "remainingItemCount": 3},
        "items": [{"metadata": {"name": "web-1", "labels": {"app": "wéb"}}, "spec": {"replicas": 2, "x": 1.5}}],
    }
    body = json.dumps(page, ensure_ascii=False).encode()
    assert decode_json(body) == json.loads(body) == page
    assert decode_json(bytearray(body)) == page  # the transport reads bodies into a bytearray


def test_answers_orjson_refuses_are_read_as_before() -> None:
    # No real API server sends these, but a broken or hostile one may: not a reason to lose the list.
    assert math.isnan(decode_json(b'{"a": NaN}')["a"])
    assert decode_json(b'{"name": "\\ud800"}') == {"name": "\ud800"}


def test_an_answer_that_is_not_json_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        decode_json(b'{"items": [')
