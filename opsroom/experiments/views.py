"""Pages of experiments: the list, the A/B dashboard of one, and the sample-size calculator."""

import math

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from opsroom.core.errors import InvalidInput
from opsroom.core.refusals import permissions_needed
from opsroom.experiments.forms import SampleSizeForm
from opsroom.experiments.models import Experiment
from opsroom.experiments.results import experiment_report
from opsroom.experiments.statistics import sample_size_conversion, sample_size_mean


@require_GET
@permissions_needed("experiments.view_experiment")
def experiment_list(request: HttpRequest) -> HttpResponse:
    """Every experiment with its headline result."""
    experiments = Experiment.objects.select_related("flag", "result").order_by("-created_at")
    reports = [experiment_report(experiment=experiment) for experiment in experiments]
    return render(request, "experiments/experiment_list.html", {"reports": reports})


@require_GET
@permissions_needed("experiments.view_experiment")
def experiment_detail(request: HttpRequest, key: str) -> HttpResponse:
    """The A/B test dashboard of one experiment."""
    experiment = get_object_or_404(Experiment.objects.select_related("flag", "result"), key=key)
    return render(
        request,
        "experiments/experiment_detail.html",
        {"report": experiment_report(experiment=experiment)},
    )


@require_GET
@permissions_needed("experiments.view_experiment")
def sample_size(request: HttpRequest) -> HttpResponse:
    """How many people each variant needs, and how long that takes at a given traffic."""
    form = SampleSizeForm(request.GET or None)
    answer = None
    status = 200
    if form.is_bound:
        if form.is_valid():
            data = form.cleaned_data
            try:
                answer = _sample_size_answer(data)
            except InvalidInput as exc:
                form.add_error(None, exc.message)
        if form.errors:
            status = 400
    return render(
        request, "experiments/sample_size.html", {"form": form, "answer": answer}, status=status
    )


def _sample_size_answer(data: dict[str, object]) -> dict[str, object]:
    baseline = float(data["baseline"])  # type: ignore[arg-type]
    relative = float(data["effect"]) / 100  # type: ignore[arg-type]
    alpha, power = float(data["alpha"]), float(data["power"])  # type: ignore[arg-type]
    if data["metric"] == "conversion":
        rate = baseline / 100
        per_arm = sample_size_conversion(
            baseline=rate, effect=rate * relative, alpha=alpha, power=power
        )
    else:
        per_arm = sample_size_mean(
            std=float(data["std"]),  # type: ignore[arg-type]
            effect=baseline * relative,
            alpha=alpha,
            power=power,
        )
    variants = int(data["variants"])  # type: ignore[call-overload]
    total = per_arm * variants
    per_day = data.get("units_per_day")
    days = math.ceil(total / float(per_day)) if per_day else None  # type: ignore[arg-type]
    return {"per_arm": per_arm, "total": total, "days": days}
