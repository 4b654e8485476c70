"""Development-only reference: the uplift metrics against scikit-uplift on Hillstrom.

scikit-uplift is abandoned and never a dependency of the workbook: this test
skips when it (or the Hillstrom file) is absent. The metrics' own tests are the
hand-worked cases in test_uplift_metrics.py.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from marketing_utils.uplift.metrics import qini_coefficient, uplift_auc_score

sklift_metrics = pytest.importorskip("sklift.metrics", reason="scikit-uplift is not installed")


@pytest.fixture(scope="module")
def womens_email_scores():
    folder = os.environ.get("WORKBOOK_DATASETS_DIR")
    path = Path(folder or "") / "hillstrom.csv"
    if not folder or not path.is_file():
        pytest.skip("hillstrom.csv not found under WORKBOOK_DATASETS_DIR")
    data = pd.read_csv(path)
    data = data[data["segment"].isin(["Womens E-Mail", "No E-Mail"])]
    features = pd.get_dummies(
        data[["recency", "history", "mens", "womens", "newbie", "zip_code", "channel"]],
        columns=["zip_code", "channel"],
        dtype=float,
    )
    features[["recency", "history"]] = np.log1p(features[["recency", "history"]])
    y = data["visit"].to_numpy()
    t = (data["segment"] == "Womens E-Mail").to_numpy().astype(int)
    # Two-model uplift: P(visit | treated) - P(visit | control).
    treated = LogisticRegression(max_iter=1000).fit(features[t == 1], y[t == 1])
    control = LogisticRegression(max_iter=1000).fit(features[t == 0], y[t == 0])
    score = treated.predict_proba(features)[:, 1] - control.predict_proba(features)[:, 1]
    return y, score, t


def test_uplift_auc_matches_scikit_uplift_on_hillstrom(womens_email_scores):
    y, score, t = womens_email_scores
    ours = uplift_auc_score(y, score, t)
    assert ours == pytest.approx(sklift_metrics.uplift_auc_score(y, score, t), rel=1e-9)
    assert 0 < ours < 1
    # The maximal ranking scores exactly 1 (it scored 3.22 with the Qini-style normalization).
    perfect = 2 * (y == t) + t
    assert uplift_auc_score(y, perfect, t) == pytest.approx(1.0)


def test_qini_matches_scikit_uplift_on_hillstrom(womens_email_scores):
    y, score, t = womens_email_scores
    assert qini_coefficient(y, score, t) == pytest.approx(
        sklift_metrics.qini_auc_score(y, score, t), rel=1e-9
    )
