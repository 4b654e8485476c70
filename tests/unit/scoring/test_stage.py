"""Scoring new customers with a saved model: the same scores as stage 03, on every engine.

A small model is trained through the real code path (preprocess, fit_propensity,
save_propensity) on clean synthetic data; scoring the raw export of the same
data as of the training cutoff must give back the report's ids and scores.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from marketing_utils.errors import DataValidationError
from marketing_utils.evaluate.metrics import assign_deciles
from marketing_utils.model_io import UntrustedModelError
from marketing_utils.privacy import assert_no_pii, pseudonymize_ids
from marketing_utils.propensity.bundle import file_sha256, load_scoring_model
from marketing_utils.scoring.stage import decile_edges, deciles_from_edges, score_new_customers
from tests.unit.scoring_helpers import KEY, train_small_model

pytestmark = pytest.mark.filterwarnings("ignore:Dask support is moving:FutureWarning")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A report-like run directory with a saved model, and the raw export it was built from."""
    return train_small_model(tmp_path_factory.mktemp("scoring"))


def _score(trained, data, out, **options):
    defaults = {"customers": trained["raw"] / "customers.parquet", "as_of": trained["cutoff"]}
    return score_new_customers(trained["model"], data, out, **{**defaults, **options})


def _copy_model(trained, folder, change_scoring=None):
    """The model and its metadata copied to ``folder``, the scoring section changed in place."""
    model = folder / "propensity_model.skops"
    model.write_bytes(trained["model"].read_bytes())
    info = json.loads(trained["store"].path("propensity_model_info", "json").read_text())
    if change_scoring is not None:
        change_scoring(info["scoring"])
    (folder / "propensity_model_info.json").write_text(json.dumps(info))
    return model


def test_raw_export_gives_the_reports_ids_and_scores(trained, tmp_path):
    summary = _score(
        trained, trained["raw"] / "transactions.parquet", tmp_path / "s.parquet", key=KEY
    )
    out = pd.read_parquet(summary.out)
    report = trained["store"].load("scores")
    assert out.columns.tolist() == ["customer_id", "score", "decile"]
    assert sorted(out["customer_id"]) == sorted(report["customer_id"])
    merged = out.merge(report, on="customer_id", validate="one_to_one")
    np.testing.assert_allclose(merged["score_x"], merged["score_y"], rtol=0, atol=1e-12)
    assert summary.n_customers == len(report) and summary.as_of == trained["cutoff"]
    assert summary.horizon_days == 60 and summary.data_kind == "transactions"
    raw_ids = trained["data"].transactions["customer_id"].unique()
    assert_no_pii(out, raw_ids)
    expected = pseudonymize_ids(pd.Series(sorted(raw_ids)), key=KEY)
    assert set(out["customer_id"]) <= set(expected)


