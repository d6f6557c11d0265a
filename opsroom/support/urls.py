from django.urls import path

from opsroom.support.views import (
    articles,
    automations,
    csat,
    dashboard,
    engineering,
    queue,
    sla,
    templates,
    ticket,
)

app_name = "support"

urlpatterns = [
    path("", queue.index, name="index"),
    path("bulk/", queue.bulk, name="bulk"),
    path("dashboard/", dashboard.index, name="dashboard"),
    path("rate/<str:token>/", csat.rate, name="rate"),
    path("articles/", articles.index, name="articles"),
    path("articles/new/", articles.edit, name="article_new"),
    path("articles/draft/", articles.draft, name="article_draft"),
    path("articles/<int:article_id>/", articles.detail, name="article"),
    path("articles/<int:article_id>/edit/", articles.edit, name="article_edit"),
    path("articles/<int:article_id>/publish/", articles.publish, name="article_publish"),
    path("articles/<int:article_id>/delete/", articles.delete, name="article_delete"),
    path("engineering/", engineering.index, name="engineering"),
    path("engineering/known-issues/", engineering.known_issue, name="known_issue"),
    path(
        "engineering/escalations/<int:escalation_id>/resolve/",
        engineering.resolve,
        name="escalation_resolve",
    ),
    path("tickets/<int:ticket_id>/escalate/", engineering.escalate, name="escalate"),
    path("templates/", templates.index, name="templates"),
    path("templates/new/", templates.edit, name="template_new"),
    path("templates/<int:template_id>/", templates.edit, name="template_edit"),
    path("sla/", sla.index, name="sla"),
    path("sla/set/", sla.update, name="sla_set"),
    path("automations/", automations.index, name="automations"),
    path("automations/set/", automations.update, name="automation_set"),
    path("automations/features/", automations.feature_save, name="feature_save"),
    path(
        "automations/features/<slug:key>/delete/",
        automations.feature_delete,
        name="feature_delete",
    ),
    path("automations/runs/<int:run_id>/reopen/", automations.reopen, name="automation_reopen"),
    path("tickets/<int:ticket_id>/", ticket.detail, name="ticket"),
    path("tickets/<int:ticket_id>/copilot/", ticket.copilot, name="copilot"),
    path("tickets/<int:ticket_id>/reply/", ticket.reply, name="reply"),
    path("tickets/<int:ticket_id>/update/", ticket.update, name="update"),
    path("tickets/<int:ticket_id>/correct/", ticket.correct, name="correct"),
    path("tickets/<int:ticket_id>/redraft/", ticket.redraft, name="redraft"),
    path("tickets/<int:ticket_id>/analyse/", ticket.analyse, name="analyse"),
    path("tickets/<int:ticket_id>/merge/", ticket.merge, name="merge"),
    path(
        "tickets/<int:ticket_id>/suggestions/<int:suggestion_id>/",
        ticket.suggestion,
        name="suggestion",
    ),
]
