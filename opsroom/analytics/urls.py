from django.urls import path

from opsroom.analytics.views import (
    ai_cost,
    anomalies,
    attribution,
    cohorts,
    errors,
    funnels,
    index,
    performance,
    tickets,
    tracer,
)

app_name = "analytics"
urlpatterns = [
    path("analytics/", index.index, name="index"),
    path("debug/trace/", tracer.trace, name="trace"),
    path("analytics/errors/", errors.error_list, name="error_list"),
    path("analytics/tickets-errors/", tickets.tickets_errors, name="tickets_errors"),
    # A fingerprint may hold a slash (it defaults to the error's title).
    path("analytics/errors/<path:fingerprint>/", errors.error_detail, name="error_detail"),
    path("analytics/performance/", performance.performance_index, name="performance"),
    path("analytics/performance/endpoint/", performance.endpoint_detail, name="endpoint_detail"),
    path("analytics/ai-cost/", ai_cost.ai_cost, name="ai_cost"),
    path("analytics/ai-cost/limits/", ai_cost.ai_cost_limit, name="ai_cost_limit"),
    path(
        "analytics/ai-cost/limits/remove/",
        ai_cost.ai_cost_limit_delete,
        name="ai_cost_limit_delete",
    ),
    path("analytics/attribution/", attribution.attribution, name="attribution"),
    path("analytics/cohorts/", cohorts.cohort_comparison, name="cohorts"),
    path("analytics/funnels/", funnels.funnel_list, name="funnel_list"),
    path("analytics/funnels/new/", funnels.funnel_new, name="funnel_new"),
    path("analytics/funnels/<int:funnel_id>/", funnels.funnel_detail, name="funnel_detail"),
    path("analytics/funnels/<int:funnel_id>/delete/", funnels.funnel_remove, name="funnel_remove"),
    path("analytics/anomalies/", anomalies.anomaly_list, name="anomaly_list"),
    path("analytics/anomalies/tune/", anomalies.metric_tune, name="metric_tune"),
    path("analytics/anomalies/snooze/", anomalies.metric_snooze, name="metric_snooze"),
    path("analytics/metrics/<path:key>/", anomalies.metric_detail, name="metric_detail"),
]
