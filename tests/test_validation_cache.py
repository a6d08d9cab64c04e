"""The record of rule, data and config content already validated (kubeaudit/validation_cache.py):
it spares the validator only for exactly the content that passed, and a record that is missing,
broken or not a file is ignored and rebuilt, never an error."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from kubeaudit.engine.loader import RuleError, load_rules
from kubeaudit.validation_cache import FILE_NAME, MAX_ENTRIES, ValidationCache, validation_cache
from tests.engine.test_loader import GOOD_RULE, write_rule


def _recorded(cache_dir: Path) -> list[str]:
    keys: list[str] = json.loads((cache_dir / FILE_NAME).read_text())["keys"]
    return keys


def test_a_rule_that_passed_is_validated_again_once_its_content_changes(tmp_path: Path, cache_dir: Path) -> None:
    rules = tmp_path / "rules"
    path = write_rule(rules, "no-latest-tag")
    load_rules([rules])
    assert len(_recorded(cache_dir)) > 1  # the built-in rules and the user's one
    path.write_text(GOOD_RULE.format(id="no-latest-tag").replace("severity: low", "severity: hgh"))
    with pytest.raises(RuleError, match=r"no-latest-tag\.yaml:3: severity: 'hgh' is not one of"):
        load_rules([rules])


def test_only_content_that_passed_is_recorded(tmp_path: Path, cache_dir: Path) -> None:
    rules = tmp_path / "rules"
    load_rules()
    before = set(_recorded(cache_dir))
    write_rule(rules, "no-latest-tag", GOOD_RULE.format(id="no-latest-tag").replace("title: No latest tag\n", ""))
    for _ in range(2):  # the second time the same error again: a failure is never remembered
        with pytest.raises(RuleError, match="'title' is a required property"):
            load_rules([rules])
    assert set(_recorded(cache_dir)) == before


@pytest.mark.parametrize(
    "record",
    [b"not json {", b'{"format": 99, "keys": ["x"]}', b'{"format": 1, "keys": "abc"}', b"[]", b"\xff\xfe"],
)
def test_a_broken_record_is_ignored_and_rebuilt(cache_dir: Path, record: bytes) -> None:
    cache_dir.mkdir()
    (cache_dir / FILE_NAME).write_bytes(record)
    assert len(load_rules()) > 50
    assert len(_recorded(cache_dir)) > 50


def test_a_record_too_big_to_be_ours_is_not_read(cache_dir: Path) -> None:
    cache_dir.mkdir()
    (cache_dir / FILE_NAME).write_text(json.dumps({"format": 1, "keys": ["k" * 64] * 20_000}))
    assert "k" * 64 not in ValidationCache(cache_dir)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are a POSIX thing")
def test_a_named_pipe_in_place_of_the_record_does_not_hang(cache_dir: Path) -> None:
    cache_dir.mkdir()
    os.mkfifo(cache_dir / FILE_NAME)
    loaded: list[int] = []
    worker = threading.Thread(target=lambda: loaded.append(len(load_rules())), daemon=True)
    worker.start()
    worker.join(timeout=30)
    assert loaded and loaded[0] > 50
    assert (cache_dir / FILE_NAME).is_file()  # replaced by a record


def test_a_cache_folder_that_cannot_be_written_is_not_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("KUBEAUDIT_CACHE_DIR", str(blocker / "cache"))  # its parent is a file
    assert len(load_rules()) > 50


def test_no_cache_setting_reads_and_writes_nothing(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBEAUDIT_NO_CACHE", "1")
    load_rules()
    assert not cache_dir.exists()


def test_the_key_tells_apart_schemas_and_value_types(cache_dir: Path) -> None:
    cache = validation_cache()
    keys = {
        cache.key("{}", {"a": 1}),
        cache.key("{}", {"a": 1.0}),
        cache.key("{}", {"a": "1"}),
        cache.key("{}", {"a": True}),
        cache.key('{"type": "object"}', {"a": 1}),
    }
    assert len(keys) == 5


def test_the_record_keeps_the_newest_entries_within_its_bound(cache_dir: Path) -> None:
    cache = ValidationCache(cache_dir)
    for index in range(MAX_ENTRIES + 10):
        cache.add(f"key-{index}")
    cache.save()
    kept = ValidationCache(cache_dir)
    assert f"key-{MAX_ENTRIES + 9}" in kept and "key-9" not in kept and "key-10" in kept
