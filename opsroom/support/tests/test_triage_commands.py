"""`support_triage_eval` on generated CSV files (with out-of-scope rows), and its errors."""

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from opsroom.support.tests.triage_data import csv_write, labelled_rows

ROOT = Path(__file__).resolve().parents[3]
KEYS = {
    "accuracy",
    "macro_f1",
    "ece",
    "threshold",
    "precision",
    "coverage",
    "out_of_scope_accepted",
    "train_seconds",
}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("triage")
    train = csv_write(folder / "train.csv", labelled_rows(600, out_of_scope=300, seed=10))
    test = csv_write(
        folder / "test.csv", labelled_rows(50, out_of_scope=60, seed=11), label_column="category"
    )
    return train, test


def _eval(*args):
    out = StringIO()
    call_command("support_triage_eval", *args, stdout=out)
    return out.getvalue()


def test_json_has_the_figures_and_refuses_out_of_scope_rows(files):
    train, test = files
    result = json.loads(
        _eval("--train", str(train), "--test", str(test), "--json", "--no-embeddings")
    )
    assert set(result) >= KEYS
    assert result["test_rows"] == 260
    assert result["out_of_scope_rows"] == 60
    assert result["out_of_scope_accepted"] == 0
    assert result["accuracy"] >= 0.95
    assert result["threshold"] is not None
    assert result["precision"] >= 0.99
    assert 0.5 < result["coverage"] <= 200 / 260  # out-of-scope rows are never covered
    assert result["embeddings"] is False


def test_the_plain_report_names_each_figure(files):
    train, test = files
    text = _eval("--train", str(train), "--test", str(test), "--no-embeddings")
    for name in ("accuracy", "macro_f1", "ece", "threshold", "precision", "coverage",
                 "out_of_scope_accepted", "train_seconds"):  # fmt: skip
        assert f"\n{name} " in f"\n{text}", name


def test_with_too_few_held_back_rows_nothing_is_accepted(tmp_path, files):
    _, test = files
    small = csv_write(tmp_path / "small.csv", labelled_rows(30, seed=12))
    result = json.loads(
        _eval("--train", str(small), "--test", str(test), "--json", "--no-embeddings")
    )
    assert result["threshold"] is None
    assert result["threshold_outcome"] == "too_few_rows"
    assert result["coverage"] == 0.0
    assert result["precision"] is None
    assert result["out_of_scope_accepted"] == 0


def _bad(tmp_path, name, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"text,label\n", "has a header but no rows"),
        (b"body,label\nhello,x\n", "needs a 'text' column and a 'label' or 'category' column"),
        (b"text,label\nhello,x\nbye,x\nmore,\n", "needs at least 2 different labels"),
        ("text,label\ncaf\u00e9,x\n".encode("latin-1"), "not UTF-8"),
    ],
    ids=["empty", "header-only", "no-text-column", "one-label", "latin-1"],
)
def test_bad_training_files_are_refused_with_a_message(tmp_path, files, content, message):
    _, test = files
    bad = _bad(tmp_path, "bad.csv", content)
    with pytest.raises(CommandError, match=message):
        _eval("--train", str(bad), "--test", str(test))


def test_a_bad_test_file_is_refused_before_training(tmp_path, files):
    train, _ = files
    bad = _bad(tmp_path, "bad.csv", b"text\nhello\n")
    with pytest.raises(CommandError, match=r"bad\.csv: needs a .text. column"):
        _eval("--train", str(train), "--test", str(bad))


def test_a_missing_file_exits_non_zero_with_one_line():
    env = {**os.environ, "SECRET_KEY": "x", "DEBUG": "0"}
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "support_triage_eval",
            "--train",
            "nope.csv",
            "--test",
            "nope.csv",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == ["CommandError: nope.csv: no such file."]


def test_the_target_precision_must_be_a_fraction(files):
    train, test = files
    with pytest.raises(CommandError, match="between 0 and 1"):
        _eval("--train", str(train), "--test", str(test), "--target-precision", "99")
