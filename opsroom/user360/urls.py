from django.urls import path

from opsroom.user360.views import actions, announcements, health, lists, person, search

app_name = "people"

urlpatterns = [
    path("", lists.index, name="index"),
    path("filters/row/", lists.condition_row, name="condition_row"),
    path("segments/save/", lists.segment_save_view, name="segment_save"),
    path("segments/from-funnel/", lists.segment_from_funnel_view, name="segment_from_funnel"),
    path("segments/<int:segment_id>/delete/", lists.segment_delete_view, name="segment_delete"),
    path("bulk/", lists.bulk, name="bulk"),
    path("announcements/", announcements.index, name="announcements"),
    path("announcements/<int:announcement_id>/", announcements.detail, name="announcement"),
    path(
        "announcements/<int:announcement_id>/send/",
        announcements.send,
        name="announcement_send",
    ),
    path("go/", search.go, name="go"),
    path("suggest/", search.suggest, name="suggest"),
    path("health/", health.health_settings, name="health_settings"),
    path("health/fitted/", health.health_weights_fitted_use, name="health_fitted_use"),
    path("health/validate/", health.health_validation_start, name="health_validate"),
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
