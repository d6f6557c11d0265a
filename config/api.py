"""The one JSON API of Opsroom, versioned under /api/v1/. Each app adds its router here."""

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from opsroom.analytics.api import router as analytics_router
from opsroom.core.api import router as core_router
from opsroom.core.api_parser import BodyRefused, BoundedJsonParser
from opsroom.core.auth import ApiKeyAuth, StaffSessionAuth
from opsroom.core.errors import DomainError
from opsroom.core.ml.api import router as models_router
from opsroom.core.outbox.api import router as outbox_router
from opsroom.experiments.api import router as experiments_router
from opsroom.ingest.api import router as ingest_router
from opsroom.people.api import router as people_router
from opsroom.revenue.api import router as revenue_router
from opsroom.support.api import router as support_router
from opsroom.user360.api import router as user360_router

api = NinjaAPI(
    title="Opsroom API",
    version="1",
    description="Ingest and read the operational data of a subscription app.",
    urls_namespace="api",
    docs_url="/docs",
    docs_decorator=staff_member_required,
    auth=[ApiKeyAuth("read"), StaffSessionAuth()],
    parser=BoundedJsonParser(),
)


@api.exception_handler(AuthenticationError)
def _unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request,
        {
            "detail": "Authentication required: send 'Authorization: Bearer <api key>' "
            "with the needed scope, or sign in as staff."
        },
        status=401,
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # ninja wraps a body its parser refused as "Cannot parse request body"; say why instead.
    cause = exc.__cause__
    detail = cause.message if isinstance(cause, BodyRefused) else str(exc)
    return api.create_response(request, {"detail": detail}, status=exc.status_code)


@api.exception_handler(DomainError)
def _refused(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, {"detail": exc.message}, status=exc.status)


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(
        request, {"detail": "The request is not valid.", "errors": exc.errors}, status=422
    )


api.add_router("/", core_router)
api.add_router("/", models_router)
api.add_router("/", user360_router)
api.add_router("/", outbox_router)
api.add_router("/", people_router)
api.add_router("/", experiments_router)
api.add_router("/", analytics_router)
api.add_router("/", revenue_router)
api.add_router("/", support_router)
api.add_router("/ingest/", ingest_router)
