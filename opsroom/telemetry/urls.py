from django.urls import path

from opsroom.telemetry import views

app_name = "telemetry"
urlpatterns = [
    path("debug/deliveries/", views.delivery_index, name="delivery_list"),
    path("debug/deliveries/<int:delivery_id>/", views.delivery_detail, name="delivery_detail"),
]
