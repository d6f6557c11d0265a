"""How customers write to support: many phrasings per topic, greetings, typos, their own facts.

`{slot}` placeholders are filled from the facts of the person's real situation (plan, amount,
card, kid, the error they saw); a phrasing whose slots are missing is not used.
"""

import random
import re

GREETINGS = (
    "Hi,", "Hello,", "Hi there,", "Hey,", "Hi team,", "Hello Little Bites team,", "Good morning,",
    "Hi support,", "Dear Little Bites,", "hi", "Hey guys,", "", "", "",
)  # fmt: skip
SIGNOFFS = (
    "Thanks,\n{first}", "Thank you!", "Cheers,\n{first}", "Best,\n{name}", "Thanks in advance",
    "{first}", "Regards,\n{name}", "thx", "Sent from my iPhone", "Many thanks,\n{first}", "", "",
)  # fmt: skip

SUBJECTS: dict[str, tuple[str, ...]] = {
    "failed_payment": (
        "Payment failed?", "Why did my payment fail", "Card declined but I have money on it",
        "Problem with my subscription payment", "payment not going through",
        "Got an email that my payment failed", "Can't update my card", "Billing issue",
    ),
    "double_charge": (
        "Charged twice this month", "Double charge on my card", "Why was I billed {amount} twice?",
        "Duplicate payment", "two charges from Little Bites",
    ),
    "unexpected_renewal": (
        "I didn't want to renew", "Unexpected charge of {amount}", "Refund for renewal please",
        "Why was I charged {amount}??", "Auto-renewal charge - please refund",
    ),
    "price_question": (
        "Question about pricing", "Price went up?", "Is there a family discount?",
        "Difference between Premium and Family", "Do you have a student/low income price",
    ),
    "bug": (
        "App keeps showing an error", "Something went wrong error", "Bug: {feature} not working",
        "{feature} is broken", "Error when {feature}", "can't {feature_verb}", "Help - app error",
        "Is the app down?", "Getting 'Something went wrong' every time",
    ),
    "how_to": (
        "How do I add a second child?", "How to share my meal plan with my partner",
        "Question about grocery lists", "How do I change the number of servings?",
        "Can I print the weekly plan?", "Where are my saved recipes?", "How does the food log work",
        "Swap a meal in the plan?", "Question", "Quick question about allergies settings",
    ),
    "feature_request": (
        "Feature request: {idea_short}", "Suggestion", "Would love {idea_short}",
        "Idea for the app", "Please add {idea_short}!", "Request",
    ),
    "account_access": (
        "Can't log in", "Password reset email never arrives", "Locked out of my account",
        "Login problem", "Changed my email address, now can't sign in", "Sign in with Apple issue",
        "forgot password",
    ),
    "cancellation": (
        "Cancel my subscription", "Please cancel", "How do I cancel?", "Cancel and refund",
        "Cancellation request", "Stop my subscription", "I want to cancel my {plan}",
    ),
    "invoice_request": (
        "Invoice for my records", "Need a VAT invoice", "Receipt for {amount} payment",
        "Invoice with company name please", "Can I get an invoice?", "Receipt request",
    ),
    "email_preferences": (
        "Too many emails", "Unsubscribe me", "Stop sending me emails", "Email settings",
        "Please remove me from your mailing list", "how do I turn off the newsletter",
    ),
    "other": (
        "Love the app!", "Partnership inquiry", "Delete my account and data",
        "Question about your data practices", "Press inquiry", "Recipe has a mistake",
        "Suggestion for a recipe", "Thank you",
    ),
}  # fmt: skip

