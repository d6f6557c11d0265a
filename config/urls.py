from django.contrib import admin
from django.urls import include, path

from config.api import api
from opsroom.user360.views import home

admin.site.site_header = "Opsroom data admin"
admin.site.site_title = "Opsroom admin"
admin.site.index_title = "Records (read-mostly)"

urlpatterns = [
    path("", home.home, name="home"),
    path("", include("opsroom.core.urls")),
    path("admin/", admin.site.urls),
    path("people/", include("opsroom.user360.urls")),
    path("revenue/", include("opsroom.revenue.urls")),
    path("support/", include("opsroom.support.urls")),
    path("api/v1/", api.urls),
    path("", include("opsroom.ingest.urls")),
    path("", include("opsroom.telemetry.urls")),
    path("", include("opsroom.analytics.urls")),
    path("", include("opsroom.experiments.urls")),
]

handler403 = "opsroom.core.views.permission_denied"
handler404 = "opsroom.core.views.page_not_found"
