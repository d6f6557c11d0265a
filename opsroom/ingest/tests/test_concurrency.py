"""Four processes posting overlapping batches to a real server (gunicorn, three workers) end
with exactly the expected rows: nothing lost, nothing doubled, no 5xx. The full one-minute run
is in `make bench` (suite `ingest`)."""

import os
import subprocess
import sys

import pytest
from django.db import connection

from benchmarks.ingest_load import (
    ROOT,
    api_key,
    batch_pool,
    expected_state,
    gunicorn,
    problems,
    run_clients,
    server_env,
    stored_state,
)

SECONDS = float(os.environ.get("OPSROOM_LOAD_SECONDS", "8"))
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _database_url(tmp_path):
    """A throwaway file database on SQLite; the test database itself on PostgreSQL."""
    if connection.vendor == "sqlite":
        url = f"sqlite:///{tmp_path / 'load.sqlite3'}"
        env = server_env(url, tmp_path)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        return url
    settings = connection.settings_dict
    return (
        f"postgres://{settings['USER']}:{settings['PASSWORD']}@{settings['HOST']}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}"
    )


def test_overlapping_batches_from_four_processes_are_stored_exactly_once(tmp_path):
    url = _database_url(tmp_path)
    env = server_env(url, tmp_path)
    key = api_key(env)
    pool = batch_pool(24, 400, users=300, seed=7)
    with gunicorn(env, workers=3) as port:
        result = run_clients(port, key, pool, processes=4, seconds=SECONDS)
    assert set(result.statuses) == {200}, result.statuses
    assert result.requests >= 8
    assert problems(expected_state(pool, result.posted), stored_state(url)) == []
