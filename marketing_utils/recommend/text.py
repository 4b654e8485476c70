"""Products as text vectors, and the recommenders that use them: content-based and hybrid.

Collaborative methods learn a product from its buyers, so a product nobody has
bought yet (a new product) is invisible to them. Its *text* (name, category,
description) is known from day one. :func:`product_vectors` turns each
product's text into a vector:

- by default, model-free and offline: TF-IDF weights of the words
  (:class:`~sklearn.feature_extraction.text.TfidfVectorizer`) reduced to
  ``n_components`` dimensions with a truncated SVD (latent semantic analysis,
  :class:`~sklearn.decomposition.TruncatedSVD`), fitted on the catalogue;
- optionally, a sentence-embedding model read from a local folder the user
  gives (``sentence-transformers``); it is never downloaded at run time.

Vectors are scaled to unit length, so a dot product is a cosine similarity.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataValidationError
from .base import Recommender, with_one_blas_thread
from .similarity import check_count, top_n

__all__ = [
    "TEXT_BASED_METHODS",
    "TEXT_METHODS",
    "ContentRecommender",
    "HybridRecommender",
    "ProductText",
    "ProductVectors",
    "find_product_text",
    "left_out_sentence",
    "product_texts",
    "product_vectors",
]

#: Ways of turning text into vectors.
TEXT_METHODS = ("tfidf_svd", "sentence_model")

#: Methods that need product text (vectors of the products' names, categories, descriptions).
TEXT_BASED_METHODS = ("content", "hybrid")

_TEXT_COLUMNS = ("name", "category", "description")


def product_texts(
    products: pd.DataFrame | None, transactions: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One text per product: its name, category and description joined.

    Taken from the ``products`` table when it has any of the text columns,
    completed from the transactions (the most frequent ``description`` and
    ``category`` of each product's lines), as own-data exports often carry
    the description on every line.

    Returns
    -------
    DataFrame
        ``product_id``, ``text`` (lower case; empty when nothing is known),
        sorted by product id.
    """
    parts = []
    if products is not None and "product_id" in products.columns:
        columns = [c for c in _TEXT_COLUMNS if c in products.columns]
        if columns:
            parts.append(products[["product_id", *columns]])
    if transactions is not None and "product_id" in transactions.columns:
        columns = [c for c in ("category", "description") if c in transactions.columns]
        if columns:
            lines = transactions.loc[transactions["product_id"].notna(), ["product_id", *columns]]
            modes = {}
            for column in columns:
                values = lines[["product_id", column]].dropna().astype(str)
                counts = values.value_counts().reset_index(name="n")
                counts = counts.sort_values(
                    ["product_id", "n", column], ascending=[True, False, True]
                )
                modes[column] = counts.drop_duplicates("product_id").set_index("product_id")[column]
            parts.append(pd.DataFrame(modes).rename_axis("product_id").reset_index())
    if not parts:
        raise DataValidationError(
            "products",
            "expected product text (a name, category or description column in the products "
            "table or the transactions), found none",
        )
    table = pd.concat(parts, ignore_index=True)
    table["product_id"] = table["product_id"].astype(str)
    columns = [c for c in _TEXT_COLUMNS if c in table.columns]
    first = table.groupby("product_id", sort=True)[columns].first()
    text = first.fillna("").astype(str).agg(" ".join, axis=1).str.lower().str.strip()
    return pd.DataFrame({"product_id": first.index.to_numpy(), "text": text.to_numpy()})


@dataclass(frozen=True)
class ProductText:
    """Whether the products have text, and which methods go without it.

    Attributes
    ----------
    texts : DataFrame or None
        :func:`product_texts` when some product has text, else ``None``.
    missing : str or None
        Why there is no product text (a sentence); ``None`` when there is.
    """

    texts: pd.DataFrame | None
    missing: str | None = None

    @property
    def available(self) -> bool:
        """Whether some product has text."""
        return self.missing is None

    def left_out(self, methods: Sequence[str]) -> dict[str, str]:
        """The text-based methods among ``methods`` that cannot run, with why (empty if none)."""
        if self.available:
            return {}
        return {m: self.missing for m in TEXT_BASED_METHODS if m in methods}


def find_product_text(
    products: pd.DataFrame | None, transactions: pd.DataFrame | None = None
) -> ProductText:
    """The products' texts (see :func:`product_texts`), or why there are none.

    An export may map ``product_id`` without any name, category or
    description column, or with such columns empty: then the text-based
    methods (:data:`TEXT_BASED_METHODS`) cannot run, and the stage leaves
    them out instead of failing.

    Parameters
    ----------
    products, transactions : DataFrame, optional
        Not modified.

    Returns
    -------
    ProductText
    """
    try:
        texts = product_texts(products, transactions)
    except DataValidationError:
        return ProductText(
            None,
            "no product text (no name, category or description column in the products "
            "table or the transactions)",
        )
    if not texts["text"].str.strip().astype(bool).any():
        return ProductText(
            None,
            "no product text (the name, category and description columns are empty "
            "for every product)",
        )
    return ProductText(texts)


