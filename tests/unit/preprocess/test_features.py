"""Customer features: lifetimes' RFM conventions, windows, cutoff safety, labels, engines."""

from __future__ import annotations

import itertools
import re

import dask.dataframe as dd
import numpy as np
import pandas as pd
import polars as pl
import pytest

from marketing_utils.errors import DataValidationError
from marketing_utils.preprocess.features import customer_features, make_labels, rfm_summary

pytestmark = pytest.mark.filterwarnings("ignore:Dask support is moving:FutureWarning")

ENGINES = ["pandas", "polars", "polars-lazy", "dask"]
RFM = ["customer_id", "frequency", "recency", "T", "monetary_value"]


def tiny_transactions() -> pd.DataFrame:
    """Three customers; the purchase days are worked out by hand in each test.

    a: Jan 1 (10 + 5, two rows on one day), Jan 4 (20), Jan 8 (30)
    b: Jan 3 (7), a one-time buyer
    c: Jan 2 (3), Jan 9 (6 + 4, one order of two lines)
    """
    return pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "a", "b", "c", "c", "c"],
            "timestamp": pd.to_datetime(
                [
                    "2024-01-01 09:00",
                    "2024-01-01 18:00",
                    "2024-01-04 12:00",
                    "2024-01-08 00:00",
                    "2024-01-03 12:00",
                    "2024-01-02 08:00",
                    "2024-01-09 10:00",
                    "2024-01-09 23:59",
                ]
            ),
            "order_id": ["o1", "o2", "o3", "o4", "o5", "o6", "o7", "o7"],
            "category": ["x", "y", "x", "x", "y", "x", "y", "x"],
            "amount": [10.0, 5.0, 20.0, 30.0, 7.0, 3.0, 6.0, 4.0],
        }
    )


def tiny_customers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "signup_date": pd.to_datetime(["2023-12-01", "2024-01-03", None, "2020-01-01"]),
            "birth_date": pd.to_datetime(["1990-01-09", "1990-01-10", "2000-02-29", "1980-05-05"]),
            "gender": ["f", "m", "f", "m"],
            "region": ["north", "south", "north", "east"],
            "channel": ["web", "store", "web", "web"],
            "income": [50_000.0, 42_000.0, np.nan, 61_000.0],
        }
    )


def tiny_returns() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["a", "a", "c"],
            "timestamp": pd.to_datetime(
                ["2024-01-05 10:00", "2024-01-09 00:00", "2024-01-03 00:00"]
            ),
            "order_id": ["r1", "r2", "r3"],
            "category": ["x", "x", "x"],
            "amount": [-5.0, -100.0, -3.0],
        }
    )


def to_engine(frame: pd.DataFrame, engine: str):
    if engine == "pandas":
        return frame
    if engine == "polars":
        return pl.from_pandas(frame)
    if engine == "polars-lazy":
        return pl.from_pandas(frame).lazy()
    return dd.from_pandas(frame, npartitions=3)


def as_pandas(result) -> pd.DataFrame:
    if isinstance(result, pl.DataFrame):
        result = result.to_pandas()
    assert isinstance(result, pd.DataFrame)
    return result.sort_values("customer_id").reset_index(drop=True)


def rfm_rows(result) -> dict[str, tuple[float, float, float, float]]:
    frame = as_pandas(result)
    return {row[0]: tuple(row[1:]) for row in frame[RFM].itertuples(index=False)}


