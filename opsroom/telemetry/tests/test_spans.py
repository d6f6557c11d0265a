"""Query spans: similar queries share a fingerprint, whatever their values; the N+1 rule."""

import pytest

from opsroom.telemetry.spans import (
    N_PLUS_ONE_MIN,
    is_n_plus_one,
    span_groups,
    spans_prepare,
    sql_fingerprint,
    sql_normalise,
)


@pytest.mark.parametrize(
    ("sql", "normalised"),
    [
        ("SELECT * FROM dish WHERE id = 42", "SELECT * FROM dish WHERE id = ?"),
        (
            "select name from person where email = 'ann@example.com'",
            "select name from person where email = ?",
        ),
        (
            "SELECT 1 FROM t WHERE note = 'it''s' AND n > -3.5e2",
            "SELECT ? FROM t WHERE note = ? AND n > ?",
        ),
        (
            'SELECT * FROM "recipe" WHERE "recipe"."id" IN (1, 2,3)',
            'SELECT * FROM "recipe" WHERE "recipe"."id" IN (...)',
        ),
        (
            "SELECT * FROM t WHERE a = %s AND b = $2 AND c = :name",
            "SELECT * FROM t WHERE a = ? AND b = ? AND c = ?",
        ),
        ("INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y')", "INSERT INTO t (a, b) VALUES (...)"),
        (
            "SELECT col1::text FROM table2\n   WHERE x = 5",
            "SELECT col1::text FROM table2 WHERE x = ?",
        ),
    ],
)
def test_values_are_replaced_and_names_kept(sql, normalised):
    assert sql_normalise(sql) == normalised


def test_the_same_query_with_other_values_has_one_fingerprint():
    one = sql_fingerprint(sql_normalise("SELECT * FROM dish WHERE id = 1"))
    other = sql_fingerprint(sql_normalise("select *  from dish where id = 99"))
    assert one == other
    assert one != sql_fingerprint(sql_normalise("SELECT * FROM dish WHERE owner_id = 1"))
    assert len(one) == 16


def test_spans_are_stored_normalised_with_their_largest_repeat():
    spans = [
        {"sql": f"SELECT * FROM dish WHERE id = {i}", "duration_ms": 1.5}  # noqa: S608
        for i in range(12)
    ]
    spans += [{"fingerprint": "feed-q", "duration_ms": 3.0}, {"sql": "SELECT 1", "duration_ms": 0}]
    summary = spans_prepare(spans)
    assert summary.repeated_queries == 12
    assert summary.repeated_fingerprint == sql_fingerprint("SELECT * FROM dish WHERE id = ?")
    assert summary.spans[0] == {
        "fp": summary.repeated_fingerprint,
        "sql": "SELECT * FROM dish WHERE id = ?",
        "ms": 1.5,
    }
    assert summary.spans[12] == {"fp": "feed-q", "sql": "", "ms": 3.0}
    assert spans_prepare([]).repeated_queries is None


def test_ten_similar_queries_make_a_suspect_and_nine_do_not():
    assert N_PLUS_ONE_MIN == 10
    assert is_n_plus_one(10)
    assert not is_n_plus_one(9)
    assert not is_n_plus_one(None)


def test_a_requests_spans_group_by_fingerprint_most_repeated_first():
    stored = spans_prepare(
        [{"sql": f"SELECT * FROM a WHERE id = {i}", "duration_ms": 2.0} for i in range(10)]  # noqa: S608
        + [{"sql": "SELECT * FROM b", "duration_ms": 50.0}]
    ).spans
    groups = span_groups(stored)
    assert [(g.sql, g.count, g.total_ms, g.is_n_plus_one) for g in groups] == [
        ("SELECT * FROM a WHERE id = ?", 10, 20.0, True),
        ("SELECT * FROM b", 1, 50.0, False),
    ]
