from django.urls import include, path

from opsroom.core import views

urlpatterns = [
    path("login/", views.signin, name="login"),
    path("logout/", views.signout, name="logout"),
    path("health/", views.health, name="health"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("audit/", views.audit_list, name="audit_list"),
    path("debug/", views.debug_index, name="debug_index"),
    path("debug/jobs/", views.job_list, name="job_list"),
    path("api-keys/", views.api_key_index, name="api_keys"),
    path("api-keys/<int:key_id>/revoke/", views.api_key_revoke_view, name="api_key_revoke"),
    path("models/", include("opsroom.core.ml.urls")),
    path("outbox/", include("opsroom.core.outbox.urls")),
]
