"""The protocol's metrics: accuracy reports, confusion matrices and the transfer metrics (docs/design.md#metrics)."""
from __future__ import annotations

import numpy as np
import pytest

from synta.benchmark.metrics import METRIC_KEYS, accuracy_report, confusion_matrix, mean_metrics, transfer_metrics


def test_transfer_metrics_reproduce_the_paper():
    m = transfer_metrics(88.01, 38.81)
    assert (round(m["known"], 2), round(m["unknown"], 2)) == (88.01, 38.81)
    assert round(m["d_abs"], 2) == 49.20
    assert round(m["hm"], 2) == 53.87
    assert m["d_rel"] == pytest.approx(100 * 49.20 / 88.01)
    assert tuple(m) == METRIC_KEYS


def test_transfer_metrics_edge_cases():
    assert transfer_metrics(70, None) == {"known": 70.0, "unknown": None, "d_abs": None, "d_rel": None, "hm": None}
    zero = transfer_metrics(0, 0)
    assert zero["hm"] == 0.0 and zero["d_abs"] == 0.0 and zero["d_rel"] is None  # relative to a K of 0
    assert transfer_metrics(40, 60)["d_abs"] == -20.0  # better on the unknown set: a negative gap, not clipped


def test_mean_of_directions_averages_each_per_direction_metric():
    one, two = transfer_metrics(80, 40), transfer_metrics(60, 20)
    mean = mean_metrics([one, two])
    assert mean["known"] == 70 and mean["unknown"] == 30 and mean["d_abs"] == 40
    assert mean["d_rel"] == pytest.approx((50 + 100 * 40 / 60) / 2)
    assert mean["hm"] == pytest.approx((2 * 80 * 40 / 120 + 2 * 60 * 20 / 80) / 2)  # 41.67
    assert mean["hm"] != pytest.approx(transfer_metrics(70, 30)["hm"])  # not the HM of the mean accuracies (42)


def test_mean_metrics_with_missing_unknown():
    mean = mean_metrics([transfer_metrics(50, None), transfer_metrics(40, None)])
    assert mean == {"known": 45.0, "unknown": None, "d_abs": None, "d_rel": None, "hm": None}
    # one direction lacking a metric makes its mean unknown rather than the other direction's value
    assert mean_metrics([transfer_metrics(50, 30), transfer_metrics(40, None)])["unknown"] is None
    with pytest.raises(ValueError, match="no directions"):
        mean_metrics([])


def test_confusion_matrix_counts_true_by_predicted():
    cm = confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], num_classes=4)
    expected = np.array([[1, 1, 0, 0], [0, 1, 0, 0], [1, 0, 2, 0], [0, 0, 0, 0]])
    np.testing.assert_array_equal(cm, expected)
    assert cm.dtype == np.int64


def test_accuracy_report():
    # class 0: 1/2 right, class 1: 1/1, class 2: 2/3, class 3: no videos
    report = accuracy_report([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], num_classes=4)
    assert report["top1"] == pytest.approx(100 * 4 / 6)
    assert report["per_class"][:3] == pytest.approx([50.0, 100.0, 100 * 2 / 3]) and report["per_class"][3] is None
    assert report["mean_class"] == pytest.approx((50 + 100 + 200 / 3) / 3)  # classes without videos left out
    assert report["support"] == [2, 1, 3, 0] and report["num_videos"] == 6
    assert report["confusion"][2] == [1, 0, 2, 0]
    empty = accuracy_report([], [], num_classes=3)
    assert (empty["top1"], empty["mean_class"], empty["num_videos"]) == (0.0, 0.0, 0)
