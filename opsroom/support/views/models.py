"""The support model page: the category classifier and the calibration of the severity,
feature and blocking confidences, with their reliability on reviewed tickets. Every role reads
it (like the model cards); training runs weekly or with `manage.py support_triage_train`."""

from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from opsroom.core.ml.selectors import model_artifact_list
from opsroom.support.ml.training import MODEL_NAME as CATEGORY_MODEL_NAME
from opsroom.support.selectors.calibration import triage_calibration_overview


@require_GET
@permission_required("core.view_modelartifact", raise_exception=True)
def index(request: HttpRequest) -> HttpResponse:
    """Each triage answer's confidence: learned or rule, and how reliable it is."""
    versions = list(model_artifact_list(name=CATEGORY_MODEL_NAME)[:20])
    return render(
        request,
        "support/models.html",
        {
            "category_active": next((a for a in versions if a.is_active), None),
            "category_latest": versions[0] if versions else None,
            "overview": triage_calibration_overview(),
        },
    )
