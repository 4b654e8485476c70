"""Explanations a business can check: permutation importance, partial dependence, odds ratios.

All three are computed on data the model was not trained on (the test part)
or, for odds ratios, read from a linear model's coefficients.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.inspection import partial_dependence, permutation_importance
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from .models import resolve_jobs

__all__ = ["odds_ratios", "partial_dependence_table", "permutation_importance_table"]


def permutation_importance_table(
    model,
    X: pd.DataFrame,
    y,
    *,
    n_repeats: int = 5,
    max_rows: int = 2000,
    seed: int = 42,
    scoring: str = "roc_auc",
    n_jobs: int = 1,
) -> pd.DataFrame:
    """How much the held-out ROC AUC drops when one feature's values are shuffled.

    Shuffling a column breaks its link with the label while keeping its
    distribution; a large drop means the model relies on the feature. Unlike
    impurity importances it is measured on held-out data and works for any
    model. Correlated features share their importance (shuffling one leaves
    the other), so a low value does not prove a feature is useless.

    Parameters
    ----------
    model : fitted classifier or pipeline taking the raw feature frame
    X, y : held-out features and labels
    n_repeats : int
        Shuffles per feature (mean and standard deviation are reported).
    max_rows : int
        Rows used at most (a seeded sample), to bound the time.
    seed : int
    n_jobs : int or None
        Features shuffled at the same time; 0, -1 or None: every core. The
        table does not depend on it (every feature uses the same seeded shuffles).

    Returns
    -------
    DataFrame
        ``feature, importance_mean, importance_std``, largest first.
    """
    n_jobs = resolve_jobs(n_jobs)
    rows = min(1.0, max_rows / max(len(X), 1))
    with threadpool_limits(limits=max(int(n_jobs), 1)):
        result = permutation_importance(
            model, X, np.asarray(y), scoring=scoring, n_repeats=n_repeats,
            random_state=seed, max_samples=rows, n_jobs=n_jobs,
        )  # fmt: skip
    table = pd.DataFrame(
        {
            "feature": list(X.columns),
            "importance_mean": result.importances_mean,
            "importance_std": result.importances_std,
        }
    )
    return table.sort_values("importance_mean", ascending=False, kind="stable").reset_index(
        drop=True
    )


def partial_dependence_table(
    model,
    X: pd.DataFrame,
    features: list[str],
    *,
    categorical: tuple[str, ...] | list[str] = (),
    grid_resolution: int = 20,
    max_rows: int = 1000,
    seed: int = 42,
    n_jobs: int = 1,
) -> pd.DataFrame:
    """Average predicted probability as one feature is set to each value of a grid.

    For each grid value :math:`v` of feature :math:`j`,
    :math:`\\mathrm{PD}_j(v) = \\frac1n \\sum_i \\hat p(x_i \\text{ with } x_{ij} = v)`:
    the model's answer to "what if everybody had this value", averaged over
    real customers. The grid spans the 5th to 95th percentile (or the
    categories). It shows the direction and shape of an effect, not a causal
    effect.

    Returns
    -------
    DataFrame
        Long format: ``feature, value, average_probability`` (``value`` as text
        for categorical features).
    """
    sample = X.sample(n=max_rows, random_state=seed) if len(X) > max_rows else X
    # scikit-learn refuses integer columns here (grid values would be rounded): use floats.
    integers = [
        c for c in features if c not in categorical and pd.api.types.is_integer_dtype(sample[c])
    ]
    sample = sample.astype({c: float for c in integers})
    frames = []
    for feature in features:
        is_categorical = feature in categorical
        with threadpool_limits(limits=max(int(n_jobs), 1)):
            result = partial_dependence(
                model,
                sample,
                [feature],
                categorical_features=[feature] if is_categorical else None,
                grid_resolution=grid_resolution,
                kind="average",
                method="brute",
                response_method="predict_proba",
            )
        values = result["grid_values"][0]
        frames.append(
            pd.DataFrame(
                {
                    "feature": feature,
                    "value": [str(v) for v in values] if is_categorical else values.astype(float),
                    "average_probability": result["average"][0],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def odds_ratios(pipeline: Pipeline) -> pd.DataFrame:
    r"""Odds ratios of a fitted logistic-regression pipeline.

    With standardized inputs, :math:`e^{\beta_j}` is the factor by which the
    odds :math:`p/(1-p)` of buying change when feature :math:`j` rises by one
    standard deviation, the others held fixed. For one-hot columns it
    compares the category with the (penalized) average of its group.

    Parameters
    ----------
    pipeline : Pipeline
        ``preprocess`` (a fitted ColumnTransformer) then ``model`` (a fitted
        ``LogisticRegression``), as built by ``propensity_models.build_pipeline``.

    Returns
    -------
    DataFrame
        ``feature, coefficient, odds_ratio``, by decreasing absolute coefficient.

    Raises
    ------
    ValueError
        When the pipeline's last step is not a fitted linear model.
    """
    model = pipeline.named_steps.get("model")
    if model is None or not hasattr(model, "coef_"):
        raise ValueError(
            "odds_ratios: expected a fitted pipeline whose 'model' step is a logistic regression, "
            f"found {type(model).__name__}"
        )
    names = pipeline.named_steps["preprocess"].get_feature_names_out()
    coefficients = np.asarray(model.coef_).ravel()
    table = pd.DataFrame(
        {
            "feature": [str(name).split("__", 1)[-1] for name in names],
            "coefficient": coefficients,
            "odds_ratio": np.exp(coefficients),
        }
    )
    order = np.argsort(-np.abs(coefficients), kind="stable")
    return table.iloc[order].reset_index(drop=True)
