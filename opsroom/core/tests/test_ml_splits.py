"""Time-based splits: train on the past, test on what came after."""

from datetime import UTC, datetime, timedelta

import pytest

from opsroom.core.errors import InvalidInput
from opsroom.core.ml.splits import rolling_origin_folds, time_split

START = datetime(2026, 1, 1, tzinfo=UTC)


def _days(*offsets):
    return [START + timedelta(days=d) for d in offsets]


def test_a_cut_at_a_date_puts_earlier_rows_in_training():
    times = _days(5, 0, 9, 3, 7)
    split = time_split(timestamps=times, cut=START + timedelta(days=5))
    assert sorted(split.train.tolist()) == [1, 3]
    assert sorted(split.test.tolist()) == [0, 2, 4]


def test_without_a_date_the_latest_fraction_is_held_back():
    times = _days(*range(100))[::-1]  # newest first: order must not matter
    split = time_split(timestamps=times, test_fraction=0.2)
    assert len(split.test) == 20
    assert max(times[i] for i in split.train) < min(times[i] for i in split.test)
    assert split.cut == START + timedelta(days=80)


def test_rows_at_the_same_instant_stay_together():
    times = _days(0, 1, 2, 2, 2, 2)
    split = time_split(timestamps=times, test_fraction=0.2)
    assert sorted(split.test.tolist()) == [2, 3, 4, 5]


@pytest.mark.parametrize(
    ("times", "cut"),
    [
        ([], None),
        (_days(1, 2), START + timedelta(days=10)),
        (_days(1, 2), START),
        ([datetime(2026, 1, 1), datetime(2026, 1, 2)], None),
    ],
    ids=["no-rows", "all-before", "all-after", "naive"],
)
def test_a_split_that_cannot_be_made_is_refused(times, cut):
    with pytest.raises(InvalidInput):
        time_split(timestamps=times, cut=cut)


def test_rolling_origin_folds_expand_and_never_look_ahead():
    times = _days(*range(100))
    folds = rolling_origin_folds(timestamps=times, folds=4, min_train_fraction=0.6)
    assert len(folds) == 4
    train_sizes = [len(fold.train) for fold in folds]
    assert train_sizes == sorted(train_sizes)
    assert train_sizes[0] == 60
    tested = []
    for fold in folds:
        assert max(times[i] for i in fold.train) < min(times[i] for i in fold.test)
        tested += fold.test.tolist()
    assert sorted(tested) == list(range(60, 100))  # each later row is tested exactly once


def test_rolling_origin_folds_with_a_horizon():
    times = _days(*range(100))
    folds = rolling_origin_folds(
        timestamps=times, folds=2, horizon=timedelta(days=5), min_train_fraction=0.5
    )
    assert [len(fold.test) for fold in folds] == [5, 5]
    assert [fold.cut for fold in folds] == [START + timedelta(days=50), START + timedelta(days=75)]


def test_too_few_rows_make_no_fold():
    with pytest.raises(InvalidInput):
        rolling_origin_folds(timestamps=_days(0, 0, 0), folds=2)
