from django.urls import path

from opsroom.analytics.views import errors, index

app_name = "analytics"
urlpatterns = [
    path("analytics/", index.index, name="index"),
    path("analytics/errors/", errors.error_list, name="error_list"),
    path("analytics/errors/<str:fingerprint>/", errors.error_detail, name="error_detail"),
]
