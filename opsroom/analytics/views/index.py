"""The Analytics section's front page: where each tool is."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from opsroom.core.refusals import permissions_needed


@require_GET
@permissions_needed("analytics.view_errorspread")
def index(request: HttpRequest) -> HttpResponse:
    """The list of analytics tools."""
    return render(request, "analytics/index.html")
