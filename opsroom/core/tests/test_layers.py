"""The layer contract of docs/ARCHITECTURE.md holds, and `make lint` fails when code breaks it."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def tree(tmp_path):
    """A copy of the code that a test may break."""
    for name in ("opsroom", "config"):
        shutil.copytree(
            ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "static")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _append(path: Path, line: str) -> None:
    path.write_text(path.read_text() + f"\n{line}\n")


def test_the_code_keeps_the_layer_contract():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        (
            "opsroom/people/selectors/activity.py",
            "from opsroom.revenue.selectors import plan_list  # noqa: E402",
            "opsroom.people is not allowed to import opsroom.revenue",
        ),
        (
            "opsroom/core/services/audit.py",
            "from opsroom.people.models import Person  # noqa: E402",
            "opsroom.core is not allowed to import opsroom.people",
        ),
        (
            "opsroom/revenue/selectors/__init__.py",
            "from opsroom.user360.selectors.insights import insights_for_person  # noqa: E402",
            "opsroom.revenue is not allowed to import opsroom.user360",
        ),
        (
            "opsroom/support/selectors/tickets.py",
            "from opsroom.revenue.models import Plan  # noqa: E402",
            "opsroom.support.selectors.tickets -> opsroom.revenue.models",
        ),
    ],
    ids=["identity-up", "core-up", "capability-to-read-side", "another-apps-models"],
)
def test_an_import_that_breaks_the_contract_fails_the_lint(tree, module, line, broken):
    _append(tree / module, line)
    result = _lint_imports(tree)
    assert result.returncode != 0
    assert broken in result.stdout