# --- rfm_summary: lifetimes' conventions on a hand-worked example -----------------


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("numbered_ids", [False, True], ids=["letter ids", "numbered ids"])
def test_rfm_summary_hand_worked_example(engine, numbered_ids):
    # Numbered ids take Polars' integer-coded route (DecimalIds), letters the general one.
    transactions = tiny_transactions()
    names = {"a": "C007", "b": "C010", "c": "C012"} if numbered_ids else {}
    transactions["customer_id"] = transactions["customer_id"].replace(names)
    raw = rfm_summary(to_engine(transactions, engine))
    result = as_pandas(raw)
    result["customer_id"] = result["customer_id"].replace({v: k for k, v in names.items()})
    assert list(result.columns) == RFM
    assert (result.dtypes.iloc[1:] == "float64").all()
    # End = last transaction day, Jan 9.
    # a: days 1, 4, 8 -> 2 repeat days, recency 8 - 1 = 7, T 9 - 1 = 8,
    #    monetary = mean(20, 30) = 25 (Jan 1 is the first day, left out).
    # b: one day -> 0 repeats, recency 0, T 9 - 3 = 6, monetary 0.
    # c: days 2, 9 -> 1 repeat, recency 7, T 7, monetary = Jan 9 total 6 + 4 = 10.
    assert rfm_rows(result) == {
        "a": (2.0, 7.0, 8.0, 25.0),
        "b": (0.0, 0.0, 6.0, 0.0),
        "c": (1.0, 7.0, 7.0, 10.0),
    }
    if engine != "dask":  # Dask's rows come in partition order
        assert list(raw["customer_id"]) == [names.get(key, key) for key in "abc"]  # sorted by id
    if engine == "pandas":
        assert raw.index.tolist() == [0, 1, 2]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("ids", [("x", "y"), ("C001", "C002")], ids=["letter ids", "numbered ids"])
def test_rfm_summary_first_day_is_the_earliest_day_not_the_first_row_or_the_smallest(engine, ids):
    first, second = ids
    transactions = pd.DataFrame(
        {
            "customer_id": [first, first, first, second, second, first],
            "timestamp": pd.to_datetime(
                ["2024-01-05", "2024-01-01", "2024-01-03", "2024-01-02", "2024-01-02", "2024-01-01"]
            ),
            "amount": [5.0, 60.0, 7.0, 3.0, 4.0, 40.0],
        }
    )
    result = as_pandas(rfm_summary(to_engine(transactions, engine)))
    # first: days Jan 1 (60 + 40, listed second and last), Jan 3 (7), Jan 5 (5, listed first):
    #   2 repeat days, recency 4, T 5 - 1 = 4, monetary (7 + 5) / 2 = 6; neither the
    #   first row's day nor the smallest amount is the first day.
    # second: one day (3 + 4) -> no repeat, T 5 - 2 = 3, monetary 0.
    assert rfm_rows(result) == {first: (2.0, 4.0, 4.0, 6.0), second: (0.0, 0.0, 3.0, 0.0)}


def test_rfm_summary_observation_end_is_an_inclusive_day():
    # The time of day is ignored, so the end is Jan 5 and Jan 5 counts in full.
    # a: days 1, 4 -> 1 repeat, recency 3, T 5 - 1 = 4, monetary 20.
    # b: day 3 -> T 2.   c: day 2 only (Jan 9 is after the end) -> T 3.
    result = rfm_summary(tiny_transactions(), observation_period_end="2024-01-05 15:00")
    assert rfm_rows(result) == {
        "a": (1.0, 3.0, 4.0, 20.0),
        "b": (0.0, 0.0, 2.0, 0.0),
        "c": (0.0, 0.0, 3.0, 0.0),
    }
    # b's first purchase is after Jan 2: b is not a customer yet.
    early = rfm_summary(tiny_transactions(), observation_period_end=pd.Timestamp("2024-01-02"))
    assert rfm_rows(early) == {"a": (0.0, 0.0, 1.0, 0.0), "c": (0.0, 0.0, 0.0, 0.0)}


def test_rfm_summary_custom_column_names_and_no_amount():
    renamed = tiny_transactions().rename(
        columns={"customer_id": "cust", "timestamp": "when", "amount": "value"}
    )
    result = rfm_summary(
        renamed, customer_id_col="cust", datetime_col="when", monetary_value_col="value"
    )
    assert list(result.columns) == ["cust", "frequency", "recency", "T", "monetary_value"]
    assert result["monetary_value"].tolist() == [25.0, 0.0, 10.0]
    without = rfm_summary(
        renamed, customer_id_col="cust", datetime_col="when", monetary_value_col=None
    )
    assert list(without.columns) == ["cust", "frequency", "recency", "T"]
    assert without["T"].tolist() == [8.0, 6.0, 7.0]


def test_rfm_summary_reads_time_zone_aware_timestamps_as_wall_clock_days():
    # 23:30 in Chicago is already the next day in UTC; lifetimes' to_period keeps
    # the local date, so Jan 1 23:30 and Jan 1 08:00 are the same day.
    log = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a"],
            "timestamp": pd.to_datetime(
                ["2024-01-01 08:00", "2024-01-01 23:30", "2024-01-03 12:00"]
            ).tz_localize("America/Chicago"),
            "amount": [1.0, 2.0, 4.0],
        }
    )
    assert rfm_rows(rfm_summary(log)) == {"a": (1.0, 2.0, 2.0, 4.0)}


