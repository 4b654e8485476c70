"""The params file's YAML: duplicate keys and alias bombs refused (issue 15)."""

from __future__ import annotations

import time

import pytest
import yaml

from marketing_utils.errors import ParamsError
from marketing_utils.params import load_params
from marketing_utils.params.yaml_loader import MAX_VALUES, ParamsYamlError, load_params_yaml


def test_duplicate_keys_are_refused_with_both_lines():
    with pytest.raises(ParamsYamlError) as info:
        load_params_yaml("run_name: a\nseed: 1\ndata:\n  seed: 3\nseed: 2\n")
    assert str(info.value) == (
        "line 5, column 1: duplicate key 'seed' (first at line 2); expected each key once in a "
        "mapping, found it twice"
    )


def test_nested_duplicate_keys_are_refused_too():
    with pytest.raises(ParamsYamlError, match="line 3, column 3: duplicate key 'path'"):
        load_params_yaml("data:\n  path: a.csv\n  path: b.csv\n")


def test_merge_keys_and_plain_aliases_still_load():
    text = "base: &b {k_max: 4, seed: 1}\nsegmentation:\n  <<: *b\n  seed: 2\nlist: [*b, *b]\n"
    loaded = load_params_yaml(text)
    assert loaded["segmentation"] == {"k_max": 4, "seed": 2}
    assert loaded["list"] == [{"k_max": 4, "seed": 1}] * 2
    assert load_params_yaml("") is None


def test_an_alias_bomb_is_refused_in_well_under_a_second():
    levels = ['&a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        levels.append(f"&{name} [{','.join([f'*{previous}'] * 9)}]")
    text = f"segmentation:\n  features: [{', '.join(levels)}]\n"
    assert len(text.encode()) < 500
    tic = time.perf_counter()
    with pytest.raises(ParamsYamlError, match=f"expected at most {MAX_VALUES:,} values"):
        load_params_yaml(text)
    assert time.perf_counter() - tic < 1.0
    # Three levels (9**3 strings) are far below the cap and load as plain lists.
    small = "x: " + "[" + ", ".join(levels[:3]) + "]\n"
    assert len(load_params_yaml(small)["x"][2]) == 9


def test_the_loader_agrees_with_safe_load_on_ordinary_files():
    text = (
        "run_name: r\nseed: 3\ndata: {source: synthetic, start: 2024-01-01}\nxs: [1, 2.5, null]\n"
    )
    assert load_params_yaml(text) == yaml.safe_load(text)


def test_an_unreadable_params_file_is_a_params_error(tmp_path, monkeypatch):
    path = tmp_path / "params.yaml"
    path.write_text("run_name: r\n", encoding="utf-8")

    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(type(path), "read_text", refuse)
    with pytest.raises(ParamsError) as info:
        load_params(path)
    assert str(info.value) == (
        f"{path}: invalid params\n"
        "  - expected a params file this user can read, found no read permission"
    )