BODIES: dict[str, tuple[str, ...]] = {
    "failed_payment": (
        "I got an email saying my payment for {plan} failed but there is definitely money on my "
        "card ending {last4}. Can you try again?",
        "My card keeps getting declined ({decline_human}). I haven't changed anything. What do I "
        "need to do to keep my account?",
        "Just saw the payment failed message. I updated my card last week so I'm confused. "
        "Please don't cancel my kids' meal plans!",
        "payment failed again. card ending {last4}. is it your system or my bank??",
        "I tried to update my card in the app but it says 'Your card was declined'. I have used "
        "this card everywhere else today. Can you check on your side?",
        "Your email says my {amount} payment didn't go through. My bank says they never saw a "
        "charge attempt. What's going on?",
    ),
    "double_charge": (
        "I see two charges of {amount} on my statement from Little Bites this month. Please refund "
        "one of them.",
        "Looks like I was charged twice for {plan}. My card ends in {last4}. Can you look into it?",
        "why did you take {amount} two times?? i only have one account",
    ),
    "unexpected_renewal": (
        "I was just charged {amount} for another year of {plan}. I didn't realise it would renew "
        "automatically and we haven't used the app in months. Can I get a refund?",
        "Please refund the renewal charge of {amount}. I meant to cancel before it renewed.",
        "I forgot to cancel my trial and now got charged {amount}. We barely used it. Is a "
        "refund possible?",
    ),
    "price_question": (
        "I'm on {plan}. Is there a discount if I switch to annual?",
        "We have {kids_count} kids, does the Family plan make sense for us or is Premium enough?",
        "Noticed the monthly price is higher now. Will my price change too?",
    ),
    "bug": (
        "Every time I try {feature_verb} I get 'Something went wrong'. I'm on {platform_human}, "
        "app version {app_version}.",
        "The app shows an error when {feature_gerund}. Tried closing and reopening, same thing. "
        "It started a few days ago.",
        "Hi, {feature} stopped working for us. I get an error screen. This is the main reason we "
        "use the app!",
        "I keep getting an error when I try to log what {kid} ate. It worked fine last week. "
        "Android/iPhone both. Please fix!!",
        "Error again. {feature} does nothing and then 'Something went wrong'. {app_version}",
        "The recipe generator just spins and then times out. Is the AI thing broken?",
        "Tried to export our weekly plan as PDF for the fridge and it fails every time.",
        "Not sure if it's me but {feature} gives an error. Screenshot attached (I hope).",
    ),
    "how_to": (
        "How do I add my second child? I only see {kid}'s profile.",
        "Is there a way to share the meal plan with my husband so we both see the grocery list?",
        "Can I change the servings for the whole week at once? We are {household} people.",
        "I want to print the weekly plan. Where is that option? I'm on {platform_human}.",
        "Where do my saved recipes go? I saved a bunch and can't find them.",
        "How does the food log work exactly? Do I log every bite {kid} takes or just new foods?",
        "Can I mark that {kid} is allergic to something so recipes are filtered?",
        "how do i swap one dinner for another without redoing the whole plan",
    ),
    "feature_request": (
        "It would be amazing if {idea}. Otherwise we love the app!",
        "Suggestion: {idea}. Would pay more for that tbh.",
        "Any plans for {idea_short}? Our family would use it every week.",
        "Please consider {idea}. Thanks for a great app.",
    ),
    "account_access": (
        "I can't log in. I reset my password twice and the email never arrives. My email is "
        "{email}.",
        "The app logged me out and now says my password is wrong. I'm sure it's right.",
        "I changed my email and now I can't sign in with the new one. Old email was {email}.",
        "I signed up with Apple and now I'm on an Android phone. How do I get into my account?",
        "Locked out after too many attempts. Can you unlock my account? {email}",
    ),
    "cancellation": (
        "Please cancel my subscription. {reason_human}",
        "I'd like to cancel {plan}. {reason_human} Thanks for everything.",
        "How do I cancel? I can't find it in the app. {reason_human}",
        "Cancel my account please and refund the last payment if possible.",
        "We don't use it enough anymore. Please cancel before the next charge.",
    ),
    "invoice_request": (
        "Could you send me an invoice for my last payment ({amount})? I need it for my records.",
        "I need a proper VAT invoice with my company name for invoice {invoice_number}.",
        "Can I get a receipt for {amount}? The email one went to spam and I deleted it.",
        "Please send invoices for all my payments this year. Thank you.",
    ),
    "email_preferences": (
        "I'm getting too many emails from you. Can I just get the receipts?",
        "Please unsubscribe me from the newsletter. {email}",
        "Stop emailing me please. The unsubscribe link doesn't work.",
        "How do I turn off the marketing emails but keep the weekly plan reminders?",
    ),
    "other": (
        "Just wanted to say thank you. {kid} finally ate broccoli because of your tips!",
        "We run a parenting blog and would love to partner with you. Who should I talk to?",
        "Please delete my account and all my data under GDPR. Email: {email}",
        "Where is my family's data stored and do you sell it?",
        "The {recipe} recipe says 2 tbsp salt, I think it should be tsp?",
        "I'm a journalist writing about family meal planning apps. Could someone answer a few "
        "questions?",
    ),
}  # fmt: skip

