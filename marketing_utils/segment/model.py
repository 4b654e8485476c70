"""Stage 02's fitted segmentation, frozen, to give new customers their segments.

Stage 02 learns two things on its customers: the RFM scoring rule (the
quantile edges of recency, frequency and monetary value, and the map from RF
code to segment name) and the clustering (which features, how each was
transformed and scaled, the fitted k-means, and how its clusters are numbered
and named). :class:`SegmentationModel` keeps all of it, and
:func:`assign_segments` applies it to any customer feature table built the
way notebook 01 builds them: the training customers get exactly the segments
stage 02 gave them, and new customers are scored against the training
population's edges, not ranked among themselves.

Scores of new values
--------------------
A score rule lists the values at which the score changes (``cuts``, values of
the training customers) and the score of each interval. When higher is better
(frequency, money) a value at or above a cut gets the score that starts at
that cut; when lower is better (recency, in days) a value at or below a cut
gets the score that ends at that cut. So a training value always gets its
training score, a value between two training values gets the lower (worse)
of their two scores, and values beyond the training range get the top or
bottom score.

Saving (see :mod:`~marketing_utils.segment.io`): the k-means as a skops
file, loaded through the allow-list of :mod:`~marketing_utils.model_io`;
everything else as JSON.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataValidationError
from .features import FeatureMatrix, checked_numbers
from .rfm import DEFAULT_SEGMENT_MAP, assign_rfm_segments

__all__ = [
    "TRANSFORMS",
    "ClusterRule",
    "RFMRule",
    "ScoreRule",
    "SegmentationModel",
    "assign_segments",
    "build_segmentation_model",
    "cluster_matrix",
    "score_rule",
]

ID = "customer_id"
#: Transforms a clustering feature may have had (see :mod:`~marketing_utils.segment.features`).
TRANSFORMS = ("none", "log1p", "signed_log1p")


@dataclass(frozen=True)
class ScoreRule:
    """How one column is scored: the cut values and the score of each interval.

    Attributes
    ----------
    column : str
    higher_is_better : bool
        False for recency (fewer days is better).
    cuts : tuple of float
        Ascending values at which the score changes.
    scores : tuple of int
        ``len(cuts) + 1`` scores, for the intervals from the smallest values up.
    """

    column: str
    higher_is_better: bool
    cuts: tuple[float, ...]
    scores: tuple[int, ...]

    def apply(self, values) -> np.ndarray:
        """Score of each value (see the module docstring for values between cuts).

        Examples
        --------
        >>> rule = ScoreRule("n_orders", True, cuts=(2.0, 5.0), scores=(1, 3, 5))
        >>> rule.apply([1, 2, 4, 5, 9]).tolist()
        [1, 3, 3, 5, 5]
        >>> ScoreRule("days", False, cuts=(10.0, 30.0), scores=(5, 3, 1)).apply([10, 11, 30, 31]).tolist()
        [5, 3, 3, 1]
        """
        side = "right" if self.higher_is_better else "left"
        where = np.searchsorted(np.asarray(self.cuts, dtype=float), np.asarray(values, float), side)
        return np.asarray(self.scores, dtype="int64")[where]


def score_rule(
    values: pd.Series, scores: pd.Series, *, column: str, higher_is_better: bool
) -> ScoreRule:
    """The rule that gives ``values`` their ``scores``, read off a scored population.

    Parameters
    ----------
    values, scores : pandas.Series
        The training values and their scores (from
        :func:`~marketing_utils.segment.rfm.rfm_scores`), same length.
    column : str
        Feature the values come from.
    higher_is_better : bool

    Returns
    -------
    ScoreRule
        ``rule.apply(values)`` gives back ``scores``.

    Raises
    ------
    DataValidationError
        When equal values have different scores or the scores do not follow
        the values' order (they did not come from a quantile scoring).

    Examples
    --------
    >>> rule = score_rule(pd.Series([1, 1, 2, 3, 7]), pd.Series([1, 1, 2, 2, 5]),
    ...                   column="n_orders", higher_is_better=True)
    >>> rule.cuts, rule.scores
    ((2.0, 7.0), (1, 2, 5))
    """
    table = pd.DataFrame({"value": values.to_numpy(float), "score": scores.to_numpy("int64")})
    per_value = table.groupby("value")["score"].agg(["min", "max"])
    step = np.diff(per_value["min"].to_numpy())
    monotone = (step >= 0).all() if higher_is_better else (step <= 0).all()
    if (per_value["min"] != per_value["max"]).any() or not monotone:
        raise DataValidationError(
            f"rfm scores of {column}",
            "expected scores that rise (or fall) with the values, equal values scored alike",
        )
    distinct = per_value.index.to_numpy(float)
    levels = per_value["min"].to_numpy("int64")
    change = np.flatnonzero(np.diff(levels) != 0)
    # Higher is better: a cut is the first value of the next score; else the last of this one.
    cuts = distinct[change + 1] if higher_is_better else distinct[change]
    chosen = np.r_[levels[:1], levels[change + 1]]
    return ScoreRule(
        column, higher_is_better, tuple(float(c) for c in cuts), tuple(int(s) for s in chosen)
    )


@dataclass(frozen=True)
class RFMRule:
    """Recency, frequency and monetary score rules and the RF segment map."""

    recency: ScoreRule
    frequency: ScoreRule
    monetary: ScoreRule
    segment_map: dict[str, str]

    @property
    def columns(self) -> list[str]:
        """Feature columns the rule reads."""
        return [self.recency.column, self.frequency.column, self.monetary.column]


@dataclass(frozen=True)
class ClusterRule:
    """The clustering's feature preparation and the numbering and names of its clusters.

    Attributes
    ----------
    columns : tuple of str
        Features, in the order of the k-means' columns.
    transforms : tuple of str
        ``"none"``, ``"log1p"`` or ``"signed_log1p"`` per column.
    medians, centres, scales : tuple of float
        Training median (fills missing cells, before the transform), and the
        centre and scale of the transformed column.
    numbers : tuple of int
        Cluster number (1 = largest) of each k-means label 0..k-1.
    names : tuple of str
        Name of clusters 1..k.
    """

    columns: tuple[str, ...]
    transforms: tuple[str, ...]
    medians: tuple[float, ...]
    centres: tuple[float, ...]
    scales: tuple[float, ...]
    numbers: tuple[int, ...]
    names: tuple[str, ...]


@dataclass(frozen=True)
class SegmentationModel:
    """Stage 02's segmentation: RFM rule (None without a purchase history), clusters, k-means."""

    rfm: RFMRule | None
    clusters: ClusterRule
    kmeans: object


