from django.contrib import admin

from opsroom.core.admin import ReadOnlyAdmin
from opsroom.experiments.models import Experiment, Exposure, FeatureFlag


@admin.register(FeatureFlag)
class FeatureFlagAdmin(ReadOnlyAdmin):
    list_display = ("key", "name", "is_enabled", "rollout_percent", "default_variant")


@admin.register(Experiment)
class ExperimentAdmin(ReadOnlyAdmin):
    list_display = ("key", "name", "flag", "status", "primary_metric", "started_at")


@admin.register(Exposure)
class ExposureAdmin(ReadOnlyAdmin):
    list_display = ("person", "flag", "variant", "first_exposed_at", "last_exposed_at")
    list_filter = ("flag", "variant")
    list_select_related = ("person", "flag")
