from django.contrib import admin

from opsroom.core.admin import ReadOnlyAdmin
from opsroom.telemetry.models import ApiRequest, ErrorEvent, IntegrationDelivery


@admin.register(ErrorEvent)
class ErrorEventAdmin(ReadOnlyAdmin):
    list_display = ("occurred_at", "title", "level", "endpoint", "release", "person")
    list_filter = ("level", "release")
    search_fields = ("=fingerprint", "=event_id", "title")
    list_select_related = ("person",)


@admin.register(ApiRequest)
class ApiRequestAdmin(ReadOnlyAdmin):
    list_display = ("occurred_at", "method", "route", "status", "duration_ms", "person")
    list_filter = ("method", "status")
    search_fields = ("=request_id", "=route")
    list_select_related = ("person",)


@admin.register(IntegrationDelivery)
class IntegrationDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "source", "event_type", "outcome", "external_id")
    list_filter = ("source", "outcome")
    search_fields = ("=external_id",)