def build_segmentation_model(
    features: pd.DataFrame,
    rfm: pd.DataFrame | None,
    segment_map: Mapping[str, str] | None,
    prepared: FeatureMatrix,
    kmeans,
    numbers: Sequence[int],
    names: pd.Series,
    *,
    rfm_columns: Sequence[str] = ("days_since_last_purchase", "n_orders", "total_spend"),
) -> SegmentationModel:
    """Freeze what :func:`~marketing_utils.segment.stage.segment_customers` learned.

    Parameters
    ----------
    features : pandas.DataFrame
        The training customer features (for the medians that fill missing cells).
    rfm : pandas.DataFrame or None
        The RFM scores of the training customers (``rfm_scores`` output).
    segment_map : mapping or None
        The RF segment map used (None: the default one).
    prepared : FeatureMatrix
        The clustered features: their columns, transforms, centres and scales.
    kmeans : fitted KMeans or MiniBatchKMeans
    numbers : sequence of int
        Cluster number of each k-means label.
    names : pandas.Series
        Cluster name by cluster number.
    rfm_columns : sequence of str
        Recency, frequency and monetary columns of ``features``.
    """
    rule = None
    if rfm is not None:
        recency, frequency, monetary = rfm_columns
        rule = RFMRule(
            score_rule(rfm["recency_days"], rfm["r_score"], column=recency, higher_is_better=False),
            score_rule(rfm["frequency"], rfm["f_score"], column=frequency, higher_is_better=True),
            score_rule(rfm["monetary"], rfm["m_score"], column=monetary, higher_is_better=True),
            dict(segment_map or DEFAULT_SEGMENT_MAP),
        )
    columns = list(prepared.columns)
    kept = prepared.transforms.set_index("feature").loc[columns]
    medians = [float(features[c].astype(float).median()) for c in columns]
    clusters = ClusterRule(
        columns=tuple(columns),
        transforms=tuple(str(t) for t in kept["transform"]),
        medians=tuple(medians),
        centres=tuple(float(v) for v in kept["centre"]),
        scales=tuple(float(v) for v in kept["scale"]),
        numbers=tuple(int(n) for n in numbers),
        names=tuple(str(names[n]) for n in range(1, len(numbers) + 1)),
    )
    return SegmentationModel(rfm=rule, clusters=clusters, kmeans=kmeans)


