from django.urls import path

from opsroom.telemetry import views

app_name = "telemetry"
urlpatterns = [
    path("debug/deliveries/", views.delivery_index, name="delivery_list"),
    path("debug/deliveries/<int:delivery_id>/", views.delivery_detail, name="delivery_detail"),
    path("debug/requests/", views.request_index, name="request_list"),
    path("debug/requests/<int:request_pk>/", views.request_detail, name="request_detail"),
    path("debug/requests/<int:request_pk>/replay/", views.request_replay, name="request_replay"),
]