def left_out_sentence(left_out: Mapping[str, str]) -> str:
    """One sentence naming the methods left out and why (empty when none is).

    ``left_out`` maps a method to its reason, e.g. :meth:`ProductText.left_out`.
    """
    if not left_out:
        return ""
    by_reason: dict[str, list[str]] = {}
    for method, reason in left_out.items():
        by_reason.setdefault(reason, []).append(method)
    clauses = [
        f"{' and '.join(methods)} {'is' if len(methods) == 1 else 'are'} left out: {reason}"
        for reason, methods in by_reason.items()
    ]
    return "; ".join(clauses)[:1].upper() + "; ".join(clauses)[1:] + "."


@dataclass(frozen=True)
class ProductVectors:
    """Unit-length text vectors of products.

    Attributes
    ----------
    product_ids : numpy.ndarray
    vectors : numpy.ndarray
        Shape (products, dimensions), rows of length 1 (0 for empty text).
    method : str
    """

    product_ids: np.ndarray
    vectors: np.ndarray
    method: str

    def aligned(self, product_ids) -> np.ndarray:
        """Vectors in the order of ``product_ids`` (zeros for unknown products)."""
        index = pd.Index(self.product_ids.astype(str)).get_indexer(
            pd.Index(np.asarray(product_ids).astype(str))
        )
        out = np.zeros((len(index), self.vectors.shape[1]))
        out[index >= 0] = self.vectors[index[index >= 0]]
        return out


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


@with_one_blas_thread
def product_vectors(
    texts: pd.DataFrame,
    *,
    method: str = "tfidf_svd",
    n_components: int = 32,
    model_path: str | None = None,
    seed: int = 0,
) -> ProductVectors:
    """Turn each product's text into a unit vector.

    Parameters
    ----------
    texts : DataFrame
        ``product_id``, ``text`` (see :func:`product_texts`).
    method : {"tfidf_svd", "sentence_model"}
        ``"tfidf_svd"``: TF-IDF (English stop words removed, sublinear term
        frequency) then a truncated SVD with ``n_components`` dimensions (at
        most the vocabulary size minus one). ``"sentence_model"``: the
        ``sentence-transformers`` model in the local folder ``model_path``.
    n_components : int
    model_path : str, optional
        Folder of a sentence-embedding model (``"sentence_model"`` only).
    seed : int
        Seed of the randomized SVD.

    Returns
    -------
    ProductVectors
    """
    if method not in TEXT_METHODS:
        raise DataValidationError(
            "params recommendations.text_method",
            f"expected one of {', '.join(TEXT_METHODS)}, found {method!r}",
        )
    check_count(n_components, "text_components")
    for column in ("product_id", "text"):
        if column not in texts.columns:
            raise DataValidationError("product_texts", f"expected a {column} column", column=column)
    ids = texts["product_id"].astype(str).to_numpy(dtype=object)
    documents = texts["text"].fillna("").astype(str).tolist()
    if method == "sentence_model":
        return ProductVectors(ids, _unit_rows(_sentence_vectors(documents, model_path)), method)

    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    if not any(d.strip() for d in documents):
        raise DataValidationError(
            "product_texts", "expected some product text, found only empty texts"
        )
    tfidf = TfidfVectorizer(stop_words="english", sublinear_tf=True, min_df=1)
    try:
        weights = tfidf.fit_transform(documents)
    except ValueError as error:  # only stop words or one-letter tokens
        raise DataValidationError(
            "product_texts",
            "expected product text with words (two letters or more, not only stop words), "
            f"found e.g. {documents[:3]!r}",
        ) from error
    dims = min(n_components, weights.shape[1] - 1, weights.shape[0] - 1)
    if dims < 1:
        return ProductVectors(ids, _unit_rows(weights.toarray()), method)
    svd = TruncatedSVD(n_components=dims, random_state=seed)
    return ProductVectors(ids, _unit_rows(svd.fit_transform(weights)), method)