IDEAS = (
    ("it synced with my Instacart cart", "Instacart sync"),
    ("there was a lunchbox planner for school days", "a lunchbox planner"),
    ("we could plan for two households (shared custody)", "two-household plans"),
    ("recipes showed the cost per serving", "cost per serving"),
    ("there was a dark mode on the web app", "dark mode on web"),
    ("I could import recipes from a website", "recipe import"),
    ("the grocery list grouped items by aisle", "aisle grouping"),
    ("you supported a Spanish version", "Spanish language"),
    ("there was a baby-led weaning section", "baby-led weaning"),
)  # fmt: skip
REASONS = {
    "too_expensive": "It's too expensive for us right now.",
    "not_using_enough": "We just don't use it enough.",
    "kids_eat_anything_now": "Kids are older and eat everything now!",
    "switching_app": "We're trying another app.",
    "missing_features": "It's missing a few things we need.",
    "technical_problems": "Too many bugs lately, sorry.",
    "other": "",
}
_SLOT = re.compile(r"\{(\w+)\}")


def _fill(rng: random.Random, options: tuple[str, ...], facts: dict[str, str]) -> str:
    usable = [text for text in options if all(s in facts for s in _SLOT.findall(text))]
    text = rng.choice(usable or options)
    return _SLOT.sub(lambda m: facts.get(m.group(1), ""), text)


def typos(rng: random.Random, text: str) -> str:
    """Mistakes people make when they write in a hurry: swapped letters, no capitals, no dots."""
    roll = rng.random()
    if roll < 0.12:
        text = text.lower()
    if roll > 0.8:
        text = text.replace(". ", " ").rstrip(".")
    words = text.split(" ")
    for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
        index = rng.randrange(len(words))
        word = words[index]
        if len(word) > 4 and word.isalpha():
            cut = rng.randrange(1, len(word) - 2)
            words[index] = word[:cut] + word[cut + 1] + word[cut] + word[cut + 2 :]
    return " ".join(words)


def ticket_text(rng: random.Random, topic: str, facts: dict[str, str]) -> tuple[str, str]:
    """A subject and body for a ticket on a topic, in one of many voices."""
    subject = _fill(rng, SUBJECTS[topic], facts)
    body = _fill(rng, BODIES[topic], facts)
    if rng.random() < 0.35:
        body = typos(rng, body)
    greeting = rng.choice(GREETINGS)
    signoff = rng.choice(SIGNOFFS).format(first=facts["first"], name=facts["name"])
    parts = [part for part in (greeting, body, signoff) if part]
    if rng.random() < 0.2:
        subject = subject.lower()
    return subject[:300], "\n\n".join(parts)


