"""Background work of experiments: results recomputed on a schedule. Each task is safe to run
twice."""

from typing import Any

from django_tasks import task

from opsroom.experiments.models import Experiment
from opsroom.experiments.results import experiment_result_refresh


@task()
def experiment_results_hourly() -> dict[str, Any]:
    """Recompute the per-variant sums of every running (or recently stopped) experiment."""
    refreshed = []
    for experiment in Experiment.objects.exclude(status=Experiment.Status.DRAFT).select_related(
        "flag"
    ):
        experiment_result_refresh(experiment=experiment)
        refreshed.append(experiment.key)
    return {"experiments": refreshed}
