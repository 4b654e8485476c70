"""Choosing hyper-parameters and the model on a validation split that precedes the test split.

The test split learns from the purchases before the cutoff :math:`t` and is
judged on the horizon :math:`[t, t + h)`. Choosing anything on it would make
its numbers optimistic. The **validation split** repeats the same protocol
one horizon earlier: it learns from the purchases before :math:`t - h` and is
judged on :math:`[t - h, t)`, so it sees nothing of the test horizon. The
latent-factor models' settings (factors, regularization, iterations) are
drawn from a small grid (``n_configs`` of them, seeded) and scored there; the
best setting of each family, and then the best method overall, are chosen on
validation NDCG@k and only then refitted on everything before :math:`t` and
scored on the test horizon.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import DataValidationError
from .base import Recommender
from .evaluation import Evaluation, evaluate_recommenders
from .interactions import TimeSplit, time_split

__all__ = [
    "SearchResult",
    "choose_method",
    "sample_configs",
    "search_configs",
    "validation_split",
]


def validation_split(
    transactions: pd.DataFrame,
    *,
    cutoff: str | pd.Timestamp,
    horizon_days: int,
    exclude_purchased: bool = True,
    **matrix_options,
) -> TimeSplit:
    """The time split one horizon earlier: learn before ``cutoff - horizon``, judge up to ``cutoff``.

    Only the purchases before ``cutoff`` are read. The population is every
    customer with a purchase before the validation cutoff.
    """
    cut = pd.Timestamp(cutoff)
    earlier = cut - pd.Timedelta(days=int(horizon_days))
    before = transactions.loc[(pd.to_datetime(transactions["timestamp"]) < cut).to_numpy()]
    return time_split(
        before,
        cutoff=earlier,
        horizon_days=int(horizon_days),
        exclude_purchased=exclude_purchased,
        **matrix_options,
    )


def sample_configs(grid: Mapping[str, Sequence], n_configs: int, seed: int) -> list[dict]:
    """``n_configs`` distinct settings of the grid, drawn with ``seed`` (all when fewer).

    Returned in grid order, so the same seed gives the same list.
    """
    if not grid or any(len(values) == 0 for values in grid.values()):
        raise DataValidationError(
            "params recommendations.latent_grid",
            f"expected every setting with at least one value, found {dict(grid)!r}",
        )
    names = list(grid)
    every = [dict(zip(names, values, strict=True)) for values in itertools.product(*grid.values())]
    if n_configs >= len(every):
        return every
    rng = np.random.default_rng(seed)
    return [every[i] for i in sorted(rng.choice(len(every), size=n_configs, replace=False))]


@dataclass(frozen=True)
class SearchResult:
    """Validation scores of every setting tried, and the best per family.

    Attributes
    ----------
    table : DataFrame
        ``family``, the settings, and the validation metrics, best first within family.
    best : dict
        Family -> its best setting (validation NDCG@k; ties: first tried).
    models : dict
        Family -> the best setting's model, fitted on the validation split
        (reused by :func:`~.stage.fit_models` instead of fitting it again).
    evaluations : dict
        Family -> the best setting's :class:`~.evaluation.Evaluation` on the
        validation split at ``k`` (reused by
        :func:`~.evaluation.evaluate_recommenders` instead of scoring it again).
    """

    table: pd.DataFrame
    best: dict
    models: dict = field(default_factory=dict)
    evaluations: dict = field(default_factory=dict)


def search_configs(
    factories: Mapping[str, Callable[..., Recommender]],
    configs: Mapping[str, Sequence[dict]],
    split: TimeSplit,
    *,
    k: int = 10,
    fallback: Recommender | None = None,
    exclude_purchased: bool = True,
) -> SearchResult:
    """Fit each family with each setting on the validation split and score it.

    Parameters
    ----------
    factories : mapping
        Family name -> callable building an unfitted model from a setting.
    configs : mapping
        Family name -> settings to try.
    split : TimeSplit
        The validation split.
    fallback : Recommender, optional
        Fitted on ``split``; lists for its cold-start customers.
    """
    rows, best, fitted, evaluations = [], {}, {}, {}
    for family, build in factories.items():
        scored = []
        for config in configs[family]:
            model = build(**config).fit(split.interactions)
            evaluation = evaluate_recommenders(
                {family: model},
                split,
                k=k,
                ks=(k,),
                fallback=fallback,
                exclude_purchased=exclude_purchased,
            )
            scores = evaluation.table.loc[family].drop("n_evaluated").to_dict()
            scored.append((config, scores, model, evaluation))
            rows.append({"family": family, **config, **scores})
        winner = max(range(len(scored)), key=lambda i: (scored[i][1]["ndcg"], -i))
        best[family] = dict(scored[winner][0])
        fitted[family] = scored[winner][2]
        evaluations[family] = scored[winner][3]
    table = pd.DataFrame(rows)
    if len(table):
        table = table.sort_values(["family", "ndcg"], ascending=[True, False], kind="stable")
    return SearchResult(
        table=table.reset_index(drop=True), best=best, models=fitted, evaluations=evaluations
    )


def choose_method(validation: Evaluation, candidates: Sequence[str] | None = None) -> str:
    """The method with the best validation NDCG@k (ties: the first in the table)."""
    table = validation.table
    if candidates is not None:
        table = table.loc[[c for c in table.index if c in set(candidates)]]
    if table.empty:
        raise DataValidationError(
            "params recommendations.methods", "expected at least one method to choose from"
        )
    scores = table["ndcg"].to_numpy()
    return str(table.index[int(np.argmax(scores))])