AGENT_FIRST: dict[str, tuple[str, ...]] = {
    "failed_payment": (
        "I checked your account: the last charge on the card ending {last4} was declined by your "
        "bank with the reason '{decline_human}'. Banks don't always tell us more than that.",
        "Sorry about that! The payment was declined by the card issuer ({decline_human}). Nothing "
        "is wrong with your account on our side.",
    ),
    "double_charge": (
        "I looked at your payments and I only see one successful charge of {amount}; the other "
        "line is a pending authorisation that your bank will drop within a few days.",
    ),
    "unexpected_renewal": (
        "I understand, annual renewals can sneak up on you. I've refunded {amount} to the card "
        "ending {last4}; it should show up in 5-10 business days.",
    ),
    "bug": (
        "Thanks for reporting this, and sorry for the trouble. We found the cause and our "
        "engineers are working on a fix.",
        "Thank you for the details! This is a known issue on our side and a fix is on its way.",
        "Sorry about that. Could you tell me which screen you were on and roughly what time it "
        "happened? That helps us find it in our logs.",
    ),
    "cancellation": (
        "I'm sorry to see you go! Before I cancel: would 30% off your next three months help? "
        "If not, just reply and I'll cancel right away.",
        "Done: your subscription is canceled. You keep access until the end of the period you "
        "paid for.",
    ),
    "account_access": (
        "I've sent a fresh password reset link to {email}. It expires in an hour, so please use "
        "it soon and check your spam folder.",
        "I've unlocked your account. You should be able to sign in again now.",
    ),
    "invoice_request": (
        "Here's your invoice {invoice_number}: you can also download every invoice yourself under "
        "Settings > Billing.",
        "I've attached the invoice. If you need a company name or VAT number on it, add them "
        "under Settings > Billing and the next ones will include them.",
    ),
    "email_preferences": (
        "Done! I've turned off marketing emails for {email}. You'll still get receipts and "
        "important account messages.",
    ),
    "how_to": (
        "Great question! Go to Settings > Family and tap 'Add child'. Each child gets their own "
        "food log.",
        "You can do that from the plan screen: tap the meal, then 'Swap'. Your grocery list "
        "updates automatically.",
        "Yes: open the week, tap the share icon and choose 'Print / PDF'.",
    ),
    "feature_request": (
        "Thank you for the suggestion! I've passed it on to our product team and added your vote.",
        "Love this idea. It's on our list; I can't promise a date but I've noted your request.",
    ),
    "price_question": (
        "Good question! Annual works out at about 35% cheaper than monthly, and you can switch "
        "any time in Settings > Subscription.",
    ),
    "other": (
        "Thank you so much for writing to us! I've passed this on to the right person.",
        "Thanks for reaching out. I've forwarded this to our team and someone will get back to "
        "you.",
    ),
}  # fmt: skip
CUSTOMER_FOLLOWUPS = (
    "Thanks, that worked!", "ok thanks", "Still not working for me, sorry.",
    "Thank you for the quick answer.", "I tried that but nothing changed?", "Great, thanks!",
    "That's fine, please go ahead.", "Perfect, appreciate it.", "Any update on this?",
)  # fmt: skip
AGENT_CLOSING = (
    "Glad that's sorted! Let us know if anything else comes up.",
    "Happy to help. I'll close this ticket now; just reply if you need anything else.",
    "Thanks for your patience. Marking this as solved.",
    "You're welcome! Enjoy your meals.",
)
CSAT_COMMENTS = {
    5: ("Super fast, thank you!", "Great support", "Very helpful", ""),
    4: ("Good, thanks", "", "Took a while but solved"),
    3: ("OK", "", "Still not sure it's fixed"),
    2: ("Slow answer", "Didn't really solve my problem"),
    1: ("Terrible", "Nobody helped me", "Still charged, no refund"),
}


def agent_first(rng: random.Random, topic: str, facts: dict[str, str], agent: str) -> str:
    options = AGENT_FIRST.get(topic) or AGENT_FIRST["other"]
    opening = rng.choice((f"Hi {facts['first']},", f"Hello {facts['first']},", "Hi there,"))
    return f"{opening}\n\n{_fill(rng, options, facts)}\n\n{agent}\nLittle Bites Support"
