from django.urls import path

from opsroom.revenue.views import (
    campaigns,
    churn,
    cohorts,
    forecast,
    overview,
    payments,
    settings,
    stripe_drift,
)

app_name = "revenue"

urlpatterns = [
    path("", overview.index, name="index"),
    path("movements/", overview.movements, name="movements"),
    path("customers/", overview.customers, name="customers"),
    path("definitions/", overview.definitions, name="definitions"),
    path("cohorts/", cohorts.cohorts, name="cohorts"),
    path("forecast/", forecast.forecast, name="forecast"),
    path("forecast/export.csv", forecast.forecast_export, name="forecast_export"),
    path("forecast/print/", forecast.forecast_print, name="forecast_print"),
    path("forecast/share/", forecast.forecast_share, name="forecast_share"),
    path("forecast/shared/<str:token>/", forecast.forecast_shared, name="forecast_shared"),
    path("payments/", payments.payments, name="payments"),
    path("stripe-drift/", stripe_drift.stripe_drift_lookup, name="stripe_drift_lookup"),
    path("stripe-drift/<int:person_id>/", stripe_drift.stripe_drift, name="stripe_drift"),
    path("churn/", churn.churn, name="churn"),
    path("churn/<int:person_id>/", churn.churn_person, name="churn_person"),
    path("campaigns/", campaigns.campaigns, name="campaigns"),
    path("campaigns/new/", campaigns.campaign_edit, name="campaign_new"),
    path("campaigns/<slug:key>/", campaigns.campaign, name="campaign"),
    path("campaigns/<slug:key>/edit/", campaigns.campaign_edit, name="campaign_edit"),
    path("settings/", settings.settings_page, name="settings"),
]
