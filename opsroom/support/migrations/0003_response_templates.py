"""The starting response templates, one per category (no editing page yet; see docs/support.md)."""

from django.db import migrations

TEMPLATES = [
    (
        "billing-question",
        "Billing question",
        "billing",
        "Thanks for getting in touch about your billing. I have checked your account and I am "
        "sorting this out for you now.",
    ),
    (
        "bug-report",
        "Something is not working",
        "bug",
        "Sorry about the trouble. Could you try these steps:\n\n1. Refresh the page (or restart "
        "the app)\n2. Sign out and sign back in\n3. Try again\n\nIf it still fails, tell me what "
        "you see and I will get our engineers on it.",
    ),
    (
        "how-to",
        "How-to answer",
        "how_to",
        "Happy to help with that. You will find it in the app's menu; here is how to do it step "
        "by step.",
    ),
    (
        "feature-request",
        "Feature request",
        "feature_request",
        "Thank you for the suggestion! I have passed it on to our product team, who read every "
        "request.",
    ),
    (
        "account-access",
        "Account access",
        "account_access",
        "I have sent a password reset link to the email address on your account. It is valid for "
        "an hour; if it does not arrive, check your spam folder.",
    ),
    (
        "cancellation",
        "Cancellation",
        "cancellation",
        "I am sorry to see you go. I have processed your cancellation; you keep access until the "
        "end of the period you paid for.",
    ),
    (
        "invoice-request",
        "Invoice request",
        "invoice_request",
        "I have sent your invoice to the email address on your account.",
    ),
    (
        "email-preferences",
        "Email preferences",
        "email_preferences",
        "I have updated your email preferences; you will not receive those emails any more.",
    ),
    (
        "general",
        "General reply",
        "",
        "Thanks for reaching out. I am looking into this and will get back to you shortly.",
    ),
]


def create(apps, schema_editor):
    ResponseTemplate = apps.get_model("support", "ResponseTemplate")
    for key, name, category, body in TEMPLATES:
        ResponseTemplate.objects.get_or_create(
            key=key, defaults={"name": name, "category": category, "body": body}
        )


def remove(apps, schema_editor):
    ResponseTemplate = apps.get_model("support", "ResponseTemplate")
    ResponseTemplate.objects.filter(key__in=[t[0] for t in TEMPLATES]).delete()


class Migration(migrations.Migration):
    dependencies = [("support", "0002_copilot")]
    operations = [migrations.RunPython(create, remove)]