def _rfm_segments(rule: RFMRule, table: pd.DataFrame, where: str) -> np.ndarray:
    scores = {}
    for name, part in (("r", rule.recency), ("f", rule.frequency), ("m", rule.monetary)):
        values = checked_numbers(table, part.column, where, missing_ok=False).to_numpy(float)
        if (values < 0).any():
            raise DataValidationError(
                where,
                "expected non-negative values for RFM, found negative ones",
                column=part.column,
                examples=table.loc[values < 0, part.column].head(3).tolist(),
            )
        scores[name] = part.apply(values)
    rf_code = pd.Series(scores["r"].astype(str), dtype="str") + scores["f"].astype(str)
    named = assign_rfm_segments(pd.DataFrame({"rf_code": rf_code}), rule.segment_map)
    return named["rfm_segment"].to_numpy()


def cluster_matrix(rule: ClusterRule, table: pd.DataFrame, where: str) -> np.ndarray:
    """The table's rows on the clustering scale: filled, transformed and scaled as in training."""
    matrix = np.empty((len(table), len(rule.columns)))
    parts = zip(rule.columns, rule.transforms, rule.medians, rule.centres, rule.scales, strict=True)
    for j, (column, transform, median, centre, scale) in enumerate(parts):
        values = checked_numbers(table, column, where, missing_ok=True).to_numpy(float)
        values = np.where(np.isnan(values), median, values)
        if transform == "log1p" and (values < 0).any():
            raise DataValidationError(
                where,
                "expected non-negative values (all training values were, and the feature is "
                "log-transformed), found negative ones",
                column=column,
                examples=values[values < 0][:3].tolist(),
            )
        if transform == "log1p":
            values = np.log1p(values)
        elif transform == "signed_log1p":
            values = np.sign(values) * np.log1p(np.abs(values))
        matrix[:, j] = (values - centre) / scale
    return matrix


def assign_segments(
    model: SegmentationModel, customer_features: pd.DataFrame, *, where: str = "customer_features"
) -> pd.DataFrame:
    """Give customers stage 02's segments with its frozen rules.

    Parameters
    ----------
    model : SegmentationModel
        From :func:`~marketing_utils.segment.io.load_segmentation_model`
        (or ``SegmentationResult.model``).
    customer_features : pandas.DataFrame
        One row per customer with ``customer_id``, the RFM columns (when the
        model has RFM) and the clustering features, as notebook 01 builds them.
    where : str
        Name of the table, for error messages.

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``rfm_segment`` (missing when the model has no RFM),
        ``cluster`` (1 = largest in training) and ``cluster_name``, in the
        input's row order. For the training customers, exactly stage 02's ``segments``.

    Raises
    ------
    DataValidationError
        A missing column (all are named), a non-numeric feature, an infinite
        value, or a missing or negative RFM value.
    """
    needed = [ID, *(model.rfm.columns if model.rfm else []), *model.clusters.columns]
    absent = [c for c in dict.fromkeys(needed) if c not in customer_features]
    if absent:
        raise DataValidationError(
            where,
            f"expected the columns stage 02 segmented on, missing {absent}; found columns "
            f"{list(customer_features.columns)[:15]}",
        )
    n = len(customer_features)
    if model.rfm is not None:
        rfm_segment = _rfm_segments(model.rfm, customer_features, where)
    else:
        rfm_segment = [None] * n
    clusters = model.clusters
    if n:
        labels = np.asarray(
            model.kmeans.predict(cluster_matrix(clusters, customer_features, where))
        )
    else:
        labels = np.empty(0, dtype=int)
    numbers = np.asarray(clusters.numbers, dtype=int)[labels]
    names = np.asarray(clusters.names, dtype=object)[numbers - 1]
    return pd.DataFrame(
        {
            ID: customer_features[ID].to_numpy(),
            "rfm_segment": pd.array(rfm_segment, dtype="str"),
            "cluster": numbers,
            "cluster_name": pd.array(names, dtype="str"),
        }
    )
