"""Email provider webhooks through django-anymail, with Postmark's real payload shapes."""

import base64
import json
from datetime import UTC, datetime

import pytest
from django.test import Client

from opsroom.messaging.models import EmailMessage
from opsroom.messaging.services import email_message_upsert_many
from opsroom.people.tests.factories import PersonFactory
from opsroom.support.models import Ticket, TicketMessage
from opsroom.support.tests.factories import TicketFactory
from opsroom.telemetry.models import IntegrationDelivery

pytestmark = pytest.mark.django_db
BASIC = "opsroom:hook-secret-123"
MESSAGE_ID = "883953f4-6105-42a2-a16a-77a8eac79483"


@pytest.fixture(autouse=True)
def _postmark(settings):
    settings.OPSROOM_EMAIL_ESP = "postmark"
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": BASIC}


def post(path, payload, auth=BASIC):
    headers = {}
    if auth:
        headers["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(auth.encode()).decode()
    return Client().post(path, data=json.dumps(payload), content_type="application/json", **headers)


def sent_email():
    email_message_upsert_many(
        rows=[
            {
                "provider_message_id": MESSAGE_ID,
                "to_email": "john@example.com",
                "subject": "Your meal plan",
                "status": "sent",
                "sent_at": datetime(2019, 11, 5, 16, 0, tzinfo=UTC),
            }
        ]
    )


DELIVERY = {
    "RecordType": "Delivery",
    "ServerID": 23,
    "MessageStream": "outbound",
    "MessageID": MESSAGE_ID,
    "Recipient": "john@example.com",
    "Tag": "welcome-email",
    "DeliveredAt": "2019-11-05T16:33:54.9070259Z",
    "Details": "Test delivery webhook details",
    "Metadata": {"example": "value"},
}
OPEN = {
    "RecordType": "Open",
    "FirstOpen": True,
    "Client": {"Name": "Chrome 35.0.1916.153", "Company": "Google", "Family": "Chrome"},
    "OS": {"Name": "OS X 10.7 Lion", "Company": "Apple Computer, Inc.", "Family": "OS X 10"},
    "Platform": "WebMail",
    "UserAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_7_5)",
    "ReadSeconds": 5,
    "Geo": {"CountryISOCode": "RS", "Country": "Serbia", "City": "Novi Sad"},
    "MessageID": MESSAGE_ID,
    "MessageStream": "outbound",
    "ReceivedAt": "2019-11-05T16:40:54.9070259Z",
    "Tag": "welcome-email",
    "Recipient": "john@example.com",
}
BOUNCE = {
    "RecordType": "Bounce",
    "ID": 4323372036854775807,
    "Type": "HardBounce",
    "TypeCode": 1,
    "Name": "Hard bounce",
    "Tag": "Invitation",
    "MessageID": MESSAGE_ID,
    "ServerID": 23,
    "MessageStream": "outbound",
    "Description": "The server was unable to deliver your message (ex: unknown user).",
    "Details": "Test bounce details",
    "Email": "john@example.com",
    "From": "sender@example.com",
    "BouncedAt": "2019-11-05T16:50:54.9070259Z",
    "DumpAvailable": True,
    "Inactive": True,
    "CanActivate": True,
    "Subject": "Test subject",
    "Content": "Return-Path: <>...",
}


def test_tracking_events_move_the_email_forward():
    sent_email()
    for payload in (DELIVERY, OPEN):
        assert post("/webhooks/email/tracking/", payload).status_code == 200
    email = EmailMessage.objects.get()
    assert email.status == "opened"
    assert email.delivered_at == datetime(2019, 11, 5, 16, 33, 54, 907025, tzinfo=UTC)
    outcomes = set(IntegrationDelivery.objects.values_list("source", "outcome"))
    assert outcomes == {("email", "processed")}


def test_a_late_delivery_does_not_undo_an_open_and_a_repeat_changes_nothing():
    sent_email()
    post("/webhooks/email/tracking/", OPEN)
    post("/webhooks/email/tracking/", DELIVERY)
    post("/webhooks/email/tracking/", DELIVERY)
    assert EmailMessage.objects.get().status == "opened"


def test_a_bounce_is_recorded():
    sent_email()
    post("/webhooks/email/tracking/", BOUNCE)
    email = EmailMessage.objects.get()
    assert (email.status, email.bounced_at.minute) == ("bounced", 50)


def test_an_event_for_an_unknown_email_is_acknowledged_and_logged():
    assert post("/webhooks/email/tracking/", DELIVERY).status_code == 200
    delivery = IntegrationDelivery.objects.get()
    assert (delivery.outcome, delivery.event_type) == ("ignored", "tracking.delivered")


@pytest.mark.parametrize("auth", [None, "opsroom:wrong"], ids=["no-auth", "wrong-auth"])
def test_wrong_or_missing_credentials_are_refused_and_change_nothing(auth):
    sent_email()
    response = post("/webhooks/email/tracking/", DELIVERY, auth=auth)
    assert response.status_code == 401
    assert EmailMessage.objects.get().status == "sent"
    assert IntegrationDelivery.objects.get().outcome == "rejected"


def test_without_a_webhook_secret_the_webhooks_refuse_everything(settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": ""}
    assert post("/webhooks/email/tracking/", DELIVERY).status_code == 401


def test_without_an_esp_the_webhooks_refuse_everything(settings):
    settings.OPSROOM_EMAIL_ESP = ""
    assert post("/webhooks/email/inbound/", inbound()).status_code == 401


def inbound(subject="Cannot export my meal plan", headers=(), sender="ann@example.com"):
    return {
        "FromName": "Ann Example",
        "MessageStream": "inbound",
        "From": sender,
        "FromFull": {"Email": sender, "Name": "Ann Example", "MailboxHash": ""},
        "To": "support@inbound.example.com",
        "ToFull": [{"Email": "support@inbound.example.com", "Name": "", "MailboxHash": ""}],
        "Cc": "",
        "CcFull": [],
        "Bcc": "",
        "BccFull": [],
        "OriginalRecipient": "support@inbound.example.com",
        "Subject": subject,
        "MessageID": "73e6d360-66eb-11e1-8e72-a8904824019b",
        "ReplyTo": "",
        "MailboxHash": "",
        "Date": "Tue, 10 Mar 2026 09:45:32 +0000",
        "TextBody": "The export button does nothing.",
        "HtmlBody": "<html><body><p>The export button does nothing.</p></body></html>",
        "StrippedTextReply": "",
        "Tag": "",
        "Headers": [
            {"Name": "Return-Path", "Value": f"<{sender}>"},
            {"Name": "Message-ID", "Value": "<CAF=1234@mail.example.com>"},
            *({"Name": name, "Value": value} for name, value in headers),
        ],
        "Attachments": [],
    }


def test_an_inbound_email_opens_a_ticket_for_a_known_person():
    person = PersonFactory(email="ann@example.com")
    assert post("/webhooks/email/inbound/", inbound()).status_code == 200
    ticket = Ticket.objects.get()
    assert (ticket.requester, ticket.channel, ticket.subject) == (
        person,
        "email",
        "Cannot export my meal plan",
    )
    assert ticket.body == "The export button does nothing."


def test_a_sender_not_seen_before_becomes_a_person():
    post("/webhooks/email/inbound/", inbound(sender="new@example.com"))
    assert Ticket.objects.get().requester.external_id == "email:new@example.com"


def test_a_re_delivered_email_opens_one_ticket():
    post("/webhooks/email/inbound/", inbound())
    post("/webhooks/email/inbound/", inbound())
    assert Ticket.objects.count() == 1
    assert IntegrationDelivery.objects.order_by("id").last().outcome == "duplicate"


def test_a_reply_is_threaded_by_in_reply_to():
    ticket = TicketFactory(status="solved")
    TicketMessage.objects.create(
        ticket=ticket, author_kind="agent", body="Fixed!", channel_message_id="<agent-1@ops>"
    )
    payload = inbound(subject="Re: Fixed", headers=[("In-Reply-To", "<agent-1@ops>")])
    post("/webhooks/email/inbound/", payload)
    assert Ticket.objects.count() == 1
    reply = ticket.messages.order_by("id").last()
    assert (reply.author_kind, reply.channel_message_id) == (
        "customer",
        "<CAF=1234@mail.example.com>",
    )
    ticket.refresh_from_db()
    assert ticket.status == "open"


def test_a_reply_is_threaded_by_the_ticket_number_only_from_the_requester():
    ticket = TicketFactory(requester=PersonFactory(email="ann@example.com"))
    post("/webhooks/email/inbound/", inbound(subject=f"Re: [#{ticket.pk}] export"))
    assert ticket.messages.count() == 1
    post(
        "/webhooks/email/inbound/",
        {
            **inbound(subject=f"Re: [#{ticket.pk}] export", sender="eve@example.com"),
            "Headers": [{"Name": "Message-ID", "Value": "<other@mail.example.com>"}],
        },
    )
    assert ticket.messages.count() == 1
    assert Ticket.objects.count() == 2
