from django.urls import path

from opsroom.core.ml import views

urlpatterns = [
    path("", views.model_list, name="model_list"),
    path("<int:artifact_id>/", views.model_detail, name="model_detail"),
    path("<int:artifact_id>/activate/", views.model_activate, name="model_activate"),
    path("<int:artifact_id>/deactivate/", views.model_deactivate, name="model_deactivate"),
]