# --- rfm_summary on CDNOW: lifetimes' numbers and an independent reference --------


def read_cdnow(datasets_dir) -> pd.DataFrame:
    log = pd.read_csv(datasets_dir / "CDNOW_master.txt", sep=r"\s+", dtype={"customer_id": str})
    return log.assign(date=pd.to_datetime(log["date"].astype(str), format="%Y%m%d"))


def reference_rfm(log: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    """Plain pandas on Timestamps: sum per customer-day, rank the days, average the repeats.

    Like lifetimes, the first day's value is blanked out before the mean (the
    mean of only the repeat rows can differ in the last bit).
    """
    log = log.assign(day=log["date"].dt.normalize())
    log = log[log["day"] <= end]
    daily = (
        log.groupby(["customer_id", "day"], as_index=False)["dollar_value"]
        .sum()
        .sort_values(["customer_id", "day"])
    )
    day_rank = daily.groupby("customer_id").cumcount()
    days = daily.groupby("customer_id")["day"]
    first, last, count = days.min(), days.max(), days.size()
    repeat_value = daily["dollar_value"].where(day_rank > 0)
    repeat_mean = repeat_value.groupby(daily["customer_id"]).mean()
    reference = pd.DataFrame(
        {
            "frequency": count - 1,
            "recency": (last - first).dt.days,
            "T": (end - first).dt.days,
            "monetary_value": repeat_mean.fillna(0.0),
        }
    ).astype(float)
    return reference.rename_axis("customer_id").reset_index()


@pytest.mark.datasets
def test_rfm_summary_matches_lifetimes_on_cdnow(datasets_dir):
    log = read_cdnow(datasets_dir)
    result = rfm_summary(
        log,
        datetime_col="date",
        monetary_value_col="dollar_value",
        observation_period_end="1998-06-30",
    ).set_index("customer_id")
    assert len(result) == 23_570  # the whole cohort (README)
    # Values of lifetimes 0.11.3 summary_data_from_transaction_data(freq="D") on
    # the same file, checked by hand against the raw rows:
    # 00001 bought once on 1997-01-01: T = 1998-06-30 - 1997-01-01 = 545 days.
    assert tuple(result.loc["00001"]) == (0.0, 0.0, 545.0, 0.0)
    # 00002 bought twice on 1997-01-12: one purchase day, no repeat; T = 534.
    assert tuple(result.loc["00002"]) == (0.0, 0.0, 534.0, 0.0)
    # 00004: 1997-01-01 (first), then 01-18 (29.73), 08-02 (14.96), 12-12 (26.48):
    # recency = 1997-12-12 - 1997-01-01 = 345, monetary = 71.17 / 3.
    assert tuple(result.loc["00004"])[:3] == (3.0, 345.0, 545.0)
    assert result.loc["00004", "monetary_value"] == pytest.approx(71.17 / 3, rel=1e-12)
    # 15042 has three rows on 1997-04-08, summed to one repeat day (lifetimes: 38.274).
    assert tuple(result.loc["15042"])[:3] == (5.0, 289.0, 492.0)
    assert result.loc["15042", "monetary_value"] == pytest.approx(38.274, rel=1e-12)


@pytest.mark.datasets
@pytest.mark.parametrize("end", ["1998-06-30", "1997-09-30"])
def test_rfm_summary_equals_plain_pandas_reference_on_cdnow(datasets_dir, end):
    log = read_cdnow(datasets_dir)
    expected = reference_rfm(log, pd.Timestamp(end))
    result = rfm_summary(
        log, datetime_col="date", monetary_value_col="dollar_value", observation_period_end=end
    )
    pd.testing.assert_frame_equal(
        result.astype({"customer_id": object}),
        expected.astype({"customer_id": object}),
        check_exact=True,
    )


# --- customer_features --------------------------------------------------------------


def test_customer_features_hand_worked_example():
    # Cutoff Jan 9: every event on or after Jan 9 is ignored (c's Jan 9 order),
    # and the observation ends on Jan 8.
    result = customer_features(tiny_transactions(), cutoff="2024-01-09", windows=(2, 5))
    activity = ["n_orders", "total_spend", "avg_basket", "days_since_last_purchase"]
    windows = ["spend_2d", "orders_2d", "spend_5d", "orders_5d"]
    gap = "mean_days_between_purchases"
    assert list(result.columns) == [*RFM, *activity, gap, *windows, "share_x", "share_y"]
    assert result["n_orders"].dtype == "int64"
    assert result["orders_5d"].dtype == "int64"
    rows = result.set_index("customer_id")

    # a: days 1, 4, 8 -> frequency 2, recency 7, T = 8 - 1 = 7, monetary mean(20, 30).
    # 4 orders, spend 65, basket 65 / 4, last day 8 -> 1 day to the cutoff, gap 7 / 2.
    # 2-day window = Jan 7-8: 30 in 1 order; 5-day window = Jan 4-8: 50 in 2 orders.
    # x = 10 + 20 + 30 of 65, y = 5 of 65.
    a = rows.loc["a"]
    assert a[RFM[1:]].tolist() == [2.0, 7.0, 7.0, 25.0]
    assert a[activity].tolist() == [4, 65.0, 16.25, 1]
    assert a[gap] == 3.5
    assert a[windows].tolist() == [30.0, 1, 50.0, 2]
    assert a[["share_x", "share_y"]].tolist() == pytest.approx([60 / 65, 5 / 65])

    # b: one purchase on Jan 3: T = 8 - 3 = 5, 6 days since, no repeat -> no gap,
    # nothing in either window (the 5-day window starts Jan 4), all spend is y.
    b = rows.loc["b"]
    assert b[RFM[1:]].tolist() == [0.0, 0.0, 5.0, 0.0]
    assert b[activity].tolist() == [1, 7.0, 7.0, 6]
    assert np.isnan(b[gap])
    assert b[windows].tolist() == [0.0, 0, 0.0, 0]
    assert b[["share_x", "share_y"]].tolist() == [0.0, 1.0]

    # c: only Jan 2 (3.0) is before the cutoff: T = 8 - 2 = 6, 7 days since, all x.
    c = rows.loc["c"]
    assert c[RFM[1:]].tolist() == [0.0, 0.0, 6.0, 0.0]
    assert c[activity].tolist() == [1, 3.0, 3.0, 7]
    assert c[windows].tolist() == [0.0, 0, 0.0, 0]
    assert c[["share_x", "share_y"]].tolist() == [1.0, 0.0]


def test_without_order_ids_orders_are_purchase_days():
    log = tiny_transactions().drop(columns=["order_id", "category"])
    rows = customer_features(log, cutoff="2024-01-09", windows=(5,)).set_index("customer_id")
    assert "share_x" not in rows
    # a bought on 3 days (Jan 1 twice), 2 of them (Jan 4, Jan 8) in the 5-day window.
    assert rows.loc["a", ["n_orders", "orders_5d"]].tolist() == [3, 2]
    assert rows.loc["a", "avg_basket"] == pytest.approx(65 / 3)


def test_given_categories_only_and_missing_category_column():
    rows = customer_features(
        tiny_transactions(), cutoff="2024-01-09", windows=(), categories=["y", "z"]
    ).set_index("customer_id")
    assert [c for c in rows if c.startswith("share_")] == ["share_y", "share_z"]
    assert rows["share_y"].tolist() == pytest.approx([5 / 65, 1.0, 0.0])
    assert rows["share_z"].tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(DataValidationError, match="category"):
        customer_features(
            tiny_transactions().drop(columns="category"), cutoff="2024-01-09", categories=["y"]
        )


def test_returns_rate_uses_returns_before_the_cutoff_only():
    rows = customer_features(
        tiny_transactions(), cutoff="2024-01-09", windows=(), returns=tiny_returns()
    ).set_index("customer_id")
    # a returned 5 on Jan 5 (the 100 on Jan 9 is at the cutoff): 5 / 65.
    # b returned nothing: 0.   c returned 3 of the 3 spent: 1.
    assert rows["returns_rate"].tolist() == pytest.approx([5 / 65, 0.0, 1.0])


def test_customer_attributes_at_the_cutoff():
    rows = customer_features(
        tiny_transactions(), cutoff="2024-01-09", windows=(), customers=tiny_customers()
    ).set_index("customer_id")
    assert list(rows.columns[-6:]) == [
        "tenure_days",
        "age_years",
        "gender",
        "region",
        "channel",
        "income",
    ]
    assert "d" not in rows.index  # no purchase before the cutoff
    # a signed up 2023-12-01: 31 days to Jan 1 + 8 = 39; born 1990-01-09, 34 on the cutoff day.
    # b signed up Jan 3: 6 days; born 1990-01-10, still 33 the day before the birthday.
    # c: no signup date; born 2000-02-29, 23 (24 only on 2024-02-29).
    assert rows["tenure_days"].tolist()[:2] == [39.0, 6.0]
    assert np.isnan(rows.loc["c", "tenure_days"])
    assert rows["age_years"].tolist() == [34.0, 33.0, 23.0]
    assert rows["gender"].tolist() == ["f", "m", "f"]
    assert rows.loc["b", ["region", "channel", "income"]].tolist() == ["south", "store", 42_000.0]


@pytest.mark.parametrize(("cutoff", "age"), [("2023-02-28", 22.0), ("2023-03-01", 23.0)])
def test_leap_day_birthday_counts_from_march_first(cutoff, age):
    log = pd.DataFrame(
        {"customer_id": ["c"], "timestamp": pd.to_datetime(["2023-01-15"]), "amount": [1.0]}
    )
    people = pd.DataFrame({"customer_id": ["c"], "birth_date": pd.to_datetime(["2000-02-29"])})
    rows = customer_features(log, cutoff=cutoff, windows=(), customers=people)
    assert rows["age_years"].tolist() == [age]


def test_nothing_at_or_after_the_cutoff_changes_the_features():
    log, returns = tiny_transactions(), tiny_returns()
    before = customer_features(log, cutoff="2024-01-09", windows=(2, 5), returns=returns)
    later = pd.DataFrame(
        {
            "customer_id": ["a", "a", "e"],
            "timestamp": pd.to_datetime(
                ["2024-01-09 00:00", "2024-02-01 00:00", "2024-01-10 00:00"]
            ),
            "order_id": ["big1", "big2", "e1"],
            "category": ["x", "new_category", "x"],
            "amount": [1e9, 1e9, 5.0],
        }
    )
    late_return = returns.iloc[[0]].assign(timestamp=pd.Timestamp("2024-01-09"), amount=-1e9)
    after = customer_features(
        pd.concat([log, later], ignore_index=True),
        cutoff="2024-01-09",
        windows=(2, 5),
        returns=pd.concat([returns, late_return], ignore_index=True),
    )
    pd.testing.assert_frame_equal(after, before)


# --- make_labels ----------------------------------------------------------------------


def test_make_labels_window_is_cutoff_inclusive_and_end_exclusive():
    # Cutoff Jan 5; buyers before it: a, b, c. Window [Jan 5, Jan 9): only a (Jan 8).
    # c's Jan 9 order is on the first day after a 4-day window and inside a 5-day one.
    labels = make_labels(tiny_transactions(), cutoff="2024-01-05", horizon_days=4)
    assert labels.to_dict("list") == {"customer_id": ["a", "b", "c"], "label": [1, 0, 0]}
    labels = make_labels(tiny_transactions(), cutoff="2024-01-05", horizon_days=5)
    assert labels["label"].tolist() == [1, 0, 1]
    assert labels["label"].dtype == "int64"


def test_make_labels_for_given_customers_keeps_their_rows():
    people = pd.DataFrame({"customer_id": ["z", "c"], "other": [1, 2]})
    labels = make_labels(tiny_transactions(), cutoff="2024-01-05", horizon_days=5, customers=people)
    assert labels.to_dict("list") == {"customer_id": ["z", "c"], "label": [0, 1]}


def test_labels_align_with_features():
    features = customer_features(tiny_transactions(), cutoff="2024-01-05", windows=())
    labels = make_labels(
        tiny_transactions(), cutoff="2024-01-05", horizon_days=4, customers=features
    )
    assert labels["customer_id"].tolist() == features["customer_id"].tolist()


# --- one implementation, every engine ---------------------------------------------------


def random_tables(seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n_customers, n_rows = 80, 700
    ids = np.array([f"c{i:03d}" for i in range(n_customers)])
    # Customers 0-9 buy exactly once; the rest share the remaining rows.
    customer = np.concatenate([np.arange(10), rng.integers(10, n_customers, n_rows - 10)])
    start = np.datetime64("2023-01-01T00:00:00", "s")
    seconds = rng.integers(0, 400 * 86_400, n_rows).astype("timedelta64[s]")
    log = pd.DataFrame(
        {
            "customer_id": ids[customer],
            "timestamp": (start + seconds).astype("datetime64[ns]"),
            "order_id": [f"o{i}" for i in rng.integers(0, 500, n_rows)],
            "category": rng.choice(np.array(["toys", "food", "home", None]), n_rows),
            "amount": np.round(rng.gamma(2.0, 15.0, n_rows), 2),
        }
    )
    # Identical timestamps: repeat some rows exactly, and give orders one customer.
    log = pd.concat([log, log.iloc[20:60]], ignore_index=True)
    log["order_id"] = log["customer_id"] + "-" + log["order_id"]
    returns = log.sample(40, random_state=seed).assign(amount=lambda t: -t["amount"] / 2)
    signup_days_before_start = rng.integers(0, 900, n_customers).astype("timedelta64[D]")
    birth_days_after_1950 = pd.to_timedelta(rng.integers(0, 20_000, n_customers), unit="D")
    people = pd.DataFrame(
        {
            "customer_id": ids,
            "signup_date": start.astype("datetime64[ns]") - signup_days_before_start,
            "birth_date": pd.Timestamp("1950-01-01") + birth_days_after_1950,
            "region": rng.choice(["north", "south"], n_customers),
            "income": rng.normal(40_000, 9_000, n_customers),
        }
    )
    return log, returns, people


def assert_same_frames(actual: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Exact for ids, text, counts and day counts; rtol 1e-9 for money."""
    assert list(actual.columns) == list(expected.columns)
    assert len(actual) == len(expected)
    for column in expected.columns:
        left, right = actual[column], expected[column]
        if column in ("customer_id", "region"):
            assert left.astype(object).tolist() == right.astype(object).tolist(), column
        elif pd.api.types.is_integer_dtype(right) or column in ("frequency", "recency", "T"):
            assert pd.api.types.is_integer_dtype(left) == pd.api.types.is_integer_dtype(right)
            np.testing.assert_array_equal(left.to_numpy(float), right.to_numpy(float), column)
        else:
            np.testing.assert_allclose(
                left.to_numpy(float), right.to_numpy(float), rtol=1e-9, atol=0, err_msg=column
            )


@pytest.fixture(scope="module")
def random_data():
    return random_tables()


@pytest.fixture(scope="module")
def pandas_results(random_data):
    log, returns, people = random_data
    return {
        "rfm": rfm_summary(log),
        "rfm_end": rfm_summary(log, observation_period_end="2023-09-30"),
        "features": customer_features(
            log, cutoff="2023-10-01", windows=(7, 30, 400), customers=people, returns=returns
        ),
        "labels": make_labels(log, cutoff="2023-10-01", horizon_days=30),
    }


def test_random_table_has_the_hard_cases(random_data, pandas_results):
    log = random_data[0]
    assert (log.groupby("customer_id").size() == 1).sum() >= 5  # one-time buyers
    assert log.duplicated(["customer_id", "timestamp"]).sum() >= 40  # identical timestamps
    features = pandas_results["features"]
    assert (features["spend_7d"] == 0).sum() > 10  # empty windows
    assert (features["frequency"] == 0).sum() > 0
    assert 0 < pandas_results["labels"]["label"].mean() < 1


@pytest.mark.parametrize("engine", ENGINES[1:])
def test_every_engine_gives_the_pandas_result(engine, random_data, pandas_results):
    log, returns, people = random_data
    native = to_engine(log, engine)
    results = {
        "rfm": rfm_summary(native),
        "rfm_end": rfm_summary(native, observation_period_end="2023-09-30"),
        "features": customer_features(
            native,
            cutoff="2023-10-01",
            windows=(7, 30, 400),
            customers=to_engine(people, engine),
            returns=to_engine(returns, engine),
        ),
        "labels": make_labels(native, cutoff="2023-10-01", horizon_days=30),
    }
    expected_type = pd.DataFrame if engine == "dask" else pl.DataFrame
    for name, result in results.items():
        assert type(result) is expected_type, name
        assert_same_frames(as_pandas(result), as_pandas(pandas_results[name]))


def test_results_follow_the_input_backend():
    log = tiny_transactions()
    assert isinstance(rfm_summary(log), pd.DataFrame)
    assert isinstance(rfm_summary(pl.from_pandas(log)), pl.DataFrame)
    assert isinstance(rfm_summary(pl.from_pandas(log).lazy()), pl.DataFrame)
    assert isinstance(rfm_summary(dd.from_pandas(log, npartitions=2)), pd.DataFrame)


def test_inputs_are_not_mutated(random_data):
    log, returns, people = random_data
    copies = [frame.copy(deep=True) for frame in (log, returns, people)]
    polars_log = pl.from_pandas(log)
    polars_copy = polars_log.clone()
    rfm_summary(log, observation_period_end="2023-06-30")
    customer_features(log, cutoff="2023-10-01", customers=people, returns=returns)
    make_labels(log, cutoff="2023-10-01", horizon_days=30, customers=people)
    customer_features(polars_log, cutoff="2023-10-01", customers=people, returns=returns)
    for frame, copy in zip((log, returns, people), copies, strict=True):
        pd.testing.assert_frame_equal(frame, copy)
    assert polars_log.equals(polars_copy)


def test_no_purchase_before_the_cutoff_gives_an_empty_table():
    result = customer_features(tiny_transactions(), cutoff="2023-12-01", windows=(30,))
    assert len(result) == 0
    assert "spend_30d" in result.columns


# --- bad input --------------------------------------------------------------------------


def test_missing_column_is_named():
    with pytest.raises(DataValidationError, match="transactions, column 'amount'"):
        rfm_summary(tiny_transactions().drop(columns="amount"))


def test_text_timestamps_are_rejected_with_examples():
    log = tiny_transactions().assign(timestamp=lambda t: t["timestamp"].astype(str))
    with pytest.raises(DataValidationError, match="expected dates or datetimes.*2024-01-01 09:00"):
        customer_features(log, cutoff="2024-01-09")


def test_negative_amounts_are_not_purchases():
    log = tiny_transactions()
    log.loc[2, "amount"] = -20.0
    with pytest.raises(DataValidationError, match="found 1 negative.*-20.0"):
        rfm_summary(pl.from_pandas(log))


@pytest.mark.parametrize("engine", ENGINES)
def test_a_window_that_holds_every_purchase_spends_exactly_the_total(engine):
    # Polars sums exact decimals: a window column that went through a float zero
    # (when/then/otherwise(0.0)) came back rounded, 4 customers in 50 a few 1e-12 off.
    rng = np.random.default_rng(3)
    log = pd.DataFrame(
        {
            "customer_id": rng.integers(0, 50, 2000).astype(str),
            "timestamp": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 20, 2000), "D"),
            "amount": rng.uniform(1, 99_999, 2000).round(6),
        }
    )
    features = as_pandas(
        customer_features(to_engine(log, engine), cutoff="2024-02-01", windows=(60,))
    )
    assert len(features) == 50
    np.testing.assert_array_equal(features["spend_60d"], features["total_spend"])


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("amount", [np.inf, 2e15, -3e15])
def test_amounts_too_large_to_be_money_are_reported(engine, amount):
    log, returns = tiny_transactions(), tiny_returns()
    log.loc[2, "amount"] = returns.loc[1, "amount"] = amount
    message = (
        f"column 'amount': expected finite amounts below 1e\\+15.*found 1.*{re.escape(str(amount))}"
    )
    with pytest.raises(DataValidationError, match="transactions, " + message):
        rfm_summary(to_engine(log, engine))
    with pytest.raises(DataValidationError, match="returns, " + message):
        customer_features(
            to_engine(tiny_transactions(), engine),
            cutoff="2024-01-09",
            returns=to_engine(returns, engine),
        )
    log.loc[2, "amount"] = 0.99e15  # below the bound: accepted
    assert rfm_rows(rfm_summary(to_engine(log, engine)))["a"][0] >= 0


def test_missing_ids_and_order_ids_are_reported():
    log = tiny_transactions()
    log.loc[1, "order_id"] = None
    with pytest.raises(DataValidationError, match="column 'order_id': expected no missing values"):
        customer_features(log, cutoff="2024-01-09")
    log = tiny_transactions()
    log.loc[1, "customer_id"] = None
    with pytest.raises(DataValidationError, match="column 'customer_id'"):
        make_labels(dd.from_pandas(log, npartitions=2), cutoff="2024-01-05", horizon_days=3)


def test_repeated_customer_rows_are_rejected():
    people = pd.concat([tiny_customers(), tiny_customers().iloc[[0]]], ignore_index=True)
    with pytest.raises(DataValidationError, match="customers, column 'customer_id'.*'a'"):
        customer_features(tiny_transactions(), cutoff="2024-01-09", customers=people)


def test_customer_ids_of_another_type_are_rejected():
    people = pd.DataFrame({"customer_id": [1, 2], "region": ["n", "s"]})
    with pytest.raises(
        DataValidationError, match="customers.*customer ids of the transactions' type"
    ):
        customer_features(tiny_transactions(), cutoff="2024-01-09", customers=people)
    with pytest.raises(DataValidationError, match="type String; found Int64 Examples: 1, 2"):
        make_labels(tiny_transactions(), cutoff="2024-01-05", horizon_days=3, customers=people)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cutoff": "2024-01-09 12:00"}, "calendar day"),
        ({"cutoff": "not a date"}, "date or datetime"),
        ({"cutoff": "2024-01-09", "windows": (30, 0)}, "positive whole number"),
    ],
)
def test_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        customer_features(tiny_transactions(), **kwargs)


def test_not_a_dataframe():
    with pytest.raises(DataValidationError, match="expected a pandas, Polars or Dask DataFrame"):
        rfm_summary([("a", "2024-01-01", 1.0)])


@pytest.mark.parametrize("lazy", [False, True])
def test_polars_hash_partitions_give_the_one_pass_result(random_data, pandas_results, lazy):
    log, returns, people = random_data
    native = pl.from_pandas(log).lazy() if lazy else pl.from_pandas(log)
    options = {"cutoff": "2023-10-01", "windows": (7, 30, 400), "customers": people}
    options["returns"] = returns
    whole = customer_features(native, **options)
    split = customer_features(native, partitions=3, **options)
    assert type(split) is pl.DataFrame
    # Bit for bit: Polars sums money as decimals, so the order in which its threads
    # meet a customer's rows cannot change a sum (see test_polars_sums_do_not_depend...).
    pd.testing.assert_frame_equal(as_pandas(split), as_pandas(whole), check_exact=True)
    assert_same_frames(as_pandas(split), as_pandas(pandas_results["features"]))


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_polars_sums_do_not_depend_on_the_order_of_the_rows(order):
    # In floats, (0.1 + 0.2) + 0.3 = 0.6000000000000001 but 0.1 + (0.2 + 0.3) = 0.6:
    # a Polars float sum changed with its threads' order from run to run. Summed as
    # decimals, every order gives 0.6, for the purchases and for the returns.
    amounts = list(np.array([0.1, 0.2, 0.3])[list(order)])
    days = ["2024-01-02"] * 3 + ["2024-01-05"] * 3 + ["2024-01-03"]
    log = pd.DataFrame(
        {
            "customer_id": ["a"] * 6 + ["b"],
            "timestamp": pd.to_datetime(days),
            "amount": [*amounts, *amounts[::-1], 5.0],
        }
    )
    returns = log.iloc[:3].assign(amount=[-a for a in amounts])
    features = as_pandas(
        customer_features(
            pl.from_pandas(log), cutoff="2024-01-09", windows=(30,), returns=pl.from_pandas(returns)
        )
    ).set_index("customer_id")
    assert features.loc["a", "total_spend"] == 1.2
    assert features.loc["a", "spend_30d"] == 1.2
    assert features.loc["a", "returns_rate"] == 0.5
    rfm = as_pandas(rfm_summary(pl.from_pandas(log))).set_index("customer_id")
    assert rfm.loc["a", "frequency"] == 1
    assert rfm.loc["a", "monetary_value"] == 0.6


def test_partitions_must_be_a_positive_whole_number():
    with pytest.raises(ValueError, match="partitions must be a positive whole number"):
        customer_features(pl.from_pandas(tiny_transactions()), cutoff="2024-01-09", partitions=0)
