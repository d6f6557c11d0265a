from django.urls import path

from opsroom.experiments import flag_views, views

app_name = "experiments"
urlpatterns = [
    path("analytics/experiments/", views.experiment_list, name="experiment_list"),
    path("analytics/experiments/sample-size/", views.sample_size, name="sample_size"),
    path("analytics/flags/", flag_views.flag_index, name="flag_list"),
    path("analytics/flags/<slug:key>/", flag_views.flag_detail, name="flag_detail"),
    path("analytics/experiments/<slug:key>/", views.experiment_detail, name="experiment_detail"),
]
