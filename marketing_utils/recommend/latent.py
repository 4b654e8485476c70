"""Latent-factor recommenders for implicit feedback: ALS and BPR (with the ``implicit`` library).

Both represent customer :math:`u` and product :math:`i` by vectors
:math:`x_u, y_i \\in \\mathbb{R}^f` (``factors``) and score
:math:`\\hat r_{ui} = x_u^\\top y_i`:

- **ALS** (Hu, Koren & Volinsky 2008) minimises
  :math:`\\sum_{u,i} c_{ui}(p_{ui} - x_u^\\top y_i)^2 + \\lambda(\\sum_u\\lVert x_u\\rVert^2
  + \\sum_i \\lVert y_i\\rVert^2)` with :math:`p_{ui} = 1` when :math:`u` bought :math:`i`,
  confidence :math:`c_{ui} = 1 + \\alpha r_{ui}` and :math:`\\lambda` = ``regularization``,
  by alternating exact least-squares solves (``iterations`` sweeps);
- **BPR** (Rendle et al. 2009) maximises :math:`\\sum \\ln\\sigma(\\hat r_{ui} - \\hat r_{uj})`
  over sampled triples (bought :math:`i`, not bought :math:`j`) by stochastic
  gradient steps, i.e. it learns a *ranking* directly.

The raw score :math:`x_u^\\top y_i` can be negative, while the shared ranking
code (:class:`~.base.Recommender`) treats a score <= 0 as "nothing known". The
models therefore report :math:`\\exp(\\hat r_{ui} - \\max_j \\hat r_{uj})`, a
monotone transform in (0, 1] that keeps each customer's ranking unchanged.

Fitting is seeded (``random_state``) and, for reproducibility and to share the
machine fairly, runs on ``n_threads`` threads (1 by default: BPR with several
threads updates the factors in a non-deterministic order) with the BLAS
limited to one thread.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp

from ..errors import DataValidationError
from .base import Recommender
from .interactions import identical_rows
from .similarity import check_count

__all__ = ["ALSRecommender", "BPRRecommender", "LatentFactorRecommender"]


def _check_positive_float(value: float, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) or value < 0:
        raise DataValidationError(
            f"params recommendations.{name}", f"expected a number >= 0, found {value!r}"
        )


def _mean_per_group(vectors: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Each row replaced by the mean of the rows of its group."""
    sizes = np.bincount(groups)
    if (sizes == 1).all():
        return vectors
    totals = np.zeros((len(sizes), vectors.shape[1]))
    np.add.at(totals, groups, vectors)
    return (totals / sizes[:, None])[groups]


