"""The compact position store (issue 15): what it keeps is exactly what the accessors give back."""

from __future__ import annotations

import copy
import pickle

import pytest

from ghlops.errors import SourcePos
from ghlops.manifest.positions import PosDict, PosList
from ghlops.manifest.yaml_io import load_text


def test_containers_have_no_instance_dict() -> None:
    with pytest.raises(AttributeError):
        PosDict().extra = 1  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        PosList().extra = 1  # type: ignore[attr-defined]


def test_every_mix_of_packed_positions_sourcepos_and_none_comes_back_as_set() -> None:
    data = PosDict(pos=SourcePos("a.yaml", 1, 1))
    data._file = "a.yaml"
    at = SourcePos("t.yaml", 7, 3)
    data.set_packed("both", 1, 2 << 24 | 3, 2 << 24 | 9)
    data.set_packed("no-key", 2, None, 3 << 24 | 5)
    data.set_packed("key-as-pos", 3, at, 4 << 24 | 1)
    data.set_with_pos("value-only", 4, None, at)
    data.set_with_pos("key-only", 5, at, None)
    data.set_with_pos("none", 6, None, None)
    huge = (1 << 30) << 24 | 2  # a line past what fits beside another position in one int
    data.set_packed("huge", 7, 1 << 24 | 1, huge)
    assert [(data.key_pos(k), data.value_pos(k)) for k in data] == [
        (SourcePos("a.yaml", 2, 3), SourcePos("a.yaml", 2, 9)),
        (None, SourcePos("a.yaml", 3, 5)),
        (at, SourcePos("a.yaml", 4, 1)),
        (None, at),
        (at, None),
        (None, None),
        (SourcePos("a.yaml", 1, 1), SourcePos("a.yaml", 1 << 30, 2)),
    ]
    for clone in (copy.deepcopy(data), pickle.loads(pickle.dumps(data)), data.copy()):
        assert [(clone.key_pos(k), clone.value_pos(k)) for k in clone] == [
            (data.key_pos(k), data.value_pos(k)) for k in data
        ]
    data.set_pos("both", key_pos=None, value_pos=None)
    del data["no-key"]
    assert (data.key_pos("both"), data.value_pos("both"), data.value_pos("no-key")) == (None, None, None)


def test_sources_are_not_carried_by_pickles_or_copies() -> None:
    docs, errors = load_text("a: {b: 1}\n", "m.yaml")
    assert errors == []
    data = docs[0].data
    assert isinstance(data, PosDict)
    data.sources = [(None, ("a",))]
    assert pickle.loads(pickle.dumps(data)).sources is None
    assert data.copy().sources is None
    assert copy.deepcopy(data).sources is None


def test_loaded_keys_and_plain_strings_are_one_object_across_documents() -> None:
    first = load_text("spec: {dataType: TEXT}\n", "a.yaml")[0][0].data
    second = load_text("spec: {dataType: TEXT}\n", "b.yaml")[0][0].data
    (key_a,), (key_b,) = first["spec"].keys(), second["spec"].keys()
    assert key_a is key_b
    assert first["spec"]["dataType"] is second["spec"]["dataType"]
