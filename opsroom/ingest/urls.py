from django.urls import path

from opsroom.ingest.webhooks.email.views import email_inbound_webhook, email_tracking_webhook
from opsroom.ingest.webhooks.sentry.views import sentry_webhook
from opsroom.ingest.webhooks.stripe.views import stripe_webhook

urlpatterns = [
    path("webhooks/stripe/", stripe_webhook, name="stripe_webhook"),
    path("webhooks/sentry/", sentry_webhook, name="sentry_webhook"),
    path("webhooks/email/tracking/", email_tracking_webhook, name="email_tracking_webhook"),
    path("webhooks/email/inbound/", email_inbound_webhook, name="email_inbound_webhook"),
]
