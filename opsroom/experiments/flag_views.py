"""Pages of feature flags: the list, and one flag with its adoption over time, its rollouts
and the per-person simulator of a proposed change."""

from datetime import timedelta

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from opsroom.core import clock
from opsroom.core.errors import InvalidInput
from opsroom.core.refusals import permissions_needed
from opsroom.experiments.forms import FlagSimulateForm
from opsroom.experiments.rollouts import FlagChange
from opsroom.experiments.selectors import (
    flag_adoption_weekly,
    flag_get,
    flag_list,
    flag_people_by_variant,
    rollouts_for_flag,
)
from opsroom.experiments.simulation import Simulation, flag_simulate

ADOPTION_WEEKS = 12


@require_GET
@permissions_needed("experiments.view_featureflag")
def flag_index(request: HttpRequest) -> HttpResponse:
    """Every flag with its rules' shape and how many people were served each variant."""
    flags = flag_list()
    rows = [(flag, flag_people_by_variant(flag_id=flag.pk)) for flag in flags]
    return render(request, "experiments/flag_list.html", {"rows": rows})


@require_GET
@permissions_needed("experiments.view_featureflag")
def flag_detail(request: HttpRequest, key: str) -> HttpResponse:
    """One flag: rules, adoption per week, rollouts, and the simulator."""
    flag = flag_get(key=key)
    if flag is None:
        raise Http404("No such flag.")
    since = clock.now() - timedelta(weeks=ADOPTION_WEEKS)
    weekly = flag_adoption_weekly(flag_id=flag.pk, since=since)
    variants = sorted({variant for _, variant, _ in weekly})
    weeks = sorted({week for week, _, _ in weekly})
    counts = {(week, variant): people for week, variant, people in weekly}
    running = dict.fromkeys(variants, 0)
    adoption = []
    for week in weeks:
        new = [counts.get((week, v), 0) for v in variants]
        for variant, n in zip(variants, new, strict=True):
            running[variant] += n
        adoption.append((week, list(zip(new, [running[v] for v in variants], strict=True))))
    form = FlagSimulateForm(request.GET if "user_id" in request.GET else None)
    simulation: Simulation | None = None
    if form.is_bound:
        if not form.is_valid():
            raise InvalidInput(
                "; ".join(
                    f"{field}: {' '.join(str(e) for e in errors)}"
                    for field, errors in form.errors.items()
                )
            )
        data = form.cleaned_data
        proposes = data["enabled"] or data["rollout_percent"] is not None or data["rules"]
        change = (
            FlagChange(
                is_enabled={"on": True, "off": False}.get(data["enabled"]),
                rollout_percent=data["rollout_percent"],
                rules=data["rules"] if data["rules"] not in (None, "") else None,
            )
            if proposes
            else None
        )
        simulation = flag_simulate(flag=flag, user_id=data["user_id"], change=change)
    return render(
        request,
        "experiments/flag_detail.html",
        {
            "flag": flag,
            "variants": variants,
            "adoption": adoption,
            "rollouts": rollouts_for_flag(flag_id=flag.pk),
            "form": form,
            "simulation": simulation,
        },
    )
