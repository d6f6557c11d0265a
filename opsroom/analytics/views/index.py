"""The Analytics section's front page: where each tool is."""

from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
@permission_required("analytics.view_errorspread", raise_exception=True)
def index(request: HttpRequest) -> HttpResponse:
    """The list of analytics tools."""
    return render(request, "analytics/index.html")
