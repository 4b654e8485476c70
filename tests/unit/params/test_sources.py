import pytest
from pydantic import ValidationError

from marketing_utils.params.sources import DATA_SOURCES, expand_path


def test_expand_path_variables_defaults_and_base(tmp_path, monkeypatch):
    monkeypatch.setenv("WB_TEST_DIR", str(tmp_path))
    monkeypatch.delenv("WB_TEST_UNSET", raising=False)
    assert expand_path("${WB_TEST_DIR}/a.csv") == tmp_path / "a.csv"
    assert expand_path("${WB_TEST_UNSET:-sub}/b.csv", base=tmp_path) == tmp_path / "sub" / "b.csv"
    assert expand_path("c.csv", base=tmp_path) == tmp_path / "c.csv"
    with pytest.raises(ValueError, match=r"WB_TEST_UNSET is not set \(used in path '\$\{WB"):
        expand_path("${WB_TEST_UNSET}/d.csv")


def test_every_source_is_strict_about_its_keys():
    assert set(DATA_SOURCES) == {"synthetic", "bank_marketing", "hillstrom", "cdnow", "files"}
    synthetic = DATA_SOURCES["synthetic"].model_validate({"source": "synthetic", "n_customers": 50})
    assert synthetic.n_customers == 50
    for name, model in DATA_SOURCES.items():
        with pytest.raises(ValidationError, match="n_customerz"):
            model.model_validate({"source": name, "n_customerz": 5})
