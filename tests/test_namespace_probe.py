"""The cheap look for Namespace files (what runs before any --jobs worker starts) finds exactly
what a search of the whole file for the pattern finds, so the files read first stay the same."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kubeaudit.sources.manifests import _NAMESPACE_KIND, declares_namespace

# Pieces of the pattern and what breaks it, so that near misses are common.
TOKENS = [b"kind", b"Namespace", b":", b" ", b"\t", b"\n", b'"', b"'", b"-", b",", b"#", b"x", b"{", b"\r\n"]


def _searched(data: bytes) -> bool:
    return b"Namespace" in data and _NAMESPACE_KIND.search(data) is not None


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=40).map(b"".join))
def test_the_look_finds_what_a_whole_file_search_finds(data: bytes) -> None:
    assert declares_namespace(data) == _searched(data)


def test_the_forms_a_manifest_declares_a_namespace_in() -> None:
    found = [
        b"apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n",
        b"items:\n- kind: Namespace  # the team's\n",
        b"items:\n-\n  'kind' :\n  \"Namespace\",\n",
        b'{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}',
        b'[{"kind":\n"Namespace"}]',
    ]
    missed = [
        b"kind: NamespaceList\n",
        b"{apiVersion: v1, kind: Namespace}\n",  # flow style: read among the other files
        b"metadata:\n  kind: x Namespace\n",
        b"kind: Role\nrules: [{resources: [Namespace]}]\n",
    ]
    assert [declares_namespace(data) for data in found] == [_searched(data) for data in found] == [True] * 5
    assert [declares_namespace(data) for data in missed] == [_searched(data) for data in missed] == [False] * 4
