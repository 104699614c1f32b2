"""The charts of the reports read correctly: axis labels that say something."""
from __future__ import annotations

import pytest

from reports.charts import bar_figure


def axis_labels(figure) -> list[str]:
    figure.canvas.draw()
    ax = figure.axes[0]
    low, high = ax.get_xlim()
    return [t.get_text() for t in ax.get_xticklabels() if low <= t.get_position()[0] <= high]


@pytest.mark.parametrize("values", [[0.02, 0.0], [0.4, 0.9], [3.5, 1.0]])
def test_small_lead_times_get_distinct_axis_labels(values):
    labels = axis_labels(bar_figure(["Onderhoud openbaar domein", "Vrije tijd"], values, "Doorlooptijd",
                                    decimals=1))
    assert len(labels) >= 3 and len(set(labels)) == len(labels), labels
    assert all("," in label or label == "0" for label in labels)  # Dutch decimal comma


def test_counts_keep_whole_numbers_on_the_axis():
    labels = axis_labels(bar_figure(["Netheid", "Verlichting"], [12, 3], "Meldingen"))
    assert labels and all(label.replace(".", "").isdigit() for label in labels), labels
