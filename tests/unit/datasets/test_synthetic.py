"""Tests of the synthetic marketing data generator.

Every number checked here is re-derived from the generated tables with plain
pandas, independently of how the generator computed it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from marketing_utils.datasets._synthetic_campaign import purchase_truth
from marketing_utils.datasets._synthetic_config import CATEGORIES, PERSONAS
from marketing_utils.datasets._synthetic_customers import NEVER
from marketing_utils.datasets._synthetic_defects import (
    CUSTOMER_DEFECT_RATES,
    TRANSACTION_DEFECT_RATES,
)
from marketing_utils.datasets.synthetic import SyntheticData, make_synthetic
from marketing_utils.schema import TABLE_COLUMNS, MarketingData, raw_schema

N_CUSTOMERS = 4_000
SEED = 7
TRANSACTION_KEYS = (
    "duplicate_rows",
    "missing_customer_id",
    "unknown_customer",
    "future_dated",
    "return_or_cancellation",
    "nonpositive_price",
    "category_label_normalized",
    "extreme_quantity_capped",
)
CUSTOMER_KEYS = ("missing_income", "missing_region", "missing_gender", "missing_birth_date")


@pytest.fixture(scope="module")
def clean() -> SyntheticData:
    return make_synthetic(N_CUSTOMERS, seed=SEED, dirty=False)


@pytest.fixture(scope="module")
def dirty() -> SyntheticData:
    return make_synthetic(N_CUSTOMERS, seed=SEED)


def _normalized_category(category: pd.Series) -> pd.Series:
    return category.str.strip().str.replace(r"\s+", " ", regex=True).str.lower()


def _transaction_flags(data: SyntheticData) -> pd.DataFrame:
    """One boolean column per transaction defect, derived from the table alone."""
    tx = data.transactions
    end = pd.Timestamp(data.info["observation_end"])
    known = tx["customer_id"].isin(data.customers["customer_id"])
    return pd.DataFrame(
        {
            "duplicate_rows": tx.duplicated(keep="first"),
            "missing_customer_id": tx["customer_id"].isna(),
            "unknown_customer": tx["customer_id"].notna() & ~known,
            "future_dated": tx["timestamp"] > end,
            "return_or_cancellation": tx["quantity"] < 0,
            "nonpositive_price": tx["unit_price"] <= 0,
            "category_label_normalized": tx["category"] != _normalized_category(tx["category"]),
            "extreme_quantity_capped": tx["quantity"] >= 100,
        }
    )


def _customer_flags(data: SyntheticData) -> pd.DataFrame:
    customers = data.customers
    return pd.DataFrame(
        {key: customers[key.removeprefix("missing_")].isna() for key in CUSTOMER_KEYS}
    )


def _derived_counts(data: SyntheticData) -> dict[str, int]:
    flags = pd.concat([_transaction_flags(data).sum(), _customer_flags(data).sum()])
    return {key: int(value) for key, value in flags.items()}


def _behaviour(data: SyntheticData) -> pd.DataFrame:
    """Per-customer frequency, spend per order, recency and category shares before cutoff."""
    cutoff = pd.Timestamp(data.info["cutoff"])
    tx = data.transactions[data.transactions["timestamp"] < cutoff]
    orders = tx.groupby(["customer_id", "order_id"]).agg(
        timestamp=("timestamp", "first"), value=("amount", "sum")
    )
    per_customer = orders.groupby("customer_id").agg(
        frequency=("value", "size"), spend=("value", "sum"), last=("timestamp", "max")
    )
    shares = tx.pivot_table(
        index="customer_id", columns="category", values="amount", aggfunc="sum", fill_value=0.0
    )
    shares = shares.div(shares.sum(axis=1), axis=0).add_prefix("share_")
    return pd.DataFrame(
        {
            "log_frequency": np.log(per_customer["frequency"]),
            "log_spend_per_order": np.log(per_customer["spend"] / per_customer["frequency"]),
            "recency_days": (cutoff - per_customer["last"]).dt.days,
        }
    ).join(shares)


# --- determinism, types and parameters ---------------------------------------------------


def test_same_seed_gives_identical_data_and_another_seed_does_not():
    first = make_synthetic(800, seed=11)
    second = make_synthetic(800, seed=11)
    for name, table in first.tables().items():
        pd.testing.assert_frame_equal(table, getattr(second, name))
    pd.testing.assert_frame_equal(first.truth, second.truth)
    assert first.defects == second.defects
    assert first.info == second.info

    other = make_synthetic(800, seed=12)
    assert not other.customers.equals(first.customers)
    assert not other.transactions.equals(first.transactions)


def test_result_is_a_marketing_data_with_synthetic_source(clean):
    assert isinstance(clean, MarketingData)
    assert clean.source == "synthetic"
    assert set(clean.tables()) == {"customers", "transactions", "products", "campaign"}
    assert {"transactions.product_id", "campaign.treatment"} <= clean.capabilities()


@pytest.mark.parametrize("which", ["clean", "dirty"])
@pytest.mark.parametrize("table", list(TABLE_COLUMNS))
def test_tables_have_exactly_the_raw_schema_dtypes(request, which, table):
    frame = getattr(request.getfixturevalue(which), table)
    for column, dtype, _ in TABLE_COLUMNS[table]:
        if (table, column) == ("transactions", "description"):
            # The synthetic text is in the products table; own exports carry it on the lines.
            assert column not in frame.columns
            continue
        assert str(frame[column].dtype) == dtype, column
    raw_schema(table).validate(frame)


def test_info_describes_the_window(clean):
    assert clean.info["observation_end"] == "2025-12-31"
    # 2025-10-02 + 90 days = 2025-12-31 (29 days left in October, 30 in November, 31 in December).
    assert clean.info["cutoff"] == "2025-10-02"
    assert clean.info["horizon_days"] == 90
    assert clean.info["n_personas"] == 5
    assert len(set(clean.truth["persona"])) == 5


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"n_customers": 0}, "n_customers"),
        ({"n_products": 7}, "n_products"),
        ({"horizon_days": 0}, "horizon_days"),
        ({"seed": -1}, "seed"),
        ({"start": "not a date"}, "start"),
        ({"end": "2025-12-31 12:00"}, "end"),
        ({"cutoff": "2025-12-01"}, "cutoff"),
        ({"cutoff": "2022-06-01"}, "cutoff"),
    ],
)
def test_bad_arguments_are_rejected_by_name(kwargs, named):
    arguments = {"n_customers": 50, **kwargs}
    with pytest.raises(ValueError, match=named):
        make_synthetic(**arguments)


# --- defects ---------------------------------------------------------------------------------


def test_recorded_defect_counts_equal_counts_derived_from_the_tables(dirty):
    assert set(dirty.defects) == set(TRANSACTION_KEYS + CUSTOMER_KEYS)
    assert _derived_counts(dirty) == dirty.defects
    # Every kind of defect is actually present at this size, so the check has teeth.
    assert all(count > 0 for count in dirty.defects.values())


def test_defect_rates_are_modest_and_as_configured(dirty):
    # Each count is binomial on the clean rows (customers), so it lies within a few
    # standard deviations of its configured rate, and every rate is at most 2%.
    n_clean_rows = (
        len(dirty.transactions)
        - dirty.defects["duplicate_rows"]
        - dirty.defects["return_or_cancellation"]
    )
    sizes = {key: n_clean_rows for key in TRANSACTION_KEYS}
    sizes |= {key: len(dirty.customers) for key in CUSTOMER_KEYS}
    rates = TRANSACTION_DEFECT_RATES | CUSTOMER_DEFECT_RATES
    for key, size in sizes.items():
        assert 0.001 <= rates[key] <= 0.02, key
        noise = 4 * np.sqrt(rates[key] * (1 - rates[key]) / size)
        assert dirty.defects[key] / size == pytest.approx(rates[key], abs=noise), key


def test_clean_data_has_no_defects(clean):
    assert clean.defects == dict.fromkeys(TRANSACTION_KEYS + CUSTOMER_KEYS, 0)
    assert all(count == 0 for count in _derived_counts(clean).values())
    tx = clean.transactions
    assert tx["quantity"].max() <= 10 * tx["quantity"].quantile(0.99)
    assert (tx["unit_price"] > 0).all()
    assert tx["timestamp"].max() < pd.Timestamp("2025-12-31")


def test_each_defective_row_carries_exactly_one_defect(dirty):
    assert _transaction_flags(dirty).sum(axis=1).max() == 1
    assert _customer_flags(dirty).sum(axis=1).max() == 1


def test_defects_change_only_their_own_columns_of_otherwise_clean_rows(clean, dirty):
    flags = _transaction_flags(dirty)
    added = flags["duplicate_rows"] | flags["return_or_cancellation"]
    aligned = dirty.transactions[~added].reset_index(drop=True)
    aligned_flags = flags[~added].reset_index(drop=True)
    reference = clean.transactions
    assert len(aligned) == len(reference)

    untouched = ~aligned_flags.any(axis=1)
    pd.testing.assert_frame_equal(aligned[untouched], reference[untouched])
    expected_changes = {
        "missing_customer_id": {"customer_id"},
        "unknown_customer": {"customer_id"},
        "future_dated": {"timestamp"},
        "nonpositive_price": {"unit_price", "amount"},
        "category_label_normalized": {"category"},
        "extreme_quantity_capped": {"quantity", "amount"},
    }
    for key, columns in expected_changes.items():
        rows = aligned_flags[key]
        changed = {
            column
            for column in reference.columns
            if not aligned.loc[rows, column].equals(reference.loc[rows, column])
        }
        assert changed == columns, key


def test_duplicates_are_exact_copies_and_returns_reverse_earlier_sales(clean, dirty):
    tx = dirty.transactions
    flags = _transaction_flags(dirty)
    copies = tx[flags["duplicate_rows"]]
    assert len(copies.merge(clean.transactions)) == len(copies)

    returns = tx[flags["return_or_cancellation"]]
    assert returns["order_id"].str.startswith("R").all()
    sales = clean.transactions.assign(order_id="R" + clean.transactions["order_id"].str.slice(1))
    matched = returns.merge(
        sales, on=["customer_id", "order_id", "product_id"], suffixes=("", "_sale")
    )
    assert len(matched) == len(returns)
    assert (matched["timestamp"] > matched["timestamp_sale"]).all()
    assert (matched["timestamp"] <= pd.Timestamp("2025-12-31")).all()
    assert (matched["quantity"] < 0).all()
    assert (-matched["quantity"] <= matched["quantity_sale"]).all()
    assert (matched["unit_price"] == matched["unit_price_sale"]).all()
    assert np.allclose(matched["amount"], (matched["quantity"] * matched["unit_price"]).round(2))


def test_corrupted_values_look_like_real_defects(dirty):
    tx = dirty.transactions
    flags = _transaction_flags(dirty)
    unknown = tx.loc[flags["unknown_customer"], "customer_id"]
    assert unknown.str.fullmatch(r"C\d{6}").all()
    future = tx.loc[flags["future_dated"], "timestamp"]
    assert (future.dt.normalize() > pd.Timestamp("2025-12-31")).all()
    labels = _normalized_category(tx.loc[flags["category_label_normalized"], "category"])
    assert set(labels) <= set(CATEGORIES)
    bulk = tx[flags["extreme_quantity_capped"]]
    assert bulk["quantity"].between(100, 1000).all()
    assert np.allclose(bulk["amount"], (bulk["quantity"] * bulk["unit_price"]).round(2))
    free = tx[flags["nonpositive_price"]]
    assert (free["quantity"] > 0).all()
    assert np.allclose(free["amount"], (free["quantity"] * free["unit_price"]).round(2))


def test_defects_are_spread_through_the_table(dirty):
    flags = _transaction_flags(dirty)
    n_rows = len(flags)
    for key in TRANSACTION_KEYS:
        positions = np.flatnonzero(flags[key].to_numpy())
        assert positions.min() < n_rows / 2, key


# --- shape of the clean data -----------------------------------------------------------------


def test_products_have_ids_names_and_canonical_categories(clean):
    products = clean.products
    assert len(products) == 500
    assert products["product_id"].is_unique
    number = products["product_id"].str.slice(1).astype(int)
    expected_name = products["category"].str.capitalize() + " item " + number.astype(str)
    assert (products["name"] == expected_name).all()
    assert set(products["category"]) == set(CATEGORIES)
    assert (products["price"] > 0).all()


def test_transaction_lines_are_consistent_with_products_and_orders(clean):
    tx = clean.transactions
    assert tx["customer_id"].str.fullmatch(r"C\d{6}").all()
    assert not tx.duplicated(["order_id", "product_id"]).any()
    per_order = tx.groupby("order_id").agg(
        customers=("customer_id", "nunique"), times=("timestamp", "nunique")
    )
    assert (per_order[["customers", "times"]] == 1).all().all()
    priced = tx.merge(clean.products, on="product_id", suffixes=("", "_product"))
    assert (priced["category"] == priced["category_product"]).all()
    assert (priced["unit_price"] <= priced["price"]).all()
    assert 0.05 < (priced["unit_price"] < priced["price"]).mean() < 0.5
    assert np.allclose(tx["amount"], (tx["quantity"] * tx["unit_price"]).round(2))
    assert (tx["quantity"] <= 3).mean() > 0.9
    ordered = tx.sort_values(["timestamp", "order_id"], kind="stable")
    assert ordered.index.equals(tx.index)


def test_personal_data_is_plausible_and_unique(clean):
    customers = clean.customers
    for column in ("name", "email", "phone", "address"):
        assert customers[column].is_unique, column
    assert customers["email"].str.fullmatch(r"[a-z._]+\d+@(mail\.)?example\.(com|net|org)").all()
    assert customers["phone"].str.contains("555").all()
    assert customers["name"].str.fullmatch(r"[A-Z][a-z]+ [A-Z]\. [A-Z][A-Za-z']+").all()
    assert customers["address"].str.fullmatch(r"\d+ .+, .+, [A-Z]{2} \d{5}").all()


def test_customers_buy_from_signup_until_they_drop_out(clean):
    tx = clean.transactions
    truth = clean.truth.set_index("customer_id")
    start = pd.Timestamp(clean.info["observation_start"])
    cutoff = pd.Timestamp(clean.info["cutoff"])
    first = tx.groupby("customer_id")["timestamp"].min()
    last = tx.groupby("customer_id")["timestamp"].max()
    assert first.index.sort_values().equals(truth.index.sort_values())
    signup = clean.customers.set_index("customer_id")["signup_date"].loc[first.index]
    # New customers place their first order on the day they sign up; the established
    # base signed up before the window opened, and its earlier orders are not in the data.
    new = signup >= start
    assert (first[new].dt.normalize() == signup[new]).all()
    assert (first[~new] > start).all()
    assert 0.25 < 1 - new.mean() < 0.45
    # Customers drop out right after an order, so the dropout date is the last order.
    dropout = truth.loc[first.index, "dropout_date"]
    dropped = dropout.notna()
    assert (last[dropped] == dropout[dropped]).all()
    assert 0.4 < dropped.mean() < 0.65
    acquired = first.reindex(truth.index) < cutoff
    alive = acquired & ~(truth["dropout_date"] < cutoff)
    assert (truth["acquired_before_cutoff"] == acquired).all()
    assert (truth["alive_at_cutoff"] == alive).all()


def test_dropped_out_customers_show_long_silences(clean):
    # Dropout is what recency and frequency can reveal: the silence since the last
    # order is long for customers who left and short for those still buying.
    cutoff = pd.Timestamp(clean.info["cutoff"])
    tx = clean.transactions[clean.transactions["timestamp"] < cutoff]
    recency = (cutoff - tx.groupby("customer_id")["timestamp"].max()).dt.days
    alive = clean.truth.set_index("customer_id").loc[recency.index, "alive_at_cutoff"]
    assert recency[~alive].median() > 3 * recency[alive].median()
    assert roc_auc_score(~alive, recency) > 0.85


# --- truth -----------------------------------------------------------------------------------


def test_purchased_in_horizon_matches_the_clean_transactions(clean):
    cutoff = pd.Timestamp(clean.info["cutoff"])
    window_end = cutoff + pd.Timedelta(days=clean.info["horizon_days"])
    tx = clean.transactions
    in_window = tx[(tx["timestamp"] > cutoff) & (tx["timestamp"] <= window_end)]
    expected = clean.truth["customer_id"].isin(in_window["customer_id"])
    assert (clean.truth["purchased_in_horizon"] == expected).all()
    # Among the customers who bought before the cutoff, a minority buys again in the
    # window, so that ranking them is worth a model (top-decile lift well above 1).
    scored = clean.truth["acquired_before_cutoff"]
    assert 0.18 < expected[scored].mean() < 0.32


def test_true_purchase_prob_ranks_and_matches_outcomes(clean):
    truth = clean.truth
    scored = truth[truth["true_purchase_prob"].notna()]
    assert (
        scored["customer_id"] == truth.loc[truth["acquired_before_cutoff"], "customer_id"]
    ).all()
    assert (scored.loc[~scored["alive_at_cutoff"], "true_purchase_prob"] == 0).all()
    assert roc_auc_score(scored["purchased_in_horizon"], scored["true_purchase_prob"]) > 0.75
    # It is the generating probability, so it is calibrated on average.
    gap = scored["true_purchase_prob"].mean() - scored["purchased_in_horizon"].mean()
    assert abs(gap) < 0.03
    # It is spread over the unit interval, not piled up at 0 and 1, and its top
    # decile buys at more than 2.8 times the base rate (3.3 at 20,000 customers).
    probability = scored["true_purchase_prob"]
    assert probability.between(0.2, 0.8).mean() > 0.25
    top = probability.rank(method="first", ascending=False) <= np.ceil(len(scored) / 10)
    bought = scored["purchased_in_horizon"]
    assert bought[top].mean() / bought.mean() > 2.8


@pytest.mark.parametrize("regularity", [1.0, 3.0])
def test_purchase_probability_formula_matches_a_simulation(regularity):
    n_days, cutoff, horizon = 200, 40, 90
    # A quiet start and a busy window, like the run-up to the holidays.
    season = np.where(np.arange(n_days) < 60, 0.5, 1.5)
    intensity = np.vstack([season] * len(PERSONAS))
    rate = 0.02  # orders per day at multiplier 1
    level_at_day = rate * np.concatenate([[0.0], np.cumsum(season)])
    # Customer 0 last ordered at noon on day 25 and is alive; customer 1 dropped out
    # right after its order on day 25; customer 2 first ordered after the cutoff.
    last_level = level_at_day[25] + rate * season[25] * 0.5
    population = {
        "persona": np.zeros(3, dtype=int),
        "rate": np.full(3, rate),
        "first_day": np.array([10, 10, 50]),
        "dropout_day": np.array([NEVER, 25, NEVER]),
    }
    order_customer = np.array([0, 1, 0, 1, 2])
    order_day = np.array([10, 10, 25, 25, 50])
    order_level = np.array([level_at_day[10]] * 2 + [last_level] * 2 + [level_at_day[50]])
    truth = purchase_truth(
        population,
        order_customer,
        order_day,
        order_level,
        intensity,
        cutoff_day=cutoff,
        horizon_days=horizon,
        regularity=regularity,
    )
    # Independent Monte Carlo: gaps to the next order in operational time, kept when
    # no order came between the last one and the cutoff.
    gaps = np.random.default_rng(0).gamma(regularity, 1.0 / regularity, 2_000_000)
    next_level = last_level + gaps[last_level + gaps > level_at_day[cutoff]]
    simulated = (next_level < level_at_day[cutoff + horizon]).mean()
    assert truth["true_purchase_prob"][0] == pytest.approx(simulated, abs=0.003)
    if regularity == 1.0:
        # Poisson: 1 - exp(-expected orders in the window), whatever the past.
        expected = 1.0 - np.exp(-rate * season[cutoff : cutoff + horizon].sum())
        assert truth["true_purchase_prob"][0] == pytest.approx(expected, rel=1e-9)
    assert truth["true_purchase_prob"][1] == 0.0
    assert np.isnan(truth["true_purchase_prob"][2])
    assert truth["alive_at_cutoff"].tolist() == [True, False, False]
    assert truth["acquired_before_cutoff"].tolist() == [True, True, False]
    assert truth["purchased_in_horizon"].tolist() == [False, False, True]


def test_new_customers_come_in_the_configured_persona_shares(clean):
    truth = clean.truth
    new = truth["signup_date"] >= pd.Timestamp(clean.info["observation_start"])
    shares = truth.loc[new, "persona"].value_counts(normalize=True)
    total = sum(persona.share for persona in PERSONAS)
    for persona in PERSONAS:
        assert shares[persona.name] == pytest.approx(persona.share / total, abs=0.03)
    # Customers who never come back hardly survive into the established base.
    established = truth.loc[~new, "persona"].value_counts(normalize=True)
    assert established.get("dormant_one_timer", 0.0) < 0.05


def test_personas_are_recoverable_from_behaviour(clean):
    features = _behaviour(clean)
    persona = clean.truth.set_index("customer_id").loc[features.index, "persona"]
    train_x, test_x, train_y, test_y = train_test_split(
        features, persona, test_size=0.3, random_state=0, stratify=persona
    )
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    assert model.fit(train_x, train_y).score(test_x, test_y) >= 0.8


# --- campaign --------------------------------------------------------------------------------


def test_campaign_is_a_randomized_test_of_customers_acquired_before_cutoff(clean):
    campaign, truth = clean.campaign, clean.truth
    cutoff = pd.Timestamp(clean.info["cutoff"])
    first_order = clean.transactions.groupby("customer_id")["timestamp"].min()
    bought_before = first_order.index[first_order < cutoff]
    eligible = clean.customers.loc[
        clean.customers["customer_id"].isin(bought_before), "customer_id"
    ]
    assert campaign["customer_id"].tolist() == eligible.tolist()
    assert 0.45 <= campaign["treatment"].mean() <= 0.55
    assert set(campaign["response"]) == {0, 1}
    assert ((campaign["spend"] > 0) == (campaign["response"] == 1)).all()
    outside = truth[~truth["customer_id"].isin(campaign["customer_id"])]
    assert outside["true_uplift"].isna().all() and outside["uplift_type"].isna().all()


def test_uplift_types_have_the_documented_effects(clean):
    truth = clean.truth.dropna(subset=["true_uplift"])
    assert np.allclose(
        truth["true_uplift"], truth["p_response_treated"] - truth["p_response_control"]
    )
    by_type = truth.groupby("uplift_type")
    assert (by_type.get_group("sleeping_dog")["true_uplift"] < 0).all()
    assert (by_type.get_group("persuadable")["true_uplift"] > 0).all()
    for neutral in ("sure_thing", "lost_cause"):
        assert (by_type.get_group(neutral)["true_uplift"] == 0).all()
    base = by_type["p_response_control"].mean()
    assert base.idxmax() == "sure_thing"
    assert base["lost_cause"] < base["persuadable"] < base["sleeping_dog"]


def test_observed_responses_show_the_effects(clean):
    observed = clean.campaign.merge(clean.truth[["customer_id", "uplift_type"]])
    rates = observed.groupby(["uplift_type", "treatment"])["response"].mean().unstack()
    effect = rates[1] - rates[0]
    assert effect["persuadable"] > 0.1
    assert effect["sleeping_dog"] < -0.05
    assert abs(effect["sure_thing"]) < 0.08
    assert rates.loc["sure_thing", 0] > 0.3


# --- seasonality and trend -------------------------------------------------------------------


def test_sales_peak_in_november_december_and_on_weekends(clean):
    tx = clean.transactions
    year = tx[tx["timestamp"].dt.year == 2024]
    revenue_per_day = year.groupby(year["timestamp"].dt.normalize())["amount"].sum()
    holiday = revenue_per_day[revenue_per_day.index.month.isin([11, 12])]
    assert holiday.mean() > 1.3 * revenue_per_day.mean()
    # Months placed symmetrically around the summer cancel the growth trend.
    summer = revenue_per_day[revenue_per_day.index.month.isin([7, 8])]
    around = revenue_per_day[revenue_per_day.index.month.isin([5, 6, 9, 10])]
    assert summer.mean() < 0.95 * around.mean()
    weekend = tx["timestamp"].dt.day_of_week >= 5
    assert tx.loc[weekend, "amount"].sum() / tx["amount"].sum() > 2 / 7 + 0.03


def test_sales_grow_steadily_from_year_to_year(clean):
    # An established customer base from the first day plus growing acquisition:
    # no ramp-up year, but steady growth of 5% to 30% a year.
    tx = clean.transactions
    revenue = tx.groupby(tx["timestamp"].dt.year)["amount"].sum()
    growth = revenue.pct_change().dropna()
    assert list(growth.index) == [2024, 2025]
    assert growth.between(0.05, 0.30).all()
