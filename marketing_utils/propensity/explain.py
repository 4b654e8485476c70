"""Explanations a business can check: permutation importance, partial dependence, odds ratios.

All three are computed on data the model was not trained on (the test part)
or, for odds ratios, read from a linear model's coefficients.
"""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy.stats.mstats import mquantiles
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.inspection import permutation_importance
from sklearn.metrics import check_scoring
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils import Bunch, check_random_state
from sklearn.utils.random import sample_without_replacement

from .models import limited_threads, resolve_jobs

__all__ = [
    "importance_table",
    "odds_ratios",
    "partial_dependence_table",
    "permutation_importance_table",
]


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

    Notes
    -----
    The numbers are those of :func:`sklearn.inspection.permutation_importance`
    (same rows, same shuffles). For the models of this package (a pipeline,
    calibrated or not, whose first step is the column-wise preprocessing of
    :func:`~marketing_utils.propensity.models.build_preprocessor`) the rows
    are preprocessed once and the shuffles move the preprocessed columns of
    each feature: preprocessing each row on its own, it gives the same
    numbers bit for bit, without preprocessing the table again for every shuffle.
    """
    n_jobs = resolve_jobs(n_jobs)
    rows = min(1.0, max_rows / max(len(X), 1))
    split = _split_columnwise(model, X)
    with limited_threads(n_jobs):
        if split is None:
            result = permutation_importance(
                model, X, np.asarray(y), scoring=scoring, n_repeats=n_repeats,
                random_state=seed, max_samples=rows, n_jobs=n_jobs,
            )  # fmt: skip
        else:
            result = _permutation_importance_transformed(
                model, *split, X, np.asarray(y), scoring=scoring, n_repeats=n_repeats,
                random_state=seed, max_samples=rows, n_jobs=n_jobs,
            )  # fmt: skip
    return importance_table(list(X.columns), result)


def importance_table(features: list[str], result) -> pd.DataFrame:
    """``feature, importance_mean, importance_std``, largest first, from a
    :func:`~sklearn.inspection.permutation_importance` result (ties keep feature order)."""
    table = pd.DataFrame(
        {
            "feature": features,
            "importance_mean": result.importances_mean,
            "importance_std": result.importances_std,
        }
    )
    return table.sort_values("importance_mean", ascending=False, kind="stable").reset_index(
        drop=True
    )


def _columnwise_widths(transformer, n_columns: int) -> list[int] | None:
    """Output columns of each input column of a fitted column-wise transformer, or None.

    Column-wise: each output column depends on one input column of the same
    row only (median or constant imputation without indicators, scaling,
    one-hot encoding without dropped or infrequent categories).
    """
    if transformer == "passthrough":
        return [1] * n_columns
    steps = (
        [t for _, t in transformer.steps] if isinstance(transformer, Pipeline) else [transformer]
    )
    widths = [1] * n_columns
    for step in steps:
        if step == "passthrough":
            continue
        if getattr(step, "n_features_in_", None) != n_columns:
            return None  # e.g. an imputer that dropped an all-missing column
        if isinstance(step, SimpleImputer) and not step.add_indicator:
            continue
        if isinstance(step, StandardScaler):
            continue
        if (
            isinstance(step, OneHotEncoder)
            and step.drop_idx_ is None
            and not getattr(step, "_infrequent_enabled", True)
            and widths == [1] * n_columns
        ):
            widths = [len(categories) for categories in step.categories_]
            continue
        return None
    return widths


def _split_columnwise(model, X: pd.DataFrame):
    """``(preprocessor, rest, groups)`` of a model that preprocesses column by column, or None.

    ``preprocessor`` is the fitted column-wise first step, ``rest`` the model
    without it (taking the preprocessed matrix), ``groups`` the preprocessed
    columns of each column of ``X``. None for any other model (then
    :func:`permutation_importance_table` shuffles the raw table).
    """
    if not isinstance(X, pd.DataFrame) or not X.columns.is_unique:
        return None
    inner = model
    if isinstance(model, CalibratedClassifierCV):
        classifiers = getattr(model, "calibrated_classifiers_", [])
        if len(classifiers) != 1:
            return None
        inner = classifiers[0].estimator
    if not isinstance(inner, Pipeline) or len(inner.steps) < 2 or inner.memory:
        return None
    preprocessor = inner.steps[0][1]
    if not isinstance(preprocessor, ColumnTransformer) or not hasattr(
        preprocessor, "output_indices_"
    ):
        return None
    if preprocessor.sparse_output_:
        return None  # the shuffles below move the columns of a dense matrix
    position = {name: i for i, name in enumerate(X.columns)}
    groups: list[list[int]] = [[] for _ in X.columns]
    for name, transformer, columns in preprocessor.transformers_:
        if transformer == "drop":
            continue
        if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
            return None  # e.g. the remainder given by position
        if any(c not in position for c in columns):
            return None
        widths = _columnwise_widths(transformer, len(columns))
        output = preprocessor.output_indices_[name]
        if widths is None or sum(widths) != output.stop - output.start:
            return None
        start = output.start
        for column, width in zip(columns, widths, strict=True):
            groups[position[column]].extend(range(start, start + width))
            start += width
    # The model without its preprocessing: a copy whose first step passes the matrix through.
    rest_pipeline = Pipeline([(inner.steps[0][0], "passthrough"), *inner.steps[1:]])
    if inner is model:
        return preprocessor, rest_pipeline, groups
    rest = copy.copy(model)
    calibrated = copy.copy(model.calibrated_classifiers_[0])
    calibrated.estimator = rest_pipeline
    rest.calibrated_classifiers_ = [calibrated]
    return preprocessor, rest, groups


def _shuffled_scores(rest, Z, y, group, random_seed, n_repeats, scorer, subsample) -> np.ndarray:
    """Scores of ``rest`` as one feature's columns of ``Z`` are shuffled ``n_repeats`` times.

    The random draws of scikit-learn's ``_calculate_permutation_scores``: the
    row sample (drawn again from the same seed), then one shuffle per repeat,
    each applied to the already shuffled column.
    """
    random_state = check_random_state(random_seed)
    if subsample:
        sample_without_replacement(subsample[0], subsample[1], random_state=random_state)
    Z = Z.copy()  # never change the caller's matrix
    order = np.arange(Z.shape[0])
    scores = []
    for _ in range(n_repeats):
        random_state.shuffle(order)
        if group:
            Z[:, group] = Z[order][:, group]
        scores.append(scorer(rest, Z, y))
    return np.array(scores)


def _permutation_importance_transformed(
    model, preprocessor, rest, groups, X, y, *, scoring, n_repeats, random_state, max_samples,
    n_jobs,
):  # fmt: skip
    """:func:`sklearn.inspection.permutation_importance` with the rows preprocessed once.

    Bit for bit the same: the baseline is scored by the whole model on every
    row, each feature's shuffles are the same row permutations of its
    preprocessed columns as of its raw column (the preprocessing treats each
    value on its own).
    """
    random_seed = check_random_state(random_state).randint(np.iinfo(np.int32).max + 1)
    n_rows = int(max_samples * X.shape[0])
    scorer = check_scoring(model, scoring=scoring)
    baseline = scorer(model, X, y)
    subsample = None
    if n_rows < X.shape[0]:
        subsample = (X.shape[0], n_rows)
        rows = sample_without_replacement(
            X.shape[0], n_rows, random_state=check_random_state(random_seed)
        )
        X, y = X.iloc[rows], y[rows]
    Z = np.asarray(preprocessor.transform(X))
    scores = Parallel(n_jobs=n_jobs)(
        delayed(_shuffled_scores)(rest, Z, y, group, random_seed, n_repeats, scorer, subsample)
        for group in groups
    )
    importances = baseline - np.array(scores)
    return Bunch(
        importances_mean=np.mean(importances, axis=1),
        importances_std=np.std(importances, axis=1),
        importances=importances,
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

    Notes
    -----
    The grid and the averages are those of
    :func:`sklearn.inspection.partial_dependence` (``method="brute"``,
    ``kind="average"``). scikit-learn predicts once per grid value; here the
    sample is stacked once per grid value and predicted in one call per
    feature (each row's prediction depends on that row only), which spares
    the per-call cost of the pipeline (three quarters of the time on the
    default report's thousand rows).
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
        values = _grid_values(sample[feature], is_categorical, grid_resolution, feature)
        with limited_threads(n_jobs):
            average = _stacked_average(model, sample, feature, values)
        frames.append(
            pd.DataFrame(
                {
                    "feature": feature,
                    "value": [str(v) for v in values] if is_categorical else values.astype(float),
                    "average_probability": average,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _grid_values(
    column: pd.Series, is_categorical: bool, grid_resolution: int, feature: str
) -> np.ndarray:
    """The grid of scikit-learn's ``partial_dependence`` for one column (percentiles 5 and 95):
    the distinct values for a categorical column or one with fewer than ``grid_resolution``
    of them, else ``grid_resolution`` evenly spaced values between the two percentiles."""
    if grid_resolution <= 1:
        raise ValueError(f"grid_resolution must be at least 2, got {grid_resolution}")
    values = column.to_numpy()
    try:
        uniques = np.unique(values)
    except TypeError as error:
        raise ValueError(
            f"partial dependence: column {feature!r} mixes types (e.g. text and missing "
            "values), so its values cannot be sorted into a grid"
        ) from error
    if is_categorical or uniques.shape[0] < grid_resolution:
        return uniques
    low, high = mquantiles(values, prob=(0.05, 0.95), axis=0)
    if np.allclose(low, high):
        raise ValueError(
            f"partial dependence: the 5th and 95th percentiles of {feature!r} are equal "
            f"({low:g}), so it has no range to draw"
        )
    return np.linspace(low, high, num=grid_resolution, endpoint=True)


#: Rows predicted at once by :func:`partial_dependence_table` (grid values are stacked up to
#: it): a dense one-hot pipeline on a category with hundreds of values stays within memory.
STACKED_ROWS = 20_000


def _stacked_average(model, sample: pd.DataFrame, feature: str, values: np.ndarray) -> np.ndarray:
    """The mean predicted probability of the positive class over ``sample`` with ``feature``
    set to each of ``values``: stacked copies of ``sample``, at most :data:`STACKED_ROWS`
    rows (and at least one copy) per prediction."""
    n_rows = len(sample)
    position = sample.columns.get_loc(feature)
    per_call = max(1, STACKED_ROWS // max(n_rows, 1))
    averages = []
    for start in range(0, len(values), per_call):
        chunk = values[start : start + per_call]
        stacked = pd.concat([sample] * len(chunk), ignore_index=True)
        with warnings.catch_warnings():
            # As scikit-learn's assignment: a text value set into a categorical column warns.
            warnings.simplefilter("ignore", FutureWarning)
            stacked.iloc[:, position] = np.repeat(chunk, n_rows)
        probability = model.predict_proba(stacked)[:, 1]
        averages.append(probability.reshape(len(chunk), n_rows).mean(axis=1))
    return np.concatenate(averages)


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
