"""`manage.py analytics_anomaly_eval`: the product's detector over this database's watched series,
scored against labelled windows (a labels file, or those a demo world stores); bad input is
refused with a message."""

import json
import subprocess
import sys
from datetime import date, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from opsroom.analytics.models import AnomalyLabel
from opsroom.analytics.tests.test_anomaly_watch import SPIKE, anomaly_world
from opsroom.demo.services import demo_world_build

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]


def _eval(*args: str) -> dict:
    out = StringIO()
    call_command("analytics_anomaly_eval", "--json", *args, stdout=out)
    return json.loads(out.getvalue())


def _labels(tmp_path, text: str):
    path = tmp_path / "labels.csv"
    path.write_text(text)
    return str(path)


def test_a_labels_file_scores_each_metric_and_all_together(tmp_path):
    anomaly_world()
    quiet = SPIKE - timedelta(days=5)
    spike = f"{SPIKE.isoformat()},{(SPIKE + timedelta(hours=1)).isoformat()}"
    labels = _labels(
        tmp_path,
        "metric,start,end,description\n"
        f"errors,{spike},the spike\n"
        f"errors,{quiet:%Y-%m-%dT%H:%M},{quiet + timedelta(hours=2):%Y-%m-%dT%H:%M}\n"
        f"endpoint_errors:GET /nowhere,{spike}\n",
    )

    report = _eval("--labels", labels)

    errors = next(m for m in report["metrics"] if m["metric"] == "errors")
    assert (errors["anomalies"], errors["found"], errors["alarms"]) == (2, 1, 1)
    assert (errors["precision"], errors["recall"]) == (1.0, 0.5)
    assert errors["alarms_at"] == [SPIKE.isoformat()]
    # The spike moved other series too: alarms there are not labelled, so they are false.
    overall = report["overall"]
    assert overall["anomalies"] == 2
    assert overall["alarms"] == sum(m["alarms"] for m in report["metrics"]) > 1
    assert overall["precision"] == round(1 / overall["alarms"], 4)
    assert [row["metric"] for row in report["unwatched_labels"]] == ["endpoint_errors:GET /nowhere"]
    # The data ends with the spike's hour: no empty hour after it is scored.
    assert report["until"] == (SPIKE + timedelta(hours=1)).isoformat()


def test_the_table_names_the_metrics_and_the_overall_figures(tmp_path):
    anomaly_world()
    end = SPIKE + timedelta(hours=1)
    labels = _labels(tmp_path, f"errors,{SPIKE.isoformat()},{end.isoformat()}\n")
    out = StringIO()

    call_command("analytics_anomaly_eval", "--labels", labels, stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0].startswith("Detector at sensitivity default (threshold 0.99)")
    errors = next(line for line in lines if line.startswith("errors "))
    assert errors.split()[1:] == ["1", "1", "1", "1.000", "1.000"]
    assert any(line.startswith("overall ") for line in lines)


def test_a_demo_world_is_scored_against_the_anomalies_it_planted():
    with transaction.atomic():
        summary = demo_world_build(
            people=300, months=2, seed=3, end=date(2026, 5, 31), progress=False
        )
        stored = AnomalyLabel.objects.filter(source="demo").count()

        report = _eval()

        transaction.set_rollback(True)
    assert stored == len(summary.story["anomaly_labels"]) >= 3
    scored = sum(m["anomalies"] for m in report["metrics"])
    left_out = len(report["unwatched_labels"]) + len(report["warm_up_labels"])
    assert scored + left_out == stored
    assert report["overall"]["anomalies"] == scored
    assert 0 <= report["overall"]["recall"] <= 1
    assert report["until"] <= summary.horizon.isoformat()
    keys = {m["metric"] for m in report["metrics"]}
    assert {"errors", "api_latency", "api_latency_p95", "ai_cost"} <= keys


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("errors,yesterday,2026-07-01\n", "Line 1: 'yesterday' is not an ISO 8601 time."),
        ("errors,2026-07-02,2026-07-01\n", "Line 1: the end must be after the start."),
        ("errors,2026-07-01\n", "Line 1: expected 'metric,start,end'"),
        ("metric,start,end\n", "holds no 'metric,start,end' rows"),
    ],
    ids=["not-a-time", "end-before-start", "missing-end", "header-only"],
)
def test_a_bad_labels_file_is_refused_with_its_line(tmp_path, text, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _eval("--labels", _labels(tmp_path, text))


def test_a_missing_file_no_labels_or_a_bad_time_are_refused(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        _eval("--labels", str(tmp_path / "absent.csv"))
    with pytest.raises(CommandError, match="No labelled anomalies in this database"):
        _eval()
    labels = _labels(tmp_path, "errors,2026-07-01,2026-07-02\n")
    with pytest.raises(CommandError, match="is not an ISO 8601 date or time"):
        _eval("--labels", labels, "--since", "last week")
    with pytest.raises(CommandError, match="no data in the watched series"):
        _eval("--labels", labels)


def test_the_command_exits_non_zero_with_a_message(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "analytics_anomaly_eval", "--labels", str(tmp_path / "x")],
        capture_output=True,
        text=True,
        env={"DEBUG": "1", "PATH": "/usr/bin:/bin", "SECRET_KEY": "test-only"},
        check=False,
        cwd=ROOT,
    )

    assert result.returncode != 0
    assert "Cannot read" in result.stderr
