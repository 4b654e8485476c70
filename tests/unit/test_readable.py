"""Tests of marketing_utils.readable: what a reader sees instead of a Python repr."""

from __future__ import annotations

import numpy as np
import pytest

from marketing_utils.readable import readable_mapping, readable_value


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.2998255560401221, "0.3"),
        (0.004207988669606638, "0.00421"),
        (52.142857142857146, "52.1"),
        (187, "187"),
        (np.int64(5500), "5,500"),
        (11198.0, "11,198"),
        (12080.098072838418, "12,080"),
        (-5310.4, "-5,310"),
        (1.0, "1"),
        (np.float64(0.5), "0.5"),
        (True, "yes"),
        (np.bool_(False), "no"),
        (None, "none"),
        (float("nan"), "nan"),
        ("purchase_in_horizon", "purchase in horizon"),
        ([0.25, 3], "0.25, 3"),
    ],
)
def test_readable_value(value, text):
    assert readable_value(value) == text


def test_readable_mapping_nests_and_keeps_the_order():
    label = {"kind": "purchase_in_horizon", "cutoff": "2025-10-02", "horizon_days": 90,
             "rate": 0.2998255560401221, "positives": 5500}  # fmt: skip
    assert readable_mapping(label) == (
        "kind purchase in horizon; cutoff 2025-10-02; horizon days 90; rate 0.3; positives 5,500"
    )
    assert readable_mapping({"a": {"b_c": 0.123456}}, digits=2) == "a (b c 0.12)"
    assert readable_mapping({}) == "none"
