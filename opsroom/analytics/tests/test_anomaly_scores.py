"""The anomaly evaluation command on series it has never seen: output, no look-ahead, refusals."""

import csv
import io
import json

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from opsroom.analytics.anomaly.detectors import DETECTORS, anomaly_scores
from opsroom.analytics.anomaly.evaluation import Tally, labelled_series, tally


def _write(path, series, *, header=True, iso=True):
    lines = ["timestamp,value"] if header else []
    for stamp, value in zip(series.timestamps, series.values, strict=True):
        if iso:
            label = np.datetime_as_string(np.datetime64(int(stamp), "s"))
            lines.append(f"{label.replace('T', ' ')},{value}")
        else:
            lines.append(f"{int(stamp)},{value}")
    path.write_text("\n".join(lines) + "\n")


def _run(*args):
    out = io.StringIO()
    call_command("analytics_anomaly_scores", *args, stdout=out)
    return out.getvalue()


def test_it_writes_one_score_in_0_1_per_row_as_csv(tmp_path):
    series = labelled_series(901, points=24 * 7 * 3)
    path = tmp_path / "series.csv"
    _write(path, series)

    rows = list(csv.DictReader(io.StringIO(_run(str(path)))))

    assert len(rows) == len(series.values)
    assert list(rows[0]) == ["timestamp", "value", "score"]
    scores = np.array([float(row["score"]) for row in rows])
    assert ((scores >= 0) & (scores <= 1)).all()
    assert float(rows[5]["value"]) == series.values[5]


def test_json_gives_the_same_scores_and_unix_times_work(tmp_path):
    series = labelled_series(902, points=24 * 7 * 2)
    iso, unix = tmp_path / "iso.csv", tmp_path / "unix.csv"
    _write(iso, series)
    _write(unix, series, header=False, iso=False)

    from_iso = json.loads(_run(str(iso), "--json"))
    from_unix = json.loads(_run(str(unix), "--json"))

    assert [r["score"] for r in from_iso] == [r["score"] for r in from_unix]
    assert set(from_iso[0]) == {"timestamp", "value", "score"}


@pytest.mark.parametrize("detector", sorted(DETECTORS))
def test_no_look_ahead_a_rows_score_ignores_later_rows(detector):
    series = labelled_series(903, points=24 * 7 * 5)
    full, _ = anomaly_scores(series.timestamps, series.values, detector=detector)

    for cut in (30, 24 * 7 + 5, 24 * 7 * 3 + 11):
        part, _ = anomaly_scores(series.timestamps[:cut], series.values[:cut], detector=detector)
        np.testing.assert_allclose(part, full[:cut], rtol=0, atol=1e-12)


def test_the_planted_anomalies_score_high_on_unseen_series():
    total = Tally(0, 0, 0, 0)
    for seed in range(2000, 2020):
        series = labelled_series(seed)
        scores, _ = anomaly_scores(series.timestamps, series.values)
        total = total + tally(scores, series.windows, 0.99)

    assert total.recall > 0.55
    assert total.precision > 0.6


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("timestamp,value\n2026-01-01T00:00:00Z,abc\n", "is not a number"),
        ("timestamp,value\nyesterday,3\n", "is not a timestamp"),
        ("2026-01-02T00:00:00Z,1\n2026-01-01T00:00:00Z,2\n", "must not go back in time"),
        ("timestamp,value\n", "holds no"),
        ("2026-01-01T00:00:00Z\n", "expected 'timestamp,value'"),
        ("2026-01-01T00:00:00Z,nan\n", "finite"),
    ],
    ids=["value", "timestamp", "order", "empty", "columns", "nan"],
)
def test_a_bad_file_is_refused_with_a_message(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)

    with pytest.raises(CommandError, match=message):
        _run(str(path))


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        _run(str(tmp_path / "nope.csv"))
