"""A small propensity model trained through the real code path, for the scoring tests."""

from __future__ import annotations

from pathlib import Path

from marketing_utils.artifacts import Artifacts
from marketing_utils.datasets.synthetic import make_synthetic
from marketing_utils.preprocess.stage import preprocess, save_preprocessing
from marketing_utils.propensity.stage import fit_propensity, save_propensity
from marketing_utils.segment.io import save_segmentation_model
from marketing_utils.segment.stage import segment_customers

KEY = b"scoring-test-key"


def train_small_model(folder: Path, n_customers: int = 400, *, use_segments: bool = False) -> dict:
    """Stage 01 and 03 on clean synthetic data (key :data:`KEY`), plus the raw export.

    With ``use_segments``, stage 02 runs in between (a small k range), saves
    its segments and segmentation, and the model uses the segments as features.

    Returns the store, the model path, the training cutoff, the raw data and
    the folder ``raw/`` holding its transactions and customers as Parquet and CSV.
    """
    data = make_synthetic(n_customers, seed=1, n_products=40, dirty=False)
    store = Artifacts(folder / "run")
    save_preprocessing(preprocess(data, horizon_days=60, key=KEY), store)
    info = store.load("preprocessing_info")
    segments = None
    if use_segments:
        segmentation = segment_customers(
            store.load("customer_features"), k_values=(2, 3, 4), n_bootstrap=2,
            compare_gmm=False, seed=0,
        )  # fmt: skip
        segments = segmentation.segments
        store.save("segments", segments)
        save_segmentation_model(segmentation.model, store)
    result = fit_propensity(
        store.load("model_table"), info=info, segments=segments, models=("logistic",),
        cv_folds=3, search_iter=1, calibration="sigmoid", seed=0,
    )  # fmt: skip
    save_propensity(result, store, preprocessing_info=info)
    raw = folder / "raw"
    raw.mkdir()
    for name in ("transactions", "customers"):
        table = getattr(data, name)
        table.to_parquet(raw / f"{name}.parquet")
        table.to_csv(raw / f"{name}.csv", index=False)
    return {
        "folder": folder,
        "store": store,
        "model": store.path("propensity_model", "model"),
        "cutoff": info["label"]["cutoff"],
        "raw": raw,
        "data": data,
    }