def test_scores_equal_predict_proba_on_the_same_features(trained, tmp_path):
    features = trained["store"].path("customer_features")
    out = pd.read_parquet(
        _score(trained, features, tmp_path / "f.parquet", ids_pseudonymized=True).out
    )
    table = pd.read_parquet(features)
    bundle = load_scoring_model(trained["model"])
    expected = bundle.model.predict_proba(table[bundle.features])[:, 1]
    assert out["customer_id"].tolist() == table["customer_id"].tolist()
    # Scored in blocks of 64 rows: BLAS may round the last bit differently than in one call.
    np.testing.assert_allclose(out["score"].to_numpy(), expected, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(out["decile"].to_numpy(), assign_deciles(out["score"]))


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_pandas_polars_and_dask_agree(trained, tmp_path, fmt):
    data = trained["raw"] / f"transactions.{fmt}"
    customers = trained["raw"] / f"customers.{fmt}"
    outs = {}
    for engine in ("pandas", "polars", "dask"):
        # 50 rows per chunk: Dask scores about 7 partitions, pandas 7 chunks.
        summary = _score(trained, data, tmp_path / f"{engine}.{fmt}", customers=customers,
                         engine=engine, key=KEY, partition_rows=50)  # fmt: skip
        outs[engine] = (
            pd.read_parquet(summary.out) if fmt == "parquet" else pd.read_csv(summary.out)
        )
    pandas, dask = outs["pandas"], outs["dask"]
    assert len(pandas) > 300
    pd.testing.assert_frame_equal(dask, pandas, check_dtype=fmt == "parquet", check_exact=True)
    # Polars sums spend in another order: features, hence scores, agree to the last bits.
    polars = outs["polars"]
    assert polars["customer_id"].tolist() == pandas["customer_id"].tolist()
    np.testing.assert_allclose(polars["score"], pandas["score"], rtol=0, atol=1e-12)
    assert polars["decile"].tolist() == pandas["decile"].tolist()


def test_feature_table_scores_are_identical_on_every_engine(trained, tmp_path):
    features = trained["store"].path("customer_features")
    outs = [
        pd.read_parquet(_score(trained, features, tmp_path / f"{e}.parquet", engine=e,
                               ids_pseudonymized=True, partition_rows=40).out)
        for e in ("pandas", "polars", "dask")
    ]  # fmt: skip
    pd.testing.assert_frame_equal(outs[1], outs[0], check_exact=True)
    pd.testing.assert_frame_equal(outs[2], outs[0], check_exact=True)


def test_decile_edges_hand_example():
    # Eight customers, three scores: slots (0,2] -> decile 2, (2,6] -> 6, (6,8] -> 9.
    scores = [0.9, 0.9, 0.5, 0.5, 0.5, 0.5, 0.1, 0.1]
    edges = decile_edges(scores)
    assert edges.tolist() == [np.inf, 0.9, 0.9, 0.9, 0.9, 0.5, 0.5, 0.5, 0.1]
    assert deciles_from_edges(scores, edges).tolist() == [2, 2, 6, 6, 6, 6, 9, 9]
    # Twenty distinct scores: two customers per decile, the highest in decile 1.
    twenty = np.arange(20, 0, -1) / 20
    assert deciles_from_edges(twenty, decile_edges(twenty)).tolist() == [
        d for d in range(1, 11) for _ in range(2)
    ]


@pytest.mark.parametrize("n", [1, 7, 10, 33, 1000])
def test_deciles_from_global_edges_equal_the_in_memory_deciles_chunk_by_chunk(n):
    rng = np.random.default_rng(n)
    scores = rng.integers(0, max(n // 3, 1), n) / 7  # many ties
    edges = decile_edges(scores)
    chunks = np.array_split(scores, 4)
    assigned = np.concatenate([deciles_from_edges(chunk, edges) for chunk in chunks])
    np.testing.assert_array_equal(assigned, assign_deciles(scores))


def test_negative_amounts_are_returns(trained, tmp_path):
    from marketing_utils.scoring.features import features_from_transactions

    # The clean synthetic data has no returns: declare that the model used them.
    model = _copy_model(trained, tmp_path, lambda scoring: scoring.update(uses_returns=True))
    log = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b"],
            "timestamp": pd.to_datetime(["2025-01-05", "2025-02-01", "2025-02-03", "2025-01-09"]),
            "order_id": ["o1", "o2", "o3", "o4"],
            "category": ["Books ", "home", "home", "toys"],
            "amount": [30.0, 10.0, -10.0, 5.0],
        }
    )
    log.to_parquet(tmp_path / "log.parquet")
    people = trained["data"].customers.head(2).assign(customer_id=["a", "b"])
    people.to_parquet(tmp_path / "people.parquet")
    features, as_of = features_from_transactions(
        load_scoring_model(model), tmp_path / "log.parquet", "pandas",
        customers=tmp_path / "people.parquet",
    )  # fmt: skip
    row = features.set_index("customer_id").loc["a"]
    assert as_of == pd.Timestamp("2025-02-04")  # the day after the last line (a return)
    assert row["total_spend"] == 40.0 and row["n_orders"] == 2
    assert row["returns_rate"] == 0.25  # 10 returned of 40 spent
    assert row["share_books"] == 0.75  # "Books " normalized to books


# --- errors ---------------------------------------------------------------------------


def test_missing_feature_columns_are_named(trained, tmp_path):
    table = pd.read_parquet(trained["store"].path("customer_features"))
    table.drop(columns=["recency", "total_spend"]).to_parquet(tmp_path / "f.parquet")
    with pytest.raises(DataValidationError, match=r"\['recency', 'total_spend'\] \(missing\)"):
        _score(trained, tmp_path / "f.parquet", tmp_path / "o.parquet", ids_pseudonymized=True)
    assert not (tmp_path / "o.parquet").exists()


def test_numeric_feature_stored_as_text_is_refused(trained, tmp_path):
    table = pd.read_parquet(trained["store"].path("customer_features"))
    table.assign(recency="many").to_csv(tmp_path / "f.csv", index=False)
    with pytest.raises(DataValidationError, match=r"numbers in the numeric features \['recency'\]"):
        _score(trained, tmp_path / "f.csv", tmp_path / "o.csv", ids_pseudonymized=True)


@pytest.mark.parametrize(
    ("name", "payload", "message"),
    [
        ("data.xlsx", b"PK", r"expected a \.parquet or \.csv file.*found '\.xlsx'"),
        ("data.parquet", b"not parquet at all", r"expected a readable PARQUET file"),
    ],
)
def test_wrong_type_and_unreadable_files(trained, tmp_path, name, payload, message):
    (tmp_path / name).write_bytes(payload)
    with pytest.raises(DataValidationError, match=message):
        _score(trained, tmp_path / name, tmp_path / "o.parquet", key=KEY)


def test_missing_data_file(trained, tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.parquet not found"):
        _score(trained, tmp_path / "nowhere.parquet", tmp_path / "o.parquet", key=KEY)


def _shift(values):
    return np.asarray(values) + 1.0


def test_model_off_the_allow_list_is_refused(trained, tmp_path):
    model = make_pipeline(FunctionTransformer(_shift), LogisticRegression())
    model.fit(np.arange(10.0).reshape(-1, 1), [0, 1] * 5)
    import skops.io as sio

    sio.dump(model, tmp_path / "m.skops")
    (tmp_path / "m_info.json").write_text(json.dumps({"features": ["x"]}))
    with pytest.raises(
        UntrustedModelError,
        match=r"found 1 other type\(s\): tests\.unit\.scoring\.test_stage\._shift",
    ):
        score_new_customers(tmp_path / "m.skops", trained["raw"] / "transactions.parquet",
                            tmp_path / "o.parquet", key=KEY)  # fmt: skip


def test_metadata_missing_stale_or_from_before_scoring(trained, tmp_path):
    model = tmp_path / "propensity_model.skops"
    model.write_bytes(trained["model"].read_bytes())
    data = trained["raw"] / "transactions.parquet"
    with pytest.raises(FileNotFoundError, match="propensity_model_info.json not found"):
        _score({**trained, "model": model}, data, tmp_path / "o.parquet", key=KEY)
    info = json.loads(trained["store"].path("propensity_model_info", "json").read_text())
    stale = {**info, "scoring": {**info["scoring"], "model_sha256": "0" * 64}}
    (tmp_path / "propensity_model_info.json").write_text(json.dumps(stale))
    with pytest.raises(DataValidationError, match="come from different runs"):
        _score({**trained, "model": model}, data, tmp_path / "o.parquet", key=KEY)
    # Metadata written before the scoring section: transactions refused, feature tables scored.
    old = {k: v for k, v in info.items() if k != "scoring"}
    (tmp_path / "propensity_model_info.json").write_text(json.dumps(old))
    with pytest.raises(DataValidationError, match="Rerun notebook 03"):
        _score({**trained, "model": model}, data, tmp_path / "o.parquet", key=KEY)
    features = trained["store"].path("customer_features")
    summary = _score({**trained, "model": model}, features, tmp_path / "o.parquet",
                     ids_pseudonymized=True)  # fmt: skip
    assert summary.n_customers == len(pd.read_parquet(features))


def test_model_with_segment_features_but_no_saved_segmentation(trained, tmp_path):
    # Segment features recorded without the segmentation (metadata of an older notebook 02).
    model = _copy_model(
        trained, tmp_path, lambda s: s.update(segment_features=["rfm_segment", "cluster_name"])
    )
    with pytest.raises(DataValidationError, match=r"uses \['rfm_segment', 'cluster_name'\].*"
                       "records no saved segmentation"):  # fmt: skip
        _score({**trained, "model": model}, trained["raw"] / "transactions.parquet",
               tmp_path / "o.parquet", key=KEY)  # fmt: skip


def test_transactions_without_what_the_model_needs(trained, tmp_path):
    log = pd.read_parquet(trained["raw"] / "transactions.parquet")
    log.drop(columns="order_id").to_parquet(tmp_path / "no_orders.parquet")
    with pytest.raises(DataValidationError, match=r"\['order_id'\] \(missing\)"):
        _score(trained, tmp_path / "no_orders.parquet", tmp_path / "o.parquet", key=KEY)
    with pytest.raises(DataValidationError, match="pass one \\(--customers\\)"):
        _score(trained, trained["raw"] / "transactions.parquet", tmp_path / "o.parquet",
               key=KEY, customers=None)  # fmt: skip
    with pytest.raises(DataValidationError, match="purchase before the as-of day 2020-01-01"):
        _score(trained, trained["raw"] / "transactions.parquet", tmp_path / "o.parquet",
               key=KEY, as_of="2020-01-01")  # fmt: skip
    with pytest.raises(ValueError, match="as_of: expected a calendar date"):
        _score(trained, trained["raw"] / "transactions.parquet", tmp_path / "o.parquet",
               key=KEY, as_of="2025-10-02 12:00")  # fmt: skip


def test_ids_are_never_written_raw_nor_hashed_twice(trained, tmp_path):
    raw = trained["raw"] / "transactions.parquet"
    with pytest.raises(
        DataValidationError, match=r"found \d+ that are not; nothing was written"
    ) as error:
        _score(trained, raw, tmp_path / "o.parquet", ids_pseudonymized=True)
    assert_no_pii(str(error.value), trained["data"].transactions["customer_id"].unique())
    with pytest.raises(DataValidationError, match="already pseudonymized"):
        _score(trained, trained["store"].path("customer_features"), tmp_path / "o.parquet", key=KEY)
    assert not (tmp_path / "o.parquet").exists()
    assert not list(tmp_path.glob(".*tmp"))  # no temporary file left behind


def test_repeated_ids_in_a_feature_table(trained, tmp_path):
    table = pd.read_parquet(trained["store"].path("customer_features"))
    pd.concat([table, table.head(2)]).to_parquet(tmp_path / "f.parquet")
    with pytest.raises(DataValidationError, match="found 2 repeated ids"):
        _score(trained, tmp_path / "f.parquet", tmp_path / "o.parquet", ids_pseudonymized=True)


def test_inputs_are_never_overwritten_and_failures_keep_the_old_output(trained, tmp_path):
    data = tmp_path / "log.parquet"
    data.write_bytes((trained["raw"] / "transactions.parquet").read_bytes())
    before = data.read_bytes()
    with pytest.raises(DataValidationError, match="inputs are never written"):
        _score(trained, data, data, key=KEY)
    with pytest.raises(DataValidationError, match="inputs are never written"):
        _score(trained, trained["raw"], trained["raw"] / "scores.parquet", key=KEY)
    with pytest.raises(DataValidationError, match=r"ending in \.parquet or \.csv, found '\.txt'"):
        _score(trained, data, tmp_path / "scores.txt", key=KEY)
    assert data.read_bytes() == before
    out = tmp_path / "scores.csv"
    out.write_text("previous output\n")
    with pytest.raises(DataValidationError):
        _score(trained, data, out, ids_pseudonymized=True)  # raw ids: refused mid-run
    assert out.read_text() == "previous output\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.parquet", "scores.csv"]


def test_save_propensity_records_how_to_rebuild_the_features(trained):
    info = json.loads(trained["store"].path("propensity_model_info", "json").read_text())
    scoring = info["scoring"]
    assert scoring["feature_source"] == "transactions"
    assert scoring["windows"] == [30, 90, 365]
    assert scoring["categories"] == sorted(trained["data"].transactions["category"].unique())
    assert scoring["uses_order_id"] is True
    assert scoring["horizon_days"] == 60 and scoring["training_cutoff"] == trained["cutoff"]
    assert scoring["customer_columns"] == [
        "birth_date", "channel", "gender", "income", "region", "signup_date"
    ]  # fmt: skip
    assert scoring["segment_features"] == []
    assert scoring["model_sha256"] == file_sha256(trained["model"])


def test_dask_cluster_scores_a_directory_of_parquet_files_partition_by_partition(trained, tmp_path):
    from distributed import LocalCluster

    table = pd.read_parquet(trained["store"].path("customer_features"))
    folder = tmp_path / "features"
    folder.mkdir()
    for part, rows in enumerate(np.array_split(np.arange(len(table)), 3)):
        table.iloc[rows].to_parquet(folder / f"part-{part}.parquet")
    expected = pd.read_parquet(
        _score(trained, folder, tmp_path / "memory.parquet", ids_pseudonymized=True).out
    )
    assert expected["customer_id"].tolist() == table["customer_id"].tolist()
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False) as cluster:
        summary = _score(
            trained, folder, tmp_path / "cluster.parquet", engine="dask",
            scheduler=cluster.scheduler_address, ids_pseudonymized=True,
        )  # fmt: skip
    pd.testing.assert_frame_equal(pd.read_parquet(summary.out), expected, check_exact=True)


def test_an_unreachable_scheduler_is_named_as_the_cli_option(trained, tmp_path):
    from marketing_utils.errors import WorkbookError

    table = trained["store"].path("customer_features")
    with pytest.raises(WorkbookError, match=r"^--scheduler: no Dask scheduler answered at"):
        _score(
            trained, table, tmp_path / "out.parquet", engine="dask",
            scheduler="tcp://127.0.0.1:9", ids_pseudonymized=True,
        )  # fmt: skip
    assert not (tmp_path / "out.parquet").exists()
