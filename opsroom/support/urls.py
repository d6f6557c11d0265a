from django.urls import path

from opsroom.support.views import automations, csat, dashboard, queue, sla, ticket

app_name = "support"

urlpatterns = [
    path("", queue.index, name="index"),
    path("bulk/", queue.bulk, name="bulk"),
    path("dashboard/", dashboard.index, name="dashboard"),
    path("rate/<str:token>/", csat.rate, name="rate"),
    path("sla/", sla.index, name="sla"),
    path("sla/set/", sla.update, name="sla_set"),
    path("automations/", automations.index, name="automations"),
    path("automations/set/", automations.update, name="automation_set"),
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
