from django.urls import path

from opsroom.core.outbox import views

urlpatterns = [
    path("", views.outbox_list, name="outbox_list"),
    path("<int:entry_id>/", views.outbox_detail, name="outbox_detail"),
    path("<int:entry_id>/retry/", views.outbox_retry_view, name="outbox_retry"),
    path("<int:entry_id>/cancel/", views.outbox_cancel_view, name="outbox_cancel"),
]
