from django.urls import path

from opsroom.user360.views import actions, health, lists, person

app_name = "people"

urlpatterns = [
    path("", lists.index, name="index"),
    path("filters/row/", lists.condition_row, name="condition_row"),
    path("segments/save/", lists.segment_save_view, name="segment_save"),
    path("segments/<int:segment_id>/delete/", lists.segment_delete_view, name="segment_delete"),
    path("bulk/", lists.bulk, name="bulk"),
    path("health/", health.health_settings, name="health_settings"),
    path(
        "impersonations/<int:grant_id>/revoke/",
        actions.impersonation_revoke_view,
        name="impersonation_revoke",
    ),
    path("<int:person_id>/", person.detail, name="detail"),
    path("<int:person_id>/timeline/", person.timeline, name="timeline"),
    path("<int:person_id>/ask/", person.ask, name="ask"),
    path("<int:person_id>/api-calls/<int:request_pk>/", person.api_call, name="api_call"),
    path("<int:person_id>/actions/<slug:action>/", actions.action, name="action"),
]
