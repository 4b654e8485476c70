"""House-style helpers: the text colour of a heat-map cell."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

from marketing_utils.plotting import cell_text_color


@pytest.mark.parametrize(
    ("cmap", "value", "expected"),
    [
        ("Blues", 0.0, "black"),  # near white
        ("Blues", 1.0, "white"),  # navy
        ("viridis", 0.0, "white"),  # dark purple
        ("viridis", 1.0, "black"),  # yellow
        ("Greys", 0.5, "black"),  # mid grey (sRGB ~0.59, luminance ~0.31)
    ],
)
def test_cell_text_color_follows_the_cells_luminance(cmap, value, expected):
    fig, ax = plt.subplots()
    image = ax.imshow([[0.0, 1.0]], cmap=cmap, vmin=0, vmax=1)
    assert cell_text_color(image, value) == expected
    assert cell_text_color(image, float("nan")) == "black"
    plt.close(fig)
