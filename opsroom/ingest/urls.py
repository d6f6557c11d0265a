from django.urls import path

from opsroom.ingest.webhooks.sentry.views import sentry_webhook
from opsroom.ingest.webhooks.stripe.views import stripe_webhook

urlpatterns = [
    path("webhooks/stripe/", stripe_webhook, name="stripe_webhook"),
    path("webhooks/sentry/", sentry_webhook, name="sentry_webhook"),
]
