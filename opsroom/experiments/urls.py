from django.urls import path

from opsroom.experiments import views

app_name = "experiments"
urlpatterns = [
    path("analytics/experiments/", views.experiment_list, name="experiment_list"),
    path("analytics/experiments/sample-size/", views.sample_size, name="sample_size"),
    path("analytics/experiments/<slug:key>/", views.experiment_detail, name="experiment_detail"),
]