class LatentFactorRecommender(Recommender):
    """Shared part of ALS and BPR: fit ``implicit`` on the matrix, score :math:`x_u^\\top y_i`.

    Attributes
    ----------
    user_factors_, item_factors_ : numpy.ndarray
        Customer and product vectors (rows follow the interaction matrix).
    """

    name = "latent"
    #: Whether customers with the same purchases get the mean of their vectors.
    pools_identical_rows = False

    def __init__(
        self,
        factors: int = 32,
        regularization: float = 0.01,
        iterations: int = 15,
        *,
        random_state: int = 0,
        n_threads: int = 1,
    ) -> None:
        check_count(factors, f"{self.name}_factors")
        check_count(iterations, f"{self.name}_iterations")
        check_count(n_threads, "n_threads")
        _check_positive_float(regularization, f"{self.name}_regularization")
        self.factors = int(factors)
        self.regularization = float(regularization)
        self.iterations = int(iterations)
        self.random_state = int(random_state)
        self.n_threads = int(n_threads)

    def params(self) -> dict:
        """The hyper-parameters that the validation search varies."""
        return {
            "factors": self.factors,
            "regularization": self.regularization,
            "iterations": self.iterations,
        }

    def _model(self):  # pragma: no cover - overridden
        raise NotImplementedError

    def _fit(self) -> None:
        user_items = sp.csr_matrix(self.interactions_.matrix, dtype=np.float32)
        # Recommender.fit runs this with one BLAS thread (base.with_one_blas_thread).
        with warnings.catch_warnings():
            # implicit warns when the BLAS pool has several threads; it is limited to one.
            warnings.filterwarnings(
                "ignore", message=".*configured to use", category=RuntimeWarning
            )
            # Importing implicit imports tqdm.auto, which warns in a notebook without
            # ipywidgets; the fits never show a progress bar, so the warning is noise.
            warnings.filterwarnings("ignore", message="IProgress not found")
            model = self._model()
            model.fit(user_items, show_progress=False)
        self.user_factors_ = np.asarray(model.user_factors, dtype=np.float64)
        self.item_factors_ = np.asarray(model.item_factors, dtype=np.float64)
        if self.pools_identical_rows:
            self.user_factors_ = _mean_per_group(
                self.user_factors_, identical_rows(self.interactions_.matrix)
            )

    def score_rows(self, customer_ids: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """:math:`\\exp(x_u^\\top y_i - \\max_j x_u^\\top y_j)` for the block's customers."""
        self._check_fitted()
        if (rows < 0).any():
            raise ValueError(f"{self.name} scores need customers with a row in the matrix")
        raw = self.user_factors_[rows] @ self.item_factors_.T
        return np.exp(raw - raw.max(axis=1, keepdims=True))


class ALSRecommender(LatentFactorRecommender):
    """Implicit-feedback ALS (Hu, Koren & Volinsky 2008) via ``implicit.cpu.als``.

    Parameters
    ----------
    factors : int
        Length :math:`f` of the customer and product vectors.
    regularization : float
        :math:`\\lambda`, the L2 penalty on the vectors.
    iterations : int
        Alternating sweeps.
    alpha : float
        Confidence scale: :math:`c_{ui} = 1 + \\alpha r_{ui}`.
    random_state : int
        Seed of the initial vectors.
    n_threads : int
        Threads of the solver.
    """

    name = "als"

    def __init__(
        self,
        factors: int = 32,
        regularization: float = 0.01,
        iterations: int = 15,
        *,
        alpha: float = 1.0,
        random_state: int = 0,
        n_threads: int = 1,
    ) -> None:
        super().__init__(
            factors, regularization, iterations, random_state=random_state, n_threads=n_threads
        )
        _check_positive_float(alpha, "als_alpha")
        self.alpha = float(alpha)

    def _model(self):
        from implicit.cpu.als import AlternatingLeastSquares

        return AlternatingLeastSquares(
            factors=self.factors,
            regularization=self.regularization,
            alpha=self.alpha,
            iterations=self.iterations,
            calculate_training_loss=False,
            num_threads=self.n_threads,
            random_state=self.random_state,
        )


class BPRRecommender(LatentFactorRecommender):
    """Bayesian personalized ranking (Rendle et al. 2009) via ``implicit.cpu.bpr``.

    Parameters
    ----------
    factors : int
        Length of the vectors (``implicit`` adds one item-bias column).
    regularization : float
        L2 penalty of the gradient steps.
    iterations : int
        Epochs over the purchases.
    learning_rate : float
        Step size of the stochastic gradient steps.
    random_state : int
        Seed of the initial vectors and of the sampled triples.
    n_threads : int
        Threads (1 keeps the result reproducible).
    """

    name = "bpr"
    # BPR's sampled steps visit rows by position, so two customers with the
    # same purchases end with different vectors, and which customer gets which
    # follows the order of their pseudonyms: the report's metrics would change
    # with the pseudonymization key. Their mean is a function of the data alone.
    pools_identical_rows = True

    def __init__(
        self,
        factors: int = 32,
        regularization: float = 0.01,
        iterations: int = 100,
        *,
        learning_rate: float = 0.05,
        random_state: int = 0,
        n_threads: int = 1,
    ) -> None:
        super().__init__(
            factors, regularization, iterations, random_state=random_state, n_threads=n_threads
        )
        _check_positive_float(learning_rate, "bpr_learning_rate")
        self.learning_rate = float(learning_rate)

    def _model(self):
        from implicit.cpu.bpr import BayesianPersonalizedRanking

        return BayesianPersonalizedRanking(
            factors=self.factors,
            learning_rate=self.learning_rate,
            regularization=self.regularization,
            iterations=self.iterations,
            num_threads=self.n_threads,
            random_state=self.random_state,
        )
