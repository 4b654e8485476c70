from pathlib import Path

import pytest

from marketing_utils._atomic import atomic_output, temporary_beside


def test_temporary_beside_is_hidden_in_the_targets_folder(tmp_path):
    target = tmp_path / "new" / "out.csv"
    temporary = temporary_beside(target, ".part")
    assert temporary.parent == target.parent
    assert temporary.name.startswith(".out.csv.") and temporary.name.endswith(".part")
    assert temporary.read_bytes() == b""


def test_atomic_output_replaces_only_on_success(tmp_path):
    target = tmp_path / "report.txt"
    target.write_text("last good")
    with pytest.raises(RuntimeError, match="boom"), atomic_output(target) as temporary:
        temporary.write_text("half")
        raise RuntimeError("boom")
    assert target.read_text() == "last good"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.txt"]

    with atomic_output(target) as temporary:
        temporary.write_text("new")
    assert target.read_text() == "new"
    assert sorted(p.name for p in Path(tmp_path).iterdir()) == ["report.txt"]
