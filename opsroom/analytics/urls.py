from django.urls import path

from opsroom.analytics.views import index

app_name = "analytics"
urlpatterns = [
    path("analytics/", index.index, name="index"),
]