def _sentence_vectors(documents: list[str], model_path: str | None) -> np.ndarray:
    """Embeddings from a local sentence-transformers model; never downloads."""
    where = "params recommendations.text_model_path"
    if not model_path:
        raise DataValidationError(where, "expected the folder of a local model, found none")
    folder = Path(model_path).expanduser()
    if not folder.is_dir():
        raise DataValidationError(
            where, f"expected an existing local model folder, found {str(folder)!r} missing"
        )
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise DataValidationError(
            where,
            "expected the sentence-transformers package for text_method='sentence_model', "
            "found it missing (pip install sentence-transformers, or use 'tfidf_svd')",
        ) from error
    os.environ["HF_HUB_OFFLINE"] = "1"  # a local folder only: never reach the network
    model = SentenceTransformer(str(folder), local_files_only=True)  # pragma: no cover
    return np.asarray(model.encode(documents), dtype=np.float64)  # pragma: no cover


class ContentRecommender(Recommender):
    """Products whose text resembles what the customer bought.

    With :math:`v_i` the unit text vector of product :math:`i` and the
    profile :math:`p_u = \\sum_{i \\in I_u} r_{ui} v_i`, the score is the
    cosine :math:`\\cos(p_u, v_j)` mapped to :math:`(1 + \\cos)/2 \\in [0, 1]`.
    It needs no buyer of :math:`j`: a new product is scored like any other.

    Parameters
    ----------
    vectors : ProductVectors
    """

    name = "content"

    def __init__(self, vectors: ProductVectors) -> None:
        self.vectors = vectors

    def _fit(self) -> None:
        self.item_vectors_ = self.vectors.aligned(self.interactions_.product_ids)
        self._has_text = np.linalg.norm(self.item_vectors_, axis=1) > 0

    def score_rows(self, customer_ids: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """:math:`(1 + \\cos(p_u, v_j))/2`; 0 for products without text."""
        self._check_fitted()
        if (rows < 0).any():
            raise ValueError("content scores need customers with a row in the matrix")
        profiles = _unit_rows(np.asarray(self.interactions_.matrix[rows] @ self.item_vectors_))
        scores = (1.0 + profiles @ self.item_vectors_.T) / 2.0
        scores[:, ~self._has_text] = 0.0
        return scores


class HybridRecommender(Recommender):
    """A collaborative model for established products, text for products with few purchases.

    Products with at least ``min_purchases`` distinct buyers keep the
    collaborative score. A product below (a new product) borrows the
    collaborative scores of its ``n_text_neighbours`` most text-similar
    established products, weighted by the cosine :math:`s_{jk} > 0`:

    .. math:: \\hat r_{uj} = \\frac{\\sum_{k \\in N(j)} s_{jk}\\, \\hat r^{\\text{CF}}_{uk}}
              {\\sum_{k \\in N(j)} s_{jk}}

    so the new product lands on the collaborative scale, where the customers
    who like its look-alikes are.

    Parameters
    ----------
    collaborative : Recommender
        A collaborative model, fitted here on the same matrix (unless it
        already is fitted on that very matrix object).
    vectors : ProductVectors
    min_purchases : int
        Distinct buyers below which a product counts as new.
    n_text_neighbours : int
    """

    name = "hybrid"

    def __init__(
        self,
        collaborative: Recommender,
        vectors: ProductVectors,
        *,
        min_purchases: int = 5,
        n_text_neighbours: int = 10,
    ) -> None:
        check_count(min_purchases, "hybrid_min_purchases")
        check_count(n_text_neighbours, "n_text_neighbours")
        self.collaborative = collaborative
        self.vectors = vectors
        self.min_purchases = min_purchases
        self.n_text_neighbours = n_text_neighbours

    def _fit(self) -> None:
        # A collaborative model already fitted on this very matrix is used as it is.
        if getattr(self.collaborative, "interactions_", None) is not self.interactions_:
            self.collaborative.fit(self.interactions_)
        vectors = self.vectors.aligned(self.interactions_.product_ids)
        self.new_products_ = self.popularity_ < self.min_purchases
        established = np.flatnonzero(~self.new_products_)
        new = np.flatnonzero(self.new_products_)
        self._borrow = np.zeros((len(established), len(new)))
        if len(new) and len(established):
            similarity = vectors[new] @ vectors[established].T
            columns, values = top_n(similarity, self.n_text_neighbours)
            weights = np.where(values > 0, values, 0.0)
            total = weights.sum(axis=1, keepdims=True)
            weights = np.divide(weights, total, out=np.zeros_like(weights), where=total > 0)
            for position in range(len(new)):
                self._borrow[columns[position], position] = weights[position]
        self._established, self._new = established, new

    def score_rows(self, customer_ids: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Collaborative scores, new products' borrowed from their text neighbours."""
        self._check_fitted()
        scores = np.array(self.collaborative.score_rows(customer_ids, rows), dtype=np.float64)
        if len(self._new):
            scores[:, self._new] = scores[:, self._established] @ self._borrow
        return scores
