"""skops round trip of a calibrated pipeline, and refusal of files with types off the allow-list."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from marketing_utils.errors import WorkbookError
from marketing_utils.model_io import (
    TRUSTED_TYPES,
    UntrustedModelError,
    load_model,
    save_model,
    untrusted_types,
)
from marketing_utils.propensity.calibration import fit_calibrated
from marketing_utils.propensity.data import prepare_model_data
from marketing_utils.propensity.models import build_pipeline


def _shift(values):
    return np.asarray(values) + 1.0


def _fitted(family: str):
    rng = np.random.default_rng(0)
    n = 300
    table = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(n)],
            "x": rng.normal(size=n),
            "region": pd.Series(rng.choice(["n", "s", None], n), dtype="str"),
        }
    )
    table["label"] = (rng.random(n) < 1 / (1 + np.exp(-2 * table["x"]))).astype(int)
    prepared = prepare_model_data(table, cv_folds=3)
    X, y = prepared.part("train")
    model = fit_calibrated(build_pipeline(prepared.spec, family), X, y, cv_folds=3)
    return model, prepared.part("test")[0]


@pytest.mark.parametrize("family", ["hist_gradient_boosting", "random_forest", "logistic"])
def test_round_trip_gives_identical_scores(tmp_path, family):
    model, X_test = _fitted(family)
    path = tmp_path / "model.skops"
    found = save_model(model, path)
    assert set(found) <= set(TRUSTED_TYPES)
    assert found == untrusted_types(path)
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded.predict_proba(X_test), model.predict_proba(X_test))
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary file left behind


def test_file_with_a_type_off_the_allow_list_is_refused(tmp_path):
    model = make_pipeline(FunctionTransformer(_shift), LogisticRegression())
    model.fit(np.array([[0.0], [1.0], [2.0], [3.0]]), [0, 0, 1, 1])
    path = tmp_path / "foreign.skops"
    sio.dump(model, path)  # written by someone else, not through save_model
    with pytest.raises(UntrustedModelError) as error:
        load_model(path)
    message = str(error.value)
    assert "test_model_io._shift" in message
    assert "The file was not loaded" in message
    assert isinstance(error.value, WorkbookError)
    # The workbook's error alone: skops' own refusal is not chained in front of it.
    assert error.value.__context__ is None and error.value.__cause__ is None
    # A caller who trusts the file can allow the extra type explicitly.
    loaded = load_model(path, trusted=[*TRUSTED_TYPES, *untrusted_types(path)])
    assert loaded.predict([[3.0]]).tolist() == [1]


def test_trusted_types_are_names_not_classes(tmp_path):
    model = make_pipeline(FunctionTransformer(_shift), LogisticRegression())
    model.fit(np.array([[0.0], [1.0], [2.0], [3.0]]), [0, 0, 1, 1])
    path = tmp_path / "foreign.skops"
    sio.dump(model, path)
    # A class would be trusted by skops but not by the allow-list check: refused up front.
    with pytest.raises(TypeError, match="trusted: expected type names as strings"):
        load_model(path, trusted=[*TRUSTED_TYPES, FunctionTransformer])


def test_save_refuses_a_model_it_could_not_load_back(tmp_path):
    model = make_pipeline(FunctionTransformer(_shift), LogisticRegression())
    model.fit(np.array([[0.0], [1.0], [2.0], [3.0]]), [0, 0, 1, 1])
    path = tmp_path / "model.skops"
    with pytest.raises(UntrustedModelError, match="_shift"):
        save_model(model, path)
    assert not path.exists() and not list(tmp_path.iterdir())


def test_missing_file_names_the_notebook_that_writes_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="03_propensity_modeling saves 'propensity_model'"):
        load_model(tmp_path / "absent.skops")
