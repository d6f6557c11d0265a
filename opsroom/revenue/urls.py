from django.urls import path

from opsroom.revenue.views import overview, settings

app_name = "revenue"

urlpatterns = [
    path("", overview.index, name="index"),
    path("movements/", overview.movements, name="movements"),
    path("customers/", overview.customers, name="customers"),
    path("definitions/", overview.definitions, name="definitions"),
    path("settings/", settings.settings_page, name="settings"),
]
