"""Every core command refuses bad arguments with a clear message and a non-zero exit."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

BAD_INVOCATIONS = [
    (["opsroom_serve", "--port", "0"], "--port must be between 1 and 65535"),
    (["opsroom_serve", "--port", "http"], "invalid int value"),
    (["opsroom_scheduler", "--interval", "-1", "--once"], "--interval must be a positive"),
    (["opsroom_staff_create", "x", "--role", "Janitor"], "invalid choice: 'Janitor'"),
    (["opsroom_staff_create", "--role", "Admin"], "the following arguments are required: username"),
    (["opsroom_setup", "--people", "many"], "invalid int value"),
]


@pytest.mark.parametrize(
    ("argv", "message"), BAD_INVOCATIONS, ids=[" ".join(a) for a, _ in BAD_INVOCATIONS]
)
def test_bad_arguments_exit_non_zero_with_a_message(argv, message, tmp_path):
    env = {**os.environ, "OPSROOM_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "manage.py", *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert message in result.stderr
